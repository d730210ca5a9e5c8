import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../scripts/migrate.ts';
import { PRISMA_CONFIG_PATH, type PrismaRun, runPrisma } from '../scripts/prisma.ts';
import { copyPrismaDir, databaseExists, dropDatabases, query, serverUrl, uniqueDatabaseName, urlOfDatabase } from './support.ts';

const REPO_ROOT = join(PRISMA_CONFIG_PATH, '..', '..');
const created = new Set<string>();

function freshDatabase(label: string): { name: string; url: string } {
  const name = uniqueDatabaseName(label);
  created.add(name);
  return { name, url: urlOfDatabase(name) };
}

const outputOf = (run: PrismaRun) => `exit ${run.code}\n${run.stdout}\n${run.stderr}`;

async function committedMigrations(): Promise<string[]> {
  return (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function appliedMigrations(url: string): Promise<string[]> {
  const rows = await query<{ migration_name: string }>(
    url,
    'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY 1',
  );
  return rows.map((row) => row.migration_name);
}

async function tableExists(url: string, table: string): Promise<boolean> {
  return (await query(url, 'SELECT to_regclass($1) IS NOT NULL AS present', [`public.${table}`]))[0]?.present === true;
}

afterAll(() => dropDatabases(created));

describe('the Prisma CLI on the offline schema engine', () => {
  it('migrate deploy creates and migrates a fresh database, then status is clean and the CI drift check passes', async () => {
    const { name, url } = freshDatabase('deploy');
    const deploy = await runPrisma(['migrate', 'deploy'], { env: { DATABASE_URL: url } });
    expect(deploy.code, outputOf(deploy)).toBe(0);
    expect(deploy.stdout).toContain('All migrations have been successfully applied.');
    expect(await databaseExists(name)).toBe(true);
    expect(await appliedMigrations(url)).toEqual(await committedMigrations());

    // The hand-written CHECK constraints are all there. Describing them also exercises the engine's reading of
    // pg_constraint.contype, a "char" column adapter-pg cannot type by itself.
    const sql = (
      await Promise.all((await committedMigrations()).map((m) => readFile(join(MIGRATIONS_DIR, m, 'migration.sql'), 'utf8')))
    ).join('\n');
    const expectedChecks = [...sql.matchAll(/ADD CONSTRAINT "([^"]+)" CHECK/g)].map((match) => match[1]).sort();
    expect(expectedChecks.length).toBeGreaterThan(0);
    const checks = await query<{ conname: string }>(
      url,
      "SELECT conname FROM pg_constraint WHERE contype = 'c' AND connamespace = 'public'::regnamespace ORDER BY 1",
    );
    expect(checks.map((row) => row.conname)).toEqual(expectedChecks);

    const status = await runPrisma(['migrate', 'status'], { env: { DATABASE_URL: url } });
    expect(status.code, outputOf(status)).toBe(0);
    expect(status.stdout).toContain('Database schema is up to date!');

    // The drift check exactly as CI runs it, from the repository root.
    const drift = await runPrisma(
      ['migrate', 'diff', '--from-migrations', 'prisma/migrations', '--to-schema', 'prisma/schema.prisma', '--exit-code'],
      { env: { DATABASE_URL: serverUrl() }, cwd: REPO_ROOT },
    );
    expect(drift.code, outputOf(drift)).toBe(0);
    expect(drift.stdout).toContain('No difference detected.');
  });

  it('the drift check exits non-zero when the schema changes without a migration', async () => {
    const copy = await copyPrismaDir();
    try {
      const schemaPath = join(copy.dir, 'schema.prisma');
      const schema = await readFile(schemaPath, 'utf8');
      await writeFile(schemaPath, `${schema}\nmodel DriftProbe {\n  id Int @id\n\n  @@map("drift_probe")\n}\n`);
      const drift = await runPrisma(
        ['migrate', 'diff', '--from-migrations', join(copy.dir, 'migrations'), '--to-schema', schemaPath, '--exit-code'],
        { env: { DATABASE_URL: serverUrl() } },
      );
      expect(drift.code, outputOf(drift)).toBe(2);
      expect(drift.stdout).toContain('drift_probe');
    } finally {
      await copy.remove();
    }
  });

  it('applies a migration whose function body and comments contain semicolons', async () => {
    const copy = await copyPrismaDir();
    try {
      const dir = join(copy.dir, 'migrations', '29991231000000_semicolons');
      await mkdir(dir);
      await writeFile(
        join(dir, 'migration.sql'),
        [
          '-- A comment; with semicolons; in it.',
          'CREATE FUNCTION harvest_semicolons() RETURNS text LANGUAGE plpgsql AS $$',
          'BEGIN',
          '  PERFORM 1;',
          "  RETURN 'a;b';",
          'END;',
          '$$;',
          "COMMENT ON FUNCTION harvest_semicolons() IS 'one; two';",
          '',
        ].join('\n'),
      );
      const { url } = freshDatabase('semicolons');
      const deploy = await runPrisma(['migrate', 'deploy', '--config', copy.configPath], { env: { DATABASE_URL: url } });
      expect(deploy.code, outputOf(deploy)).toBe(0);
      expect((await query<{ value: string }>(url, 'SELECT harvest_semicolons() AS value'))[0]?.value).toBe('a;b');
      expect(await appliedMigrations(url)).toContain('29991231000000_semicolons');
    } finally {
      await copy.remove();
    }
  });

  it('migrate dev creates and applies migrations (also --create-only), and migrate reset --force starts over', async () => {
    const copy = await copyPrismaDir();
    try {
      const { url } = freshDatabase('dev');
      const env = { DATABASE_URL: url };
      const schemaPath = join(copy.dir, 'schema.prisma');
      const schema = await readFile(schemaPath, 'utf8');

      // On a fresh database, migrate dev first applies the committed migrations, then diffs the schema.
      await writeFile(
        schemaPath,
        `${schema}\nmodel SmokeNote {\n  id   Int    @id @default(autoincrement())\n  body String\n\n  @@map("smoke_notes")\n}\n`,
      );
      const dev = await runPrisma(['migrate', 'dev', '--name', 'add_smoke_notes', '--config', copy.configPath], { env });
      expect(dev.code, outputOf(dev)).toBe(0);
      const added = (await readdir(join(copy.dir, 'migrations'))).find((entry) => entry.endsWith('_add_smoke_notes'));
      expect(added).toBeDefined();
      expect(await readFile(join(copy.dir, 'migrations', `${added}`, 'migration.sql'), 'utf8')).toContain('CREATE TABLE "smoke_notes"');
      expect(await tableExists(url, 'smoke_notes')).toBe(true);
      expect(await appliedMigrations(url)).toEqual([...(await committedMigrations()), `${added}`].sort());

      // --create-only writes the migration without applying it; a later migrate dev applies it.
      await writeFile(
        schemaPath,
        `${schema}\nmodel SmokeNote {\n  id     Int     @id @default(autoincrement())\n  body   String\n  author String?\n\n  @@map("smoke_notes")\n}\n`,
      );
      const draft = await runPrisma(['migrate', 'dev', '--create-only', '--name', 'add_author', '--config', copy.configPath], { env });
      expect(draft.code, outputOf(draft)).toBe(0);
      const drafted = (await readdir(join(copy.dir, 'migrations'))).find((entry) => entry.endsWith('_add_author'));
      expect(drafted).toBeDefined();
      expect(await appliedMigrations(url)).not.toContain(drafted);
      const apply = await runPrisma(['migrate', 'dev', '--name', 'unused', '--config', copy.configPath], { env });
      expect(apply.code, outputOf(apply)).toBe(0);
      expect(await appliedMigrations(url)).toContain(drafted);
      expect(
        (await query(url, "SELECT 1 FROM information_schema.columns WHERE table_name = 'smoke_notes' AND column_name = 'author'")).length,
      ).toBe(1);

      await query(url, "INSERT INTO smoke_notes (body) VALUES ('to be reset')");
      const reset = await runPrisma(['migrate', 'reset', '--force', '--config', copy.configPath], { env });
      expect(reset.code, outputOf(reset)).toBe(0);
      expect(await query(url, 'SELECT 1 FROM smoke_notes')).toEqual([]);
      expect(await appliedMigrations(url)).toEqual([...(await committedMigrations()), `${added}`, `${drafted}`].sort());
    } finally {
      await copy.remove();
    }
  });
});
