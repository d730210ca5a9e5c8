import { type GameContent, getActiveGameData, type MintContracts, pruneEndedSessions, purgeIdempotencyKeys } from '@harvest/db';
import { createHttpApp, type Dependency, type Logger, registerApi } from '@harvest/service';
import type { AvatarDefinition } from '@harvest/shared/schemas';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { type AuthServiceDeps, type AuthServices, createAuthServices } from './auth/services.ts';
import { authGuards } from './plugins/auth.ts';
import { authRoutes } from './routes/auth/index.ts';
import { craftingRoutes } from './routes/crafting/index.ts';
import { deckRoutes } from './routes/decks/index.ts';
import { farmRoutes } from './routes/farm/index.ts';
import { type InventoryCache, registerInventoryCache } from './routes/inventory/cache.ts';
import { contentSource, type EconomyRouteOptions } from './routes/inventory/economy.ts';
import { inventoryRoutes } from './routes/inventory/index.ts';
import { leaderboardRoutes } from './routes/leaderboards/index.ts';
import { ledgerRoutes } from './routes/ledger/index.ts';
import { meRoutes } from './routes/me/index.ts';
import { type MintJobs, mintRoutes } from './routes/mints/index.ts';
import { metadataRoutes } from './routes/mints/metadata.ts';
import { recipeRoutes } from './routes/recipes/index.ts';
import { shopRoutes } from './routes/shop/index.ts';

export interface AppDeps extends AuthServiceDeps {
  log: Logger;
  /** Dependencies whose readiness /readyz reports. */
  dependencies: Record<string, Dependency>;
  /** Registry served at /metrics (the in-process outbox relay registers its metrics there). */
  registry?: Registry;
  /** Avatars players may choose (game data). */
  avatars: readonly AvatarDefinition[];
  /** How often to check whether the signing key is due for rotation (default hourly). */
  keyRotationCheckMs?: number;
  /** Economy routes: state-changing requests per player per minute (default 600), their clock, their game data. */
  economy?: { writesPerMinute?: number; now?: () => number; content?: () => Promise<GameContent> };
  /**
   * Mint requests and NFT metadata: the chain, its collections (null: MINTING_UNAVAILABLE), the minter's queues.
   * Without it the routes answer MINTING_UNAVAILABLE for new requests and serve reads and metadata for chain 31337.
   */
  mints?: { chainId: number; contracts: () => MintContracts | null; jobs: MintJobs; requestsPerMinute?: number };
  /**
   * The GET /v1/inventory read cache (INVENTORY_CACHE_PLAYERS, INVENTORY_CACHE_MB; routes/inventory/cache.ts).
   * Absent or 0 players: every read goes to the database (tests that write around the API rely on that).
   */
  inventoryCache?: { players: number; maxBytes: number; heartbeatMs?: number };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The identity services (tests and tools reach them through the app). */
    auth: AuthServices;
    /** The GET /v1/inventory read cache, null when off (tests read its stats). */
    inventoryCache: InventoryCache | null;
  }
}

/** Builds the game-api HTTP app without listening, so tests drive it with `app.inject()`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // The app's own metrics (the inventory cache's) go to the registry /metrics serves.
  const registry = deps.registry ?? new Registry();
  const app = createHttpApp({ name: 'game-api', log: deps.log, dependencies: deps.dependencies, registry });
  await registerApi(app, {
    title: 'Harvest Battles game API',
    version: '0.1.0',
    description: 'REST for players and designers. Sign in with SIWE or as a guest; send the access token as a bearer token.',
  });
  const services = createAuthServices(deps);
  app.decorate('auth', services);

  // A signing key exists before the first request, and rotates when due (every replica checks; one wins). The same
  // hourly timer prunes ended sessions and expired idempotency keys.
  let rotationTimer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    if (deps.config.devKeyEncryptionKey)
      app.log.warn('AUTH_KEY_ENCRYPTION_KEY is not set: signing keys are sealed with the development key');
    // Not fatal: without a key the first sign-in creates one; a database not migrated yet shows in /readyz.
    await services.keys.ensureFresh().catch((error: unknown) => app.log.error({ err: error }, 'signing-key check failed'));
    rotationTimer = setInterval(
      () => {
        services.keys.ensureFresh().catch((error: unknown) => app.log.error({ err: error }, 'signing-key rotation check failed'));
        // Sessions that ended a week ago go (every replica may run it; deleting twice is harmless).
        pruneEndedSessions(deps.db, new Date())
          .then((pruned) => pruned > 0 && app.log.info({ pruned }, 'ended sessions pruned'))
          .catch((error: unknown) => app.log.error({ err: error }, 'session pruning failed'));
        // Idempotency keys are remembered for 24 hours; older ones go (a retry after that is a new request).
        purgeIdempotencyKeys(deps.db)
          .then((purged) => purged > 0 && app.log.info({ purged }, 'old idempotency keys purged'))
          .catch((error: unknown) => app.log.error({ err: error }, 'idempotency key purge failed'));
      },
      deps.keyRotationCheckMs ?? 60 * 60 * 1000,
    );
    rotationTimer.unref();
  });
  app.addHook('onClose', async () => {
    if (rotationTimer) clearInterval(rotationTimer);
  });

  await app.register(authGuards, { verifier: services.verifier, revocations: services.revocations });
  // Before the routes: every state-changing route declared after it gets the hook that invalidates its player.
  const inventoryCache =
    deps.inventoryCache && deps.inventoryCache.players > 0
      ? registerInventoryCache(app, {
          db: deps.db,
          registry,
          maxPlayers: deps.inventoryCache.players,
          maxBytes: deps.inventoryCache.maxBytes,
          ...(deps.inventoryCache.heartbeatMs === undefined ? {} : { heartbeatMs: deps.inventoryCache.heartbeatMs }),
        })
      : null;
  app.decorate('inventoryCache', inventoryCache);
  await app.register(authRoutes, { ...services, config: deps.config });
  await app.register(meRoutes, { ...services, db: deps.db, config: deps.config, avatars: deps.avatars });
  const economy: EconomyRouteOptions = {
    db: deps.db,
    content: contentSource(deps.economy?.content ?? (() => getActiveGameData(deps.db))),
    limiter: services.limiter,
    now: deps.economy?.now ?? deps.now ?? Date.now,
    writesPerMinute: deps.economy?.writesPerMinute ?? 600,
    ...(inventoryCache ? { inventoryCache } : {}),
  };
  for (const routes of [
    inventoryRoutes,
    ledgerRoutes,
    farmRoutes,
    shopRoutes,
    recipeRoutes,
    craftingRoutes,
    deckRoutes,
    leaderboardRoutes,
  ]) {
    await app.register(routes, economy);
  }
  const noJobs: MintJobs = { requested: async () => undefined, retryBatch: async () => undefined };
  await app.register(mintRoutes, {
    db: deps.db,
    chainId: deps.mints?.chainId ?? 31337,
    contracts: deps.mints?.contracts ?? (() => null),
    jobs: deps.mints?.jobs ?? noJobs,
    limiter: services.limiter,
    requestsPerMinute: deps.mints?.requestsPerMinute ?? 30,
  });
  await app.register(metadataRoutes, { db: deps.db, chainId: deps.mints?.chainId ?? 31337 });
  return app;
}
