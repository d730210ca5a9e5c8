/**
 * The standalone outbox relay: `node packages/bus/src/relay-main.ts` (or `npm run relay -w @harvest/bus`).
 * Serves /healthz, /readyz and /metrics on EVENT_RELAY_PORT; stops gracefully on SIGTERM (the lock passes to a
 * standby at once). Run as many as you like: one publishes, the others wait (see relay.ts).
 */
import { createHttpApp, createLogger, type Dependency, postgresDependency, redisDependency, serve } from '@harvest/service';
import { Registry } from 'prom-client';
import { createBusTransport } from './config.ts';
import { readRelayEnv } from './env.ts';
import { createRelay } from './relay.ts';

const env = readRelayEnv();
const log = createLogger('outbox-relay', env.LOG_LEVEL);
const registry = new Registry();
const transport = createBusTransport({ env, redisUrl: env.REDIS_URL, log });
const dependencies: Record<string, Dependency> = { database: postgresDependency(env.DATABASE_URL) };
if (env.EVENT_BUS === 'redis') dependencies.redis = redisDependency(env.REDIS_URL);
const relay = createRelay({ databaseUrl: env.DATABASE_URL, transport, log, registry });
const app = createHttpApp({ name: 'outbox-relay', log, dependencies, registry });
await serve({
  app,
  host: env.HOST,
  port: env.EVENT_RELAY_PORT,
  portVariable: 'EVENT_RELAY_PORT',
  log,
  onShutdown: async () => {
    // Closing the transport also interrupts a publish waiting on an unreachable broker.
    const stopped = relay.stop();
    await transport.close();
    await stopped;
    await Promise.all(Object.values(dependencies).map((dependency) => dependency.close()));
  },
});
