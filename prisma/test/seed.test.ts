/**
 * prisma/seed.ts as `npm start` runs it (`node prisma/seed.ts` with DATABASE_URL): version 1 from gamedata/ on an
 * empty database, a no-op on every later run and when several start at once, and it never resets a history.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishGameData } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import type { GameData } from '@harvest/shared/gamedata';
import { describe, expect, it } from 'vitest';

const SEED = join(import.meta.dirname, '..', 'seed.ts');
const GAMEDATA = join(import.meta.dirname, '..', '..', 'gamedata');
const database = useTestDatabase();

function seed(env: Record<string, string>, ...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SEED, ...args], { env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout, stderr) => {
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function state() {
  const db = database.db;
  const versions = await db.gameDataVersion.findMany({
    orderBy: { version: 'asc' },
    select: { version: true, author: true, active: true },
  });
  const events = await db.outboxEvent.count({ where: { type: 'gamedata_published' } });
  return { versions, events };
}

describe('prisma/seed.ts', () => {
  it('refuses to run without DATABASE_URL', async () => {
    const r = await seed({});
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('seed: DATABASE_URL is required');
  });

  it('refuses a broken gamedata directory on an empty database, writing nothing', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'seed-')), 'gamedata');
    cpSync(GAMEDATA, dir, { recursive: true });
    writeFileSync(join(dir, 'broken.yaml'), 'cards:\n  - id: broken\n    name: Broken\n');
    const r = await seed({ DATABASE_URL: database.url }, '--dir', dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/broken\.yaml:\d+:\d+: error/);
    expect(await state()).toEqual({ versions: [], events: 0 });
  });

  it('publishes gamedata/ as version 1 once, however many seeds run, together or one after another', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => seed({ DATABASE_URL: database.url })));
    expect(runs.map((r) => r.status)).toEqual([0, 0, 0]);
    const published = runs.filter((r) => r.stdout.includes('published game data version 1'));
    expect(published).toHaveLength(1);
    expect(runs.filter((r) => r.stdout.includes('game data version 1 exists; nothing to seed'))).toHaveLength(2);
    expect(await state()).toEqual({ versions: [{ version: 1, author: 'seed', active: true }], events: 1 });

    const again = await seed({ DATABASE_URL: database.url });
    expect(again.status).toBe(0);
    expect(again.stdout.trim()).toBe('seed: game data version 1 exists; nothing to seed');
    expect(await state()).toEqual({ versions: [{ version: 1, author: 'seed', active: true }], events: 1 });
  });

  it('leaves a later publish alone', async () => {
    const current = (await database.db.gameDataVersion.findUniqueOrThrow({ where: { version: 1 } })).content as GameData;
    const changed = structuredClone(current);
    changed.battle.heroHealth = current.battle.heroHealth + 5;
    await publishGameData(database.db, { content: changed, author: 'fern', message: 'tougher heroes' });
    const r = await seed({ DATABASE_URL: database.url });
    expect(r.stdout.trim()).toBe('seed: game data version 2 exists; nothing to seed');
    expect((await state()).versions.map((v) => [v.version, v.active])).toEqual([
      [1, null],
      [2, true],
    ]);
  });
});
