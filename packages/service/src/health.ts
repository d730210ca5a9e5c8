import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** A readiness check: resolves when the dependency is usable, rejects otherwise. */
export type ReadinessCheck = () => Promise<unknown>;

export interface HealthOptions {
  /** The app's name, a label on every metric. */
  app: string;
  /** Dependencies that must answer before the process takes traffic. */
  checks?: Record<string, ReadinessCheck>;
  /** A registry of the app's own metrics; process metrics are added to it. */
  registry?: Registry;
  /** Milliseconds one check may take. */
  checkTimeoutMs?: number;
}

function withTimeout(check: ReadinessCheck, ms: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    check().then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * `/healthz` (the process is alive), `/readyz` (its dependencies answer: 503 naming the failing ones otherwise)
 * and `/metrics` (Prometheus text). Register it before the app's own routes.
 */
export function registerHealth(app: FastifyInstance, options: HealthOptions): Registry {
  const registry = options.registry ?? new Registry();
  registry.setDefaultLabels({ app: options.app });
  collectDefaultMetrics({ register: registry });
  const checks = options.checks ?? {};
  const timeout = options.checkTimeoutMs ?? 2000;
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });

  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    const failed: Record<string, string> = {};
    await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check, timeout);
        } catch (error) {
          failed[name] = error instanceof Error ? error.message : 'failed';
        }
      }),
    );
    if (draining) failed.process = 'shutting down';
    if (Object.keys(failed).length > 0) return reply.code(503).send({ status: 'unavailable', failed });
    return { status: 'ready' };
  });
  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}

export interface HttpAppOptions {
  /** The app's name: a label on metrics and logs. */
  name: string;
  log: import('pino').Logger;
  /** Dependencies whose readiness /readyz reports. */
  dependencies: Record<string, { check: ReadinessCheck }>;
  registry?: Registry;
}

/** A Fastify instance with the process endpoints registered; the app adds its domain plugins to it. */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  // pino's Logger is a FastifyBaseLogger; typing it as such keeps every app a plain FastifyInstance.
  const app: FastifyInstance = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    trustProxy: false,
    // Errors the router raises before any route (malformed URL encoding, a path parameter over 100 characters)
    // skip the error handler: answer them in the same `{ error: { code, message } }` shape.
    frameworkErrors: (error, _request, reply) => {
      const send = reply as unknown as { code(status: number): { send(body: unknown): unknown } };
      void send.code(error.statusCode ?? 400).send({ error: { code: 'BAD_REQUEST', message: error.message } });
    },
  });
  registerHealth(app, {
    app: options.name,
    ...(options.registry ? { registry: options.registry } : {}),
    checks: Object.fromEntries(Object.entries(options.dependencies).map(([key, dep]) => [key, dep.check])),
  });
  return app;
}
