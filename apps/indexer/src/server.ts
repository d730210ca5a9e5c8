import { ConfigError, chainDependency, createLogger, postgresDependency, serve } from '@harvest/service';
import { buildApp } from './app.ts';
import { chainConfigOf, defaultDeploymentsFile, readDeployments } from './config.ts';
import { readEnv } from './env.ts';
import { startIndexerProcess } from './runtime/main.ts';
import { createIndexerMetrics } from './runtime/metrics.ts';

const env = readEnv();
const log = createLogger('indexer', env.LOG_LEVEL);
let config: ReturnType<typeof chainConfigOf>;
try {
  config = chainConfigOf(env, readDeployments(env.DEPLOYMENTS_FILE ?? defaultDeploymentsFile(env.CHAIN_ID), env.CHAIN_ID));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`config error: ${error.message}\n`);
  process.exit(1);
}
const metrics = createIndexerMetrics(config.chainId);
const dependencies = {
  database: postgresDependency(env.DATABASE_URL),
  chain: chainDependency(env.CHAIN_RPC_URL, env.CHAIN_ID),
};
const app = await buildApp({ log, dependencies, registry: metrics.registry });
const writer = startIndexerProcess({ databaseUrl: env.DATABASE_URL, config, log, metrics });
writer.done.catch((error: unknown) => {
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
    await writer.stop();
    await Promise.all(Object.values(dependencies).map((dep) => dep.close()));
  },
});
