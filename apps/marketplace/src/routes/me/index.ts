/**
 * Sign-in for the web front end and "my items". SIWE is game-api's: the two auth routes forward the nonce request
 * and the signed message to it (game-api checks domain, URI, chain, nonce and signature) and hand back only the
 * access token; `/api/me` verifies that token with game-api's JWKS (@harvest/auth) and lists the tokens the
 * player's linked wallets hold in the ownership mirror, with the player's listings.
 */
import { bearerToken } from '@harvest/auth';
import { getTokenGameInfo, listMakerListings, listTokensHeldBy } from '@harvest/db';
import { errorResponses } from '@harvest/service';
import { AppError, type ErrorBody } from '@harvest/shared/errors';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { collectionsOf, type MarketDeps, nowSeconds } from '../deps.ts';
import { listingDetailSchema } from '../schemas.ts';
import { imageUrlOf, listingDetailBody } from '../views.ts';

const MINUTE = '1 minute';

async function forward(deps: MarketDeps, reply: FastifyReply, path: string, body: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(new URL(path, deps.gameApiUrl), {
      method: 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    throw new AppError('SERVICE_UNAVAILABLE', 'the game API does not answer; retry shortly');
  }
  const payload = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!response.ok) {
    const error = (payload as ErrorBody | null)?.error;
    if (!error || response.status >= 500) throw new AppError('SERVICE_UNAVAILABLE', 'the game API could not sign you in; retry shortly');
    const retryAfter = response.headers.get('retry-after');
    if (retryAfter) reply.header('retry-after', retryAfter);
    reply.code(response.status);
    return { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
  }
  return payload;
}

/** /api/auth/siwe/* and /api/me. */
export async function meRoutes(app: FastifyInstance, deps: MarketDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const write = { rateLimit: { max: deps.rateLimits.write, timeWindow: MINUTE } };

  api.post(
    '/api/auth/siwe/nonce',
    {
      config: write,
      schema: {
        tags: ['auth'],
        summary: "A SIWE nonce from game-api (sign the message with this marketplace's host as its domain)",
        response: {
          201: z.object({ nonce: z.string(), nonceSession: z.string(), expiresAt: z.string() }),
          ...errorResponses(429, 503),
        },
      },
    },
    async (_request, reply) => {
      const body = (await forward(deps, reply, '/v1/auth/siwe/nonce', undefined)) as {
        nonce: string;
        nonceSession: string;
        expiresAt: string;
      };
      if (reply.statusCode < 400) reply.code(201);
      return body;
    },
  );

  api.post(
    '/api/auth/siwe/verify',
    {
      config: write,
      schema: {
        tags: ['auth'],
        summary: 'Sign in with a signed SIWE message (checked by game-api); answers an access token for /api/me',
        body: z
          .object({
            message: z.string().min(1).max(4096),
            signature: z
              .string()
              .regex(/^0x[0-9a-fA-F]+$/)
              .max(2 + 2 * 4096),
            nonceSession: z.string().min(16).max(128),
          })
          .strict(),
        response: {
          200: z.object({
            accessToken: z.string(),
            accessTokenExpiresAt: z.string(),
            player: z.object({ id: z.string(), guest: z.boolean() }),
          }),
          ...errorResponses(401, 409, 422, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const body = (await forward(deps, reply, '/v1/auth/siwe/verify', request.body)) as Record<string, unknown>;
      if (reply.statusCode >= 400) return body as never;
      const player = body.player as { id: string; guest: boolean };
      return {
        accessToken: String(body.accessToken),
        accessTokenExpiresAt: String(body.accessTokenExpiresAt),
        player: { id: player.id, guest: player.guest },
      };
    },
  );

  api.get(
    '/api/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'My items: tokens my linked wallets hold (as the chain indexer sees them) and my listings',
        security: [{ bearer: [] }],
        response: {
          200: z.object({
            playerId: z.string(),
            wallets: z.array(z.string()),
            items: z.array(
              z.object({
                asset: z.enum(['card', 'land']),
                collection: z.string(),
                tokenId: z.string(),
                owner: z.string(),
                name: z.string(),
                state: z.string().nullable(),
                imageUrl: z.string(),
              }),
            ),
            listings: z.array(listingDetailSchema),
          }),
          ...errorResponses(401, 429, 503),
        },
      },
    },
    async (request) => {
      const token = bearerToken(request.headers.authorization);
      if (!token) throw new AppError('UNAUTHENTICATED', 'sign in first: Authorization: Bearer <access token>');
      const claims = await deps.verifier.verify(token);
      const wallets = (await deps.db.wallet.findMany({ where: { playerId: claims.sub }, select: { address: true } })).map((w) => w.address);
      const collections = collectionsOf(deps);
      const chainId = deps.chain.chainId;
      const [held, listings] = await Promise.all([
        listTokensHeldBy(deps.db, { chainId, collections, addresses: wallets }),
        listMakerListings(deps.db, { chainId, makers: wallets, now: nowSeconds(deps) }),
      ]);
      const items = [];
      for (const token of held) {
        const info = await getTokenGameInfo(deps.db, { collections, collection: token.collection, tokenId: token.tokenId });
        if (!info) continue;
        items.push({
          asset: info.asset,
          collection: token.collection,
          tokenId: token.tokenId,
          owner: token.owner,
          name: info.name,
          state: info.asset === 'card' ? info.state : null,
          imageUrl: imageUrlOf(token.collection, token.tokenId),
        });
      }
      return { playerId: claims.sub, wallets, items, listings: listings.map(listingDetailBody) };
    },
  );
}
