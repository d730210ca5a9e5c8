import { existsSync } from 'node:fs';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import { createHttpApp, type Dependency, type Logger, registerApi } from '@harvest/service';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { activityRoutes } from './routes/activity/index.ts';
import { configRoutes } from './routes/config/index.ts';
import type { MarketDeps } from './routes/deps.ts';
import { listingRoutes } from './routes/listings/index.ts';
import { meRoutes } from './routes/me/index.ts';
import { tokenRoutes } from './routes/tokens/index.ts';

export interface AppDeps {
  log: Logger;
  /** Dependencies whose readiness /readyz reports. */
  dependencies: Record<string, Dependency>;
  market: MarketDeps;
  /** Rate-limit counters live here, shared by every replica. */
  redis: Redis;
  /** Prefix of the rate-limit keys (tests give each app its own). */
  rateLimitPrefix?: string;
  /** The built web front end; when missing, `/` says how to build it. */
  webDir?: string;
}

/** Builds the marketplace HTTP app without listening, so tests drive it with `app.inject()`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = createHttpApp({ name: 'marketplace', log: deps.log, dependencies: deps.dependencies });
  await registerApi(app, {
    title: 'Harvest Battles marketplace',
    version: '0.1.0',
    description: 'Signed sell orders (EIP-712) for Harvest cards and land: listings, search, token detail, activity.',
  });
  // Health routes are registered above and stay unlimited; every route below counts per client IP.
  await app.register(rateLimit, {
    global: true,
    max: deps.market.rateLimits.read,
    timeWindow: '1 minute',
    redis: deps.redis,
    nameSpace: deps.rateLimitPrefix ?? 'marketplace-rl:',
    skipOnError: true,
  });
  await app.register(configRoutes, deps.market);
  await app.register(listingRoutes, deps.market);
  await app.register(tokenRoutes, deps.market);
  await app.register(activityRoutes, deps.market);
  await app.register(meRoutes, deps.market);
  await registerWeb(app, deps.webDir);
  return app;
}

/** Serves the built front end at `/` (hash routing: no server-side routes besides index.html and its assets). */
async function registerWeb(app: FastifyInstance, webDir: string | undefined): Promise<void> {
  if (webDir && existsSync(`${webDir}/index.html`)) {
    await app.register(fastifyStatic, {
      root: webDir,
      prefix: '/',
      wildcard: true,
      index: ['index.html'],
      setHeaders(res, path) {
        res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    return;
  }
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .code(503)
      .type('text/plain; charset=utf-8')
      .send('The marketplace web front end is not built: run `npm run build -w @harvest/marketplace`.\n'),
  );
}
