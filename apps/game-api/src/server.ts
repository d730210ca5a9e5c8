import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createBusTransport, createConsumer, startOutboxRelay } from '@harvest/bus';
import { createDb, gameDataReloadHandler } from '@harvest/db';
import { chainDependency, createLogger, postgresDependency, redisDependency, serve } from '@harvest/service';
import { getChain } from '@harvest/shared/chains';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createPublicClient, http } from 'viem';
import { buildApp } from './app.ts';
import { authConfigOf, readEnv } from './env.ts';
import { loadAvatars } from './gamedata.ts';
import { createMintJobs, deploymentsContracts } from './routes/mints/jobs.ts';

const env = readEnv();
const log = createLogger('game-api', env.LOG_LEVEL);
// Publishes the outbox unless OUTBOX_RELAY=off; with several replicas the advisory lock keeps one active.
const registry = new Registry();
const outboxRelay = startOutboxRelay({ env, log, registry });
const config = authConfigOf(env);
const avatars = loadAvatars(env.GAMEDATA_DIR);
const db = createDb({ databaseUrl: env.DATABASE_URL });
// Lazy: an unreachable Redis fails requests and /readyz, not the start.
const redis = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
const chain = getChain(env.CHAIN_ID);
// EIP-1271 contract wallets are checked on the configured chain (when it is one of the SIWE chains).
const chainClients = new Map([
  [
    env.CHAIN_ID,
    createPublicClient({ transport: http(env.CHAIN_RPC_URL, { timeout: 5_000, retryCount: 1 }), name: chain?.name ?? 'chain' }),
  ],
]);
// Mint jobs go to the minter's BullMQ queues (their own connection: BullMQ wants maxRetriesPerRequest null).
const mintQueueRedis = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: null });
mintQueueRedis.on('error', (error) => log.warn({ err: error }, 'mint queue redis connection error'));
const mintJobs = createMintJobs(mintQueueRedis, env.MINT_QUEUE_PREFIX);
const deploymentsFile =
  env.DEPLOYMENTS_FILE ?? fileURLToPath(new URL(`../../../contracts/deployments/${env.CHAIN_ID}.json`, import.meta.url));
const dependencies = {
  database: postgresDependency(env.DATABASE_URL),
  redis: redisDependency(env.REDIS_URL),
  chain: chainDependency(env.CHAIN_RPC_URL, env.CHAIN_ID),
};
const app = await buildApp({
  log,
  dependencies,
  db,
  redis,
  config,
  avatars,
  chainClients,
  registry,
  economy: { writesPerMinute: env.ECONOMY_WRITES_PER_MINUTE },
  inventoryCache: { players: env.INVENTORY_CACHE_PLAYERS, maxBytes: env.INVENTORY_CACHE_MB * 1024 * 1024 },
  mints: {
    chainId: env.CHAIN_ID,
    contracts: deploymentsContracts(deploymentsFile, env.CHAIN_ID),
    jobs: mintJobs,
    requestsPerMinute: env.MINT_REQUESTS_PER_MINUTE,
  },
});
// Designers' publishes reach this process at once: the reload consumer moves the game-data cache to the new version
// (getActiveGameData re-checks the database every 30 s anyway). Every process needs its own consumer group, since
// each has its own cache; the name is stable across restarts of the same host and port, so groups do not pile up.
const reloadTransport = createBusTransport({ env, redisUrl: env.REDIS_URL, log });
const gameDataReload = createConsumer({
  name: `gamedata-reload-game-api-${hostname()
    .toLowerCase()
    .replace(/[^a-z0-9_.-]/g, '-')}-${env.GAME_API_PORT}`,
  handlers: { gamedata_published: gameDataReloadHandler(db) },
  transport: reloadTransport,
  db,
  log,
  registry,
});
await gameDataReload.start();
await serve({
  app,
  host: env.HOST,
  port: env.GAME_API_PORT,
  portVariable: 'GAME_API_PORT',
  log,
  onShutdown: async () => {
    await gameDataReload.stop();
    await reloadTransport.close();
    await outboxRelay?.stop();
    await Promise.all(Object.values(dependencies).map((dep) => dep.close()));
    redis.disconnect();
    await mintJobs.close().catch(() => undefined);
    mintQueueRedis.disconnect();
    await db.$disconnect();
  },
});
