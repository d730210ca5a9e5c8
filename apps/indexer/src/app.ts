import { createHttpApp, type Dependency, type Logger } from '@harvest/service';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface AppDeps {
  log: Logger;
  /** Dependencies whose readiness /readyz reports. */
  dependencies: Record<string, Dependency>;
  /** The indexer's metrics (head lag, reorgs, events/s...), served at /metrics with the process metrics. */
  registry?: Registry;
}

/** Builds the indexer HTTP app without listening, so tests drive it with `app.inject()`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = createHttpApp({
    name: 'indexer',
    log: deps.log,
    dependencies: deps.dependencies,
    ...(deps.registry ? { registry: deps.registry } : {}),
  });
  return app;
}
