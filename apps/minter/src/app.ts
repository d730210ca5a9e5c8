import { type Db, listDeadMintBatches } from '@harvest/db';
import { createHttpApp, type Dependency, type Logger } from '@harvest/service';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface AppDeps {
  log: Logger;
  /** Dependencies whose readiness /readyz reports. */
  dependencies: Record<string, Dependency>;
  registry?: Registry;
  db?: Db;
}

/**
 * The minter's INTERNAL HTTP app (MINTER_PORT, never exposed): /healthz, /readyz, /metrics, and the read-only
 * dead-letter list for operators (retrying one is `node apps/minter/src/cli.ts dead-letters retry <id>` or the
 * game-api admin route). Built without listening, so tests drive it with `app.inject()`.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = createHttpApp({
    name: 'minter',
    log: deps.log,
    dependencies: deps.dependencies,
    ...(deps.registry ? { registry: deps.registry } : {}),
  });
  const db = deps.db;
  if (db) app.get('/admin/dead-letters', async () => ({ deadLetters: await listDeadMintBatches(db) }));
  return app;
}
