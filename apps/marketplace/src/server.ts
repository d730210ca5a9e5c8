import { createTokenVerifier } from '@harvest/auth';
import { createDb } from '@harvest/db';
import { chainDependency, createLogger, postgresDependency, redisDependency, serve } from '@harvest/service';
import { Redis } from 'ioredis';
import { getAddress } from 'viem';
import { buildApp } from './app.ts';
import { createMarketChain, readDeployments } from './chain.ts';
import { defaultDeploymentsFile, readEnv } from './env.ts';
import { startReconciler } from './reconciler.ts';
import { createSearchCache } from './search-cache.ts';

const env = readEnv();
const log = createLogger('marketplace', env.LOG_LEVEL);
const deployments = readDeployments(env.DEPLOYMENTS_FILE ?? defaultDeploymentsFile(env.CHAIN_ID), env.CHAIN_ID);
const dependencies = {
  database: postgresDependency(env.DATABASE_URL),
  redis: redisDependency(env.REDIS_URL),
  chain: chainDependency(env.CHAIN_RPC_URL, env.CHAIN_ID),
};
const db = createDb({ databaseUrl: env.DATABASE_URL, maxConnections: 20 });
const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: false });
redis.on('error', (error) => log.warn({ err: error }, 'redis error'));
const searchCache = createSearchCache({
  db,
  chainId: env.CHAIN_ID,
  ttlMs: env.MARKET_SEARCH_CACHE_MS,
  pollMs: env.MARKET_SEARCH_VERSION_POLL_MS,
  log,
});
const chain = createMarketChain({ rpcUrl: env.CHAIN_RPC_URL, chainId: env.CHAIN_ID, deployments });
const market = {
  db,
  chain,
  policy: { currencies: env.MARKET_ERC20_CURRENCIES.map((c) => getAddress(c)), maxOrderSeconds: env.MARKET_MAX_ORDER_SECONDS },
  now: Date.now,
  verifier: createTokenVerifier({
    jwks: { url: new URL('/.well-known/jwks.json', env.GAME_API_URL) },
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
  }),
  gameApiUrl: env.GAME_API_URL,
  rateLimits: { read: env.MARKET_RATE_LIMIT_READ, write: env.MARKET_RATE_LIMIT_WRITE },
  searchCache,
};
const app = await buildApp({ log, dependencies, market, redis, webDir: env.MARKETPLACE_WEB_DIR });
const reconciler = startReconciler({
  db,
  chainId: env.CHAIN_ID,
  marketplace: chain.marketplace.toLowerCase(),
  intervalMs: env.MARKET_RECONCILE_MS,
  log,
});
await serve({
  app,
  host: env.HOST,
  port: env.MARKETPLACE_PORT,
  portVariable: 'MARKETPLACE_PORT',
  log,
  onShutdown: async () => {
    await reconciler.stop();
    searchCache.stop();
    await db.$disconnect();
    redis.disconnect();
    await Promise.all(Object.values(dependencies).map((dep) => dep.close()));
  },
});
