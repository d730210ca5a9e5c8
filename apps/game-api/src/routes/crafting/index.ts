/**
 * `POST /v1/crafts`: craft a recipe, with a required `Idempotency-Key`. The same key with the same body answers
 * the stored response (`Idempotent-Replayed: true`); the same key with another body is 422
 * IDEMPOTENCY_KEY_REUSED. One transaction: inputs consumed, the card created with its provenance, ledger rows and
 * `crafted`, or nothing at all.
 */
import { createCraftBatcher } from '@harvest/db';
import { errorResponses } from '@harvest/service';
import { AppError } from '@harvest/shared/errors';
import type { FastifyInstance, FastifyReply } from 'fastify';
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
  requestHash,
  uuidSchema,
  withDbRetry,
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
  // One player's concurrent crafts share a transaction (packages/db crafting/batch.ts): each is still checked,
  // stored and answered on its own.
  const crafts = createCraftBatcher(options.db);
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
      // The offered cards are a set: their order does not make another request.
      const body = { recipeId, cardIds: [...cardIds].sort() };
      const key = request.headers['idempotency-key'];
      if (key === undefined)
        throw new AppError('IDEMPOTENCY_KEY_REQUIRED', 'send an Idempotency-Key header (e.g. a fresh UUID per operation)');
      const input = { playerId, recipeId, cardIds, content, now: options.now() };
      // Two round trips on a pipelined connection (packages/db/src/sql) per batch of this player's crafts: the keys,
      // the locks and the checks; then the writes, the stored responses and COMMIT.
      const outcome = await withDbRetry(() =>
        crafts.craft({
          scope: { playerId, key, requestHash: requestHash(request, body) },
          input,
          respond: (craft) => ({
            status: 201,
            body: {
              craftId: craft.craftId,
              recipeId: craft.recipeId,
              card: cardBody(craft.card, content),
              consumed: craft.consumed,
              balances: craft.balances,
            },
          }),
        }),
      );
      const sent = reply as FastifyReply;
      if (outcome.replayed) sent.header('idempotent-replayed', 'true');
      return sent.code(outcome.status).send(outcome.body);
    },
  );
}
