/** `GET /v1/ledger`: my gold and resource history, newest first, a page at a time. */
import { listLedger } from '@harvest/db';
import { errorResponses } from '@harvest/service';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { claimsOf } from '../../plugins/auth.ts';
import { contentIdSchema, type EconomyRouteOptions, pageQuerySchema } from '../inventory/economy.ts';

const entrySchema = z.object({
  id: z.string(),
  asset: z.enum(['gold', 'item']),
  itemId: z.string().nullable(),
  delta: z.number().int(),
  reason: z.string(),
  referenceId: z.string().nullable(),
  createdAt: z.iso.datetime(),
});

/** The ledger route. */
export async function ledgerRoutes(app: FastifyInstance, options: EconomyRouteOptions): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/ledger',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['inventory'],
        summary: 'My ledger: every change of my gold and resources, newest first',
        security: [{ bearer: [] }],
        querystring: z
          .object({
            ...pageQuerySchema,
            asset: z.enum(['gold', 'item']).optional(),
            itemId: contentIdSchema.optional().describe('Only rows of this item.'),
          })
          .strict(),
        response: { 200: z.object({ entries: z.array(entrySchema), nextCursor: z.string().nullable() }), ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => {
      const page = await listLedger(options.db, claimsOf(request).sub, request.query);
      return { entries: page.entries.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })), nextCursor: page.nextCursor };
    },
  );
}
