import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../scripts/migrate.ts';
import { prismaEnv, SCHEMA_ENGINE_PATH } from '../scripts/prisma.ts';
import { databaseExists, dropDatabases, query, serverUrl, startEngine, uniqueDatabaseName, urlOfDatabase } from './support.ts';

const created = new Set<string>();
afterAll(() => dropDatabases(created));

/** The migrations list the CLI sends (see `listMigrations` in @prisma/migrate). */
async function migrationsList() {
  const directories = (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return {
    baseDir: MIGRATIONS_DIR,
    lockfile: { path: 'migration_lock.toml', content: await readFile(join(MIGRATIONS_DIR, 'migration_lock.toml'), 'utf8') },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      directories.map(async (path) => ({
        path,
        migrationFile: {
          path: 'migration.sql',
          content: { tag: 'ok', value: await readFile(join(MIGRATIONS_DIR, path, 'migration.sql'), 'utf8') },
        },
      })),
    ),
  };
}

describe('the schema engine wrapper', () => {
  it('replays migrations in a temporary shadow database of its own, leaves the main database alone, and drops it', async () => {
    const main = uniqueDatabaseName('main');
    created.add(main);
    await query(serverUrl(), `CREATE DATABASE ${main}`);
    const mainUrl = urlOfDatabase(main);
    await query(mainUrl, 'CREATE TABLE sentinel (id int PRIMARY KEY); INSERT INTO sentinel VALUES (1)');

    const engine = startEngine(['--datasource', JSON.stringify({ url: mainUrl })]);
    const response = await engine.request('diff', {
      from: { tag: 'migrations', ...(await migrationsList()) },
      to: { tag: 'empty' },
      script: true,
      exitCode: true,
      filters: { externalTables: [], externalEnums: [] },
    });
    const { code, stderr } = await engine.close();

    // Migrations -> empty is a non-empty diff, which shows the shadow database really held the migrated schema.
    expect(response.error, JSON.stringify(response.error)).toBeUndefined();
    expect(response.result).toEqual({ exitCode: 2 });
    expect(code).toBe(0);
    const shadows = [...stderr.matchAll(/Created temporary shadow database \\"([^"\\]+)\\"/g)].map((m) => m[1] ?? '');
    expect(shadows.length).toBeGreaterThan(0);
    for (const shadow of shadows) {
      expect(shadow).not.toBe(main);
      expect(stderr).toContain(`Dropped temporary shadow database \\"${shadow}\\"`);
      expect(await databaseExists(shadow)).toBe(false);
    }
    expect(await query(mainUrl, 'SELECT id FROM sentinel')).toEqual([{ id: 1 }]);
    expect(await query(mainUrl, "SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'sentinel'")).toEqual([]);
  });

  it('empties a configured shadowDatabaseUrl before use and refuses one that reaches the main database', async () => {
    const [main, shadow] = [uniqueDatabaseName('main'), uniqueDatabaseName('shadow')];
    for (const name of [main, shadow]) {
      created.add(name);
      await query(serverUrl(), `CREATE DATABASE ${name}`);
    }
    const [mainUrl, shadowUrl] = [urlOfDatabase(main), urlOfDatabase(shadow)];
    await query(mainUrl, 'CREATE TABLE sentinel (id int PRIMARY KEY)');
    await query(shadowUrl, 'CREATE TABLE leftover (id int)');
    const diffFromMigrations = async () => ({
      from: { tag: 'migrations', ...(await migrationsList()) },
      to: { tag: 'empty' },
      script: false,
      exitCode: true,
      filters: { externalTables: [], externalEnums: [] },
    });

    // Twice: the first replay leaves the migrated tables in the shadow database, the second must still start clean.
    for (let run = 0; run < 2; run++) {
      const engine = startEngine(['--datasource', JSON.stringify({ url: mainUrl, shadowDatabaseUrl: shadowUrl })]);
      const response = await engine.request('diff', await diffFromMigrations());
      await engine.close();
      expect(response.error, JSON.stringify(response.error)).toBeUndefined();
      expect(response.result).toEqual({ exitCode: 2 });
    }
    expect(await query(shadowUrl, "SELECT 1 FROM pg_tables WHERE tablename = 'leftover'")).toEqual([]);

    const engine = startEngine(['--datasource', JSON.stringify({ url: mainUrl, shadowDatabaseUrl: mainUrl })]);
    const refused = await engine.request('diff', await diffFromMigrations());
    await engine.close();
    expect(refused.error?.data?.message).toContain('shadowDatabaseUrl reaches the main database');
    expect(await query(mainUrl, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).toEqual([{ tablename: 'sentinel' }]);
  });

  it('answers with an error response, not a silent exit, when it cannot start', async () => {
    const badArgs = startEngine(['--no-such-flag']);
    const first = await badArgs.request('getDatabaseVersion');
    expect(first.error?.data?.message).toContain('Unknown argument: --no-such-flag');
    await badArgs.close();

    const missing = uniqueDatabaseName('missing');
    const noDatabase = startEngine(['--datasource', JSON.stringify({ url: urlOfDatabase(missing) })]);
    const second = await noDatabase.request('getDatabaseVersion');
    expect(second.error?.data?.message).toContain(`Database \`${missing}\` does not exist`);
    await noDatabase.close();
  });

  it('reports the Wasm engine it runs on --version', async () => {
    const { stdout } = await promisify(execFile)(SCHEMA_ENGINE_PATH, ['--version'], { env: prismaEnv() });
    expect(stdout.trim()).toMatch(/^schema-engine-cli [0-9a-f]{40}$/);
  });
});
