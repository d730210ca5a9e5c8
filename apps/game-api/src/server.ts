import { chainDependency, createLogger, postgresDependency, redisDependency, serve } from '@harvest/service';
import { buildApp } from './app.ts';
import { readEnv } from './env.ts';

const env = readEnv();
const log = createLogger('game-api', env.LOG_LEVEL);
const dependencies = {
  database: postgresDependency(env.DATABASE_URL),
  redis: redisDependency(env.REDIS_URL),
  chain: chainDependency(env.CHAIN_RPC_URL, env.CHAIN_ID),
};
const app = await buildApp({ log, dependencies });
await serve({
  app,
  host: env.HOST,
  port: env.GAME_API_PORT,
  portVariable: 'GAME_API_PORT',
  log,
  onShutdown: async () => {
    await Promise.all(Object.values(dependencies).map((dep) => dep.close()));
  },
});
