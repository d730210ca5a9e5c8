import { createHttpApp, type Dependency, type Logger } from '@harvest/service';
import type { FastifyInstance } from 'fastify';

export interface AppDeps {
  log: Logger;
  /** Dependencies whose readiness /readyz reports. */
  dependencies: Record<string, Dependency>;
}

/** Builds the game-api HTTP app without listening, so tests drive it with `app.inject()`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = createHttpApp({ name: 'game-api', ...deps });
  return app;
}
