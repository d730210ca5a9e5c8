/**
 * `GET /v1/inventory` (gold, resources, a page of cards with state and provenance) and
 * `GET /v1/inventory/cards/:cardId`. Scoped to the caller: another player's card answers 404 like a missing one.
 */
import { getCard, getInventory, pipelinedReader } from '@harvest/db';
import { errorResponses } from '@harvest/service';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { claimsOf } from '../../plugins/auth.ts';
import {
  cardBody,
  cardSchema,
  catchUpStarterGrant,
  type EconomyRouteOptions,
  itemQuantitySchema,
  pageQuerySchema,
  uuidSchema,
} from './economy.ts';

const inventorySchema = z.object({
  gold: z.number().int(),
  resources: z.array(itemQuantitySchema.extend({ name: z.string().nullable(), kind: z.string().nullable() })),
  cards: z.array(cardSchema),
  nextCursor: z.string().nullable(),
  contentVersion: z.number().int(),
});

/** The inventory routes. */
export async function inventoryRoutes(app: FastifyInstance, options: EconomyRouteOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/v1/inventory',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['inventory'],
        summary: 'My gold, resources and cards (a page of cards, oldest first)',
        security: [{ bearer: [] }],
        querystring: z
          .object({
            ...pageQuerySchema,
            state: z
              .enum(['in_game', 'in_match', 'minting', 'on_chain', 'consumed', 'burned'])
              .optional()
              .describe('Only cards in this state.'),
          })
          .strict(),
        response: { 200: inventorySchema, ...errorResponses(401, 404, 422, 503) },
      },
    },
    async (request) => {
      const playerId = claimsOf(request).sub;
      const { limit, cursor, state } = request.query;
      // One statement on plain pg (no Prisma bookkeeping on the hottest read).
      const reader = pipelinedReader(options.db);
      const [content, first] = await Promise.all([options.content(), getInventory(reader, playerId, { limit, cursor, state })]);
      let page = first;
      if (await catchUpStarterGrant(options, playerId, first.starterGranted))
        page = await getInventory(reader, playerId, { limit, cursor, state });
      const items = new Map(content.data.items.map((i) => [i.id, i]));
      return {
        gold: page.gold,
        resources: page.resources.map((r) => ({ ...r, name: items.get(r.itemId)?.name ?? null, kind: items.get(r.itemId)?.kind ?? null })),
        cards: page.cards.map((card) => cardBody(card, content)),
        nextCursor: page.nextCursor,
        contentVersion: content.version,
      };
    },
  );

  api.get(
    '/v1/inventory/cards/:cardId',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['inventory'],
        summary: 'One of my cards',
        security: [{ bearer: [] }],
        params: z.object({ cardId: uuidSchema }),
        response: { 200: cardSchema, ...errorResponses(401, 404, 422, 503) },
      },
    },
    async (request) => {
      const [content, card] = await Promise.all([options.content(), getCard(options.db, claimsOf(request).sub, request.params.cardId)]);
      return cardBody(card, content);
    },
  );
}
