import { createDb } from '@harvest/db';
import { chainDependency, createLogger, postgresDependency, redisDependency, serve } from '@harvest/service';
import { Redis } from 'ioredis';
import { buildApp } from './app.ts';
import { readDeployments } from './deployments.ts';
import { configOf, readEnv } from './env.ts';
import { createMinterMetrics } from './metrics.ts';
import { createMinter, type Minter } from './minter.ts';
import { startWebhookServer, type WebhookServer } from './webhook-server.ts';

const env = readEnv();
const config = configOf(env);
const log = createLogger('minter', env.LOG_LEVEL);
const metrics = createMinterMetrics();
const db = createDb({ databaseUrl: env.DATABASE_URL, maxConnections: env.MINTER_CONCURRENCY + 4 });
const connection = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
const dependencies = {
  database: postgresDependency(env.DATABASE_URL),
  redis: redisDependency(env.REDIS_URL),
  chain: chainDependency(env.CHAIN_RPC_URL, env.CHAIN_ID),
};

let minter: Minter | null = null;
let webhook: WebhookServer | null = null;
// Without a deployments file for CHAIN_ID (an external chain nobody deployed to yet) the process stays up without
// workers and /readyz names the problem; requests wait in the database (game-api refuses new ones meanwhile).
let contractsProblem: string | null = null;
try {
  readDeployments(config.deploymentsFile, env.CHAIN_ID);
} catch (error) {
  contractsProblem = (error as Error).message;
  log.error({ deploymentsFile: config.deploymentsFile }, `no contracts to mint into: ${contractsProblem}`);
}
try {
  const immutable =
    env.MINTER_PROVIDER === 'immutable'
      ? // The Immutable SDK is imported only here, only for this provider (immutable/sdk.ts silences its metrics).
        (await import('./immutable/provider.ts')).immutableProviderFactory({ config, db, log, metrics })
      : undefined;
  if (env.MINTER_WORKERS && contractsProblem === null) {
    minter = await createMinter({ config, db, connection, log, metrics, ...(immutable ? { immutable } : {}) });
    // A minter that cannot start its workers must not look healthy: exit (the supervisor restarts it).
    minter.ready.catch(() => process.exit(1));
  }
  if (env.MINTER_PROVIDER === 'immutable') webhook = await startWebhookServer({ config, db, log, metrics });
} catch (error) {
  process.stderr.write(`config error: ${(error as Error).message}\n`);
  process.exit(1);
}
const problem = contractsProblem;
const checks = {
  ...dependencies,
  ...(problem === null ? {} : { contracts: { check: async () => Promise.reject(new Error(problem)), close: async () => undefined } }),
};

const app = await buildApp({ log, dependencies: checks, registry: metrics.registry, db });
await serve({
  app,
  host: env.HOST,
  port: env.MINTER_PORT,
  portVariable: 'MINTER_PORT',
  log,
  onShutdown: async () => {
    await webhook?.close();
    await minter?.close();
    connection.disconnect();
    await db.$disconnect();
    await Promise.all(Object.values(dependencies).map((dep) => dep.close()));
  },
});
