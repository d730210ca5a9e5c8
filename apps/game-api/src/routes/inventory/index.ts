/**
 * `GET /v1/inventory` (gold, resources, a page of cards with state and provenance) and
 * `GET /v1/inventory/cards/:cardId`. Scoped to the caller: another player's card answers 404 like a missing one.
 * The first is served from the inventory cache (./cache.ts) when the app has one.
 */
import { type GameContent, getCard, getInventory, type InventoryPage, pipelinedReader } from '@harvest/db';
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

/** The wire form of an inventory page. */
function inventoryBody(page: InventoryPage, content: GameContent): z.infer<typeof inventorySchema> {
  const items = new Map(content.data.items.map((i) => [i.id, i]));
  return {
    gold: page.gold,
    resources: page.resources.map((r) => ({ ...r, name: items.get(r.itemId)?.name ?? null, kind: items.get(r.itemId)?.kind ?? null })),
    cards: page.cards.map((card) => cardBody(card, content)),
    nextCursor: page.nextCursor,
    contentVersion: content.version,
  };
}

/** What Fastify sends a serialized JSON body as; a cached body goes out with the same header. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The inventory routes. */
export async function inventoryRoutes(app: FastifyInstance, options: EconomyRouteOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  const cache = options.inventoryCache;

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
    async (request, reply) => {
      const playerId = claimsOf(request).sub;
      const { limit, cursor, state } = request.query;
      // One statement on plain pg (no Prisma bookkeeping on the hottest read).
      const reader = pipelinedReader(options.db);
      const read = () => getInventory(reader, playerId, { limit, cursor, state });
      if (!cache) {
        const [content, first] = await Promise.all([options.content(), read()]);
        const page = (await catchUpStarterGrant(options, playerId, first.starterGranted)) ? await read() : first;
        return inventoryBody(page, content);
      }
      const content = await options.content();
      const key = `${limit}|${state ?? ''}|${cursor ?? ''}`;
      const hit = cache.lookup(playerId, key, content.version);
      if (hit !== undefined) return reply.type(JSON_CONTENT_TYPE).send(hit as never);
      // Taken before the query is sent: an invalidation from now on refuses this read's fill.
      const ticket = cache.begin(playerId);
      const first = await read();
      if (await catchUpStarterGrant(options, playerId, first.starterGranted)) return inventoryBody(await read(), content);
      const body = inventoryBody(first, content);
      // Only a complete inventory (starter grant given) of a GET is kept.
      if (!ticket || request.method !== 'GET') return body;
      // Serialized by the route's own serializer (its response schema), as Fastify would: the bytes kept are the
      // bytes sent, and a hit sends them again without serializing or validating.
      const serialized = reply.serialize(body);
      const bytes = typeof serialized === 'string' ? Buffer.from(serialized, 'utf8') : Buffer.from(new Uint8Array(serialized));
      cache.fill(ticket, key, content.version, bytes);
      return reply.type(JSON_CONTENT_TYPE).send(bytes as never);
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
