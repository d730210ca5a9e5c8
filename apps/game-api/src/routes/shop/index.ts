/**
 * The shop: `GET /v1/shop` (prices from the published game data), `POST /v1/shop/buy` (seeds for gold) and
 * `POST /v1/shop/sell` (crops and materials for gold). Trades accept an optional Idempotency-Key.
 */
import { buyInTx, sellInTx, shopCatalog, type TradeOutcome } from '@harvest/db';
import { errorResponses } from '@harvest/service';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { claimsOf } from '../../plugins/auth.ts';
import { contentIdSchema, type EconomyRouteOptions, idempotencyHeaders, limitWrites, sendIdempotent } from '../inventory/economy.ts';

const tradeBody = z.object({ itemId: contentIdSchema, quantity: z.number().int().min(1).max(10_000) }).strict();
const tradeSchema = z.object({
  orderId: z.uuid(),
  itemId: z.string(),
  quantity: z.number().int(),
  unitPrice: z.number().int(),
  total: z.number().int().describe('Gold paid (buy) or received (sell).'),
  balances: z.object({ gold: z.number().int(), item: z.number().int() }),
  contentVersion: z.number().int(),
});

/** The shop routes. */
export async function shopRoutes(app: FastifyInstance, options: EconomyRouteOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/v1/shop',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['shop'],
        summary: 'What the shop sells (seeds) and buys (crops, materials), in gold per unit',
        security: [{ bearer: [] }],
        response: {
          200: z.object({
            buy: z.array(z.object({ itemId: z.string(), name: z.string().nullable(), cropId: z.string(), price: z.number().int() })),
            sell: z.array(z.object({ itemId: z.string(), name: z.string().nullable(), kind: z.string(), price: z.number().int() })),
            contentVersion: z.number().int(),
          }),
          ...errorResponses(401, 503),
        },
      },
    },
    async () => {
      const content = await options.content();
      const names = new Map(content.data.items.map((i) => [i.id, i.name]));
      const catalog = shopCatalog(content);
      return {
        buy: catalog.buy.map((b) => ({ ...b, name: names.get(b.itemId) ?? null })),
        sell: catalog.sell.map((s) => ({ ...s, name: names.get(s.itemId) ?? null })),
        contentVersion: content.version,
      };
    },
  );

  const trade = (side: 'buy' | 'sell', summary: string) =>
    api.post(
      `/v1/shop/${side}`,
      {
        onRequest: app.authenticate,
        schema: {
          tags: ['shop'],
          summary,
          security: [{ bearer: [] }],
          headers: idempotencyHeaders,
          body: tradeBody,
          response: { 200: tradeSchema, ...errorResponses(401, 404, 409, 422, 429, 503) },
        },
      },
      async (request, reply) => {
        const playerId = claimsOf(request).sub;
        await limitWrites(options, playerId);
        const content = await options.content();
        const input = { playerId, itemId: request.body.itemId, quantity: request.body.quantity, content };
        return sendIdempotent(options, request, reply, { playerId, body: request.body }, async (tx) => {
          const outcome: TradeOutcome = side === 'buy' ? await buyInTx(tx, input) : await sellInTx(tx, input);
          return { status: 200, body: { ...outcome, contentVersion: content.version } };
        });
      },
    );
  trade('buy', 'Buy seeds for gold');
  trade('sell', 'Sell crops or materials for gold');
}
