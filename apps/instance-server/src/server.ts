import { createLogger, postgresDependency, redisDependency, serve } from '@harvest/service';
import { buildApp } from './app.ts';
import { readEnv } from './env.ts';

const env = readEnv();
const log = createLogger('instance-server', env.LOG_LEVEL);
const dependencies = {
  database: postgresDependency(env.DATABASE_URL),
  redis: redisDependency(env.REDIS_URL),
};
const app = await buildApp({ log, dependencies });
await serve({
  app,
  host: env.HOST,
  port: env.INSTANCE_SERVER_PORT,
  portVariable: 'INSTANCE_SERVER_PORT',
  log,
  onShutdown: async () => {
    await Promise.all(Object.values(dependencies).map((dep) => dep.close()));
  },
});
