/**
 * Migrations and client generation from code (`@harvest/prisma/migrate`), for the start and test commands and
 * `@harvest/db/testing`. Both run the real Prisma CLI through the offline engine (see ./prisma.ts), so what the
 * tests and the stack get is exactly what production deploys get.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPrisma } from './prisma.ts';

const PRISMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Absolute path of prisma/migrations. */
export const MIGRATIONS_DIR = join(PRISMA_DIR, 'migrations');

/** Absolute path of prisma/schema.prisma. */
export const SCHEMA_PATH = join(PRISMA_DIR, 'schema.prisma');

/**
 * A digest of every committed migration (directory names and SQL). Two databases migrated from the same digest
 * have the same schema, which lets test helpers reuse a migrated template database until a migration changes.
 */
export async function migrationsChecksum(): Promise<string> {
  const hash = createHash('sha256');
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true });
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    hash.update(`${entry.name}\0`);
    hash.update(await readFile(join(MIGRATIONS_DIR, entry.name, 'migration.sql')));
    hash.update('\0');
  }
  return hash.digest('hex');
}

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

/**
 * Generates the Prisma client into packages/db/src/generated/prisma (needs no database). Rejects with the CLI's
 * output if generation fails.
 */
export async function generateClient(): Promise<void> {
  const run = await runPrisma(['generate']);
  const output = `${run.stdout}${run.stderr}`;
  if (run.code !== 0 || !output.includes('Generated Prisma Client')) {
    throw new Error(`prisma generate exited with code ${run.code}:\n${output}`);
  }
}
