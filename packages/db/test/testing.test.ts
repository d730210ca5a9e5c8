import { readdir } from 'node:fs/promises';
import { createDb } from '@harvest/db';
import { createTestDatabase, useTestDatabase } from '@harvest/db/testing';
import { MIGRATIONS_DIR } from '@harvest/prisma/migrate';
import { describe, expect, it } from 'vitest';

async function committedMigrations(): Promise<string[]> {
  return (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function databaseNames(): Promise<string[]> {
  const server = createDb({ databaseUrl: process.env.DATABASE_URL ?? '' });
  try {
    const rows = await server.$queryRaw<{ datname: string }[]>`SELECT datname FROM pg_database`;
    return rows.map((row) => row.datname);
  } finally {
    await server.$disconnect();
  }
}

describe('createTestDatabase', () => {
  it('gives each caller its own fully migrated database and drops it afterwards', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.name).not.toBe(b.name);
      expect(a.url).toContain(a.name);

      const migrations = await committedMigrations();
      for (const database of [a, b]) {
        const applied = await database.db.$queryRaw<{ migration_name: string }[]>`
          SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY 1`;
        expect(applied.map((row) => row.migration_name)).toEqual(migrations);
      }

      await a.db.player.create({ data: { displayName: 'only-in-a' } });
      expect(await a.db.player.count()).toBe(1);
      expect(await b.db.player.count()).toBe(0);
      await b.db.player.create({ data: { displayName: 'only-in-a' } }); // no unique clash across databases
      expect(await b.db.player.findMany({ select: { displayName: true } })).toEqual([{ displayName: 'only-in-a' }]);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
    const remaining = await databaseNames();
    expect(remaining).not.toContain(a.name);
    expect(remaining).not.toContain(b.name);
  });
});

describe('useTestDatabase', () => {
  const database = useTestDatabase();

  it('provides this file a migrated database through beforeAll', async () => {
    expect(database.name).toMatch(/^harvest_test_\d+_[0-9a-f]{12}$/);
    expect((await databaseNames()).includes(database.name)).toBe(true);
    const player = await database.db.player.create({ data: { isGuest: true } });
    expect(player.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(player.roles).toEqual(['player']);
  });
});
