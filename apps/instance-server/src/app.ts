import { createHttpApp, type Dependency, type Logger } from '@harvest/service';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface AppDeps {
  log: Logger;
  /** Dependencies whose readiness /readyz reports. */
  dependencies: Record<string, Dependency>;
  /** Registry of the process's own metrics (bus consumer lag), served at /metrics. */
  registry?: Registry;
}

/** Builds the instance-server HTTP app without listening, so tests drive it with `app.inject()`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = createHttpApp({ name: 'instance-server', ...deps });
  return app;
}
