/**
 * `POST /v1/crafts`: craft a recipe, with a required `Idempotency-Key`. The same key with the same body answers
 * the stored response (`Idempotent-Replayed: true`); the same key with another body is 422
 * IDEMPOTENCY_KEY_REUSED. One transaction: inputs consumed, the card created with its provenance, ledger rows and
 * `crafted`, or nothing at all.
 */
import { craftInTx } from '@harvest/db';
import { errorResponses } from '@harvest/service';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { claimsOf } from '../../plugins/auth.ts';
import {
  cardBody,
  cardSchema,
  contentIdSchema,
  type EconomyRouteOptions,
  idempotencyHeaders,
  itemQuantitySchema,
  limitWrites,
  sendIdempotent,
  uuidSchema,
} from '../inventory/economy.ts';

const craftSchema = z.object({
  craftId: z.uuid(),
  recipeId: z.string(),
  card: cardSchema,
  consumed: z.object({ gold: z.number().int(), items: z.array(itemQuantitySchema), cardIds: z.array(z.uuid()) }),
  balances: z.object({ gold: z.number().int(), items: z.array(itemQuantitySchema) }),
});

/** The crafting route. */
export async function craftingRoutes(app: FastifyInstance, options: EconomyRouteOptions): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/crafts',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['crafting'],
        summary: 'Craft a recipe (Idempotency-Key required)',
        description:
          'Consumes the recipe inputs (gold, items, and exactly the offered `cardIds` for its card inputs) and creates the card, or ' +
          'does nothing. Refusals (INSUFFICIENT_GOLD, INSUFFICIENT_RESOURCES, RECIPE_LOCKED, ...) are stored with the key like successes.',
        security: [{ bearer: [] }],
        headers: idempotencyHeaders,
        body: z
          .object({
            recipeId: contentIdSchema,
            cardIds: z.array(uuidSchema).max(20).default([]).describe('My in_game cards for the recipe’s card inputs.'),
          })
          .strict(),
        response: { 201: craftSchema, ...errorResponses(401, 403, 404, 409, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const playerId = claimsOf(request).sub;
      await limitWrites(options, playerId);
      const content = await options.content();
      const { recipeId, cardIds } = request.body;
      // The offered cards are a set: their order does not make another request. craftInTx checks everything
      // before its first write, so a refusal is stored without a savepoint.
      const body = { recipeId, cardIds: [...cardIds].sort() };
      return sendIdempotent(options, request, reply, { playerId, body, required: true, refusesBeforeWriting: true }, async (tx) => {
        const outcome = await craftInTx(tx, { playerId, recipeId, cardIds, content, now: options.now() });
        return {
          status: 201,
          body: {
            craftId: outcome.craftId,
            recipeId: outcome.recipeId,
            card: cardBody(outcome.card, content),
            consumed: outcome.consumed,
            balances: outcome.balances,
          },
        };
      });
    },
  );
}
