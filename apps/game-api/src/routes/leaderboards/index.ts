/**
 * `GET /v1/leaderboards/ranked`: the ranked ladder from the Glicko-2 ratings the instance servers settle, best
 * first, a page at a time. `scope=friends` ranks the caller among their friends (accepted friendships only, and
 * the caller). Ratings of every player with a ranked game are public (a ladder is), so nothing here needs an owner
 * check beyond being signed in.
 */
import { friendIds, listLadder } from '@harvest/db';
import { errorResponses } from '@harvest/service';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { claimsOf } from '../../plugins/auth.ts';
import { type EconomyRouteOptions, pageQuerySchema } from '../inventory/economy.ts';

const entrySchema = z.object({
  rank: z.number().int().positive().describe('1 is the best of the ladder asked for (global, or friends).'),
  playerId: z.uuid(),
  displayName: z.string().nullable(),
  rating: z.number().describe('Glicko-2 rating (starts at 1500).'),
  rd: z.number().describe('Rating deviation: how unsure the rating still is.'),
  games: z.number().int(),
  wins: z.number().int(),
  losses: z.number().int(),
  draws: z.number().int(),
});

/** The ranked leaderboard route. */
export async function leaderboardRoutes(app: FastifyInstance, options: EconomyRouteOptions): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/leaderboards/ranked',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['leaderboards'],
        summary: 'The ranked ladder, best rating first (global, or me and my friends)',
        security: [{ bearer: [] }],
        querystring: z
          .object({
            ...pageQuerySchema,
            scope: z.enum(['global', 'friends']).default('global').describe('`friends`: me and my accepted friends.'),
          })
          .strict(),
        response: {
          200: z.object({ scope: z.enum(['global', 'friends']), entries: z.array(entrySchema), nextCursor: z.string().nullable() }),
          ...errorResponses(401, 422),
        },
      },
    },
    async (request) => {
      const { scope, limit, cursor } = request.query;
      const me = claimsOf(request).sub;
      const playerIds = scope === 'friends' ? [me, ...(await friendIds(options.db, me))] : undefined;
      const page = await listLadder(options.db, { limit, cursor, playerIds });
      return { scope, ...page };
    },
  );
}
