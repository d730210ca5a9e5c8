/**
 * Applying the committed migrations from code: used by the start and test commands and by
 * `@harvest/db/testing`. It runs the real `prisma migrate deploy` through the offline engine (see ./prisma.ts),
 * so what the tests and the stack get is exactly what production deploys get.
 */
import { runPrisma } from './prisma.ts';

/** Thrown when `prisma migrate deploy` fails; carries the CLI's output. */
export class MigrateDeployError extends Error {
  readonly output: string;

  constructor(code: number, output: string) {
    super(`prisma migrate deploy exited with code ${code}:\n${output}`);
    this.name = 'MigrateDeployError';
    this.output = output;
  }
}

/** What {@link migrateDeploy} reports. */
export interface MigrateDeployResult {
  /** The CLI's stdout and stderr. */
  output: string;
}

/**
 * Applies every pending migration in prisma/migrations to the database of `databaseUrl`, creating the database
 * first if it does not exist (the Prisma CLI does that for `migrate deploy`). Resolves when the database is up to
 * date; rejects with {@link MigrateDeployError} otherwise. Safe to call on an up-to-date database.
 */
export async function migrateDeploy(databaseUrl: string): Promise<MigrateDeployResult> {
  const run = await runPrisma(['migrate', 'deploy'], { env: { DATABASE_URL: databaseUrl } });
  const output = `${run.stdout}${run.stderr}`;
  // Prisma CLI 7.10 can exit 0 without output when its engine dies; only a positive statement counts as success.
  const succeeded = /All migrations have been successfully applied|No pending migrations to apply/.test(output);
  if (run.code !== 0 || !succeeded) throw new MigrateDeployError(run.code, output);
  return { output };
}
