import { chainDependency, createLogger, type Dependency, postgresDependency, serve } from '@harvest/service';
import { buildApp } from './app.ts';
import { type ChainConfig, chainConfigOf, defaultDeploymentsFile, readDeployments } from './config.ts';
import { readEnv } from './env.ts';
import { type IndexerProcess, startIndexerProcess } from './runtime/main.ts';
import { createIndexerMetrics } from './runtime/metrics.ts';

const env = readEnv();
const log = createLogger('indexer', env.LOG_LEVEL);
const deploymentsFile = env.DEPLOYMENTS_FILE ?? defaultDeploymentsFile(env.CHAIN_ID);
// Without a usable deployments file for CHAIN_ID (an external chain nobody deployed to yet) the process stays up
// without a writer and /readyz names the problem, like the minter, so `npm start` on such a chain keeps running.
let config: ChainConfig | null = null;
let contractsProblem: string | null = null;
try {
  config = chainConfigOf(env, readDeployments(deploymentsFile, env.CHAIN_ID));
} catch (error) {
  contractsProblem = (error as Error).message;
  log.error({ deploymentsFile }, `no contracts to index: ${contractsProblem}`);
}
const metrics = createIndexerMetrics(env.CHAIN_ID);
const dependencies: Record<string, Dependency> = {
  database: postgresDependency(env.DATABASE_URL),
  chain: chainDependency(env.CHAIN_RPC_URL, env.CHAIN_ID),
};
const problem = contractsProblem;
const checks: Record<string, Dependency> =
  problem === null
    ? dependencies
    : { ...dependencies, contracts: { check: async () => Promise.reject(new Error(problem)), close: async () => undefined } };
const app = await buildApp({ log, dependencies: checks, registry: metrics.registry });
const writer: IndexerProcess | null = config ? startIndexerProcess({ databaseUrl: env.DATABASE_URL, config, log, metrics }) : null;
writer?.done.catch((error: unknown) => {
  log.fatal({ err: error }, 'indexer stopped');
  process.exit(1);
});
await serve({
  app,
  host: env.HOST,
  port: env.INDEXER_PORT,
  portVariable: 'INDEXER_PORT',
  log,
  onShutdown: async () => {
    await writer?.stop();
    await Promise.all(Object.values(dependencies).map((dep) => dep.close()));
  },
});
