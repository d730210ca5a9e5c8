/** The activity feed: listings made and cancelled, sales, invalidations; newest first, of everything or of one token or address. */
import { listActivity } from '@harvest/db';
import { errorResponses } from '@harvest/service';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MarketDeps } from '../deps.ts';
import { activitySchema, addressSchema, tokenIdSchema, wordListSchema } from '../schemas.ts';

/** GET /api/activity. */
export async function activityRoutes(app: FastifyInstance, deps: MarketDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/api/activity',
    {
      schema: {
        tags: ['activity'],
        summary: 'Marketplace activity, newest first',
        querystring: z
          .object({
            collection: addressSchema.optional(),
            tokenId: tokenIdSchema.optional(),
            address: addressSchema.optional().describe('Only activity where this address sold or bought.'),
            kind: wordListSchema.optional().describe('Comma-separated kinds: listed, cancelled, sale, invalidated.'),
            limit: z.coerce.number().int().min(1).max(100).default(30),
            cursor: z.string().max(40).optional(),
          })
          .strict(),
        response: { 200: z.object({ items: z.array(activitySchema), nextCursor: z.string().nullable() }), ...errorResponses(422, 429) },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listActivity(deps.db, {
        chainId: deps.chain.chainId,
        limit: q.limit,
        ...(q.collection ? { collection: q.collection } : {}),
        ...(q.tokenId !== undefined ? { tokenId: q.tokenId } : {}),
        ...(q.address ? { address: q.address } : {}),
        ...(q.kind ? { kinds: q.kind } : {}),
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      });
      return { items: page.items.map((a) => ({ ...a, at: a.at.toISOString() })), nextCursor: page.nextCursor };
    },
  );
}
