/**
 * Reading game data on servers: getActiveGameData's cache, getGameDataVersion, the reload hook called directly
 * (the event-bus wiring is tested end to end in tools/gamedata/test/reload.test.ts), and listGameDataVersions.
 */
import {
  createDb,
  type Db,
  gameDataReloadHandler,
  getActiveGameData,
  getGameDataVersion,
  listGameDataVersions,
  publishGameData,
  rollbackGameData,
} from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { isAppError } from '@harvest/shared/errors';
import { contentHash, type GameData } from '@harvest/shared/gamedata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heliosAttack, repoGameData } from './helpers.ts';

const database = useTestDatabase();

/** A server's own client: its cache is separate from the test's client's. */
let server: Db;
beforeAll(() => {
  server = createDb({ databaseUrl: database.url, maxConnections: 2 });
});
afterAll(async () => {
  await server.$disconnect();
});

const attackOf = (data: GameData) => (data.cards.find((c) => c.id === 'helios-the-golden') as { attack: number } | undefined)?.attack;

describe('getActiveGameData', () => {
  it('says GAMEDATA_NOT_PUBLISHED before the first publish', async () => {
    const error = await getActiveGameData(server).catch((e: unknown) => e);
    expect(isAppError(error, 'GAMEDATA_NOT_PUBLISHED')).toBe(true);
  });

  it('returns the active version with its content and bound rules, from the cache on later calls', async () => {
    const data = repoGameData();
    await publishGameData(database.db, { content: data, author: 'fern', message: 'launch' });
    const active = await getActiveGameData(server);
    expect(active).toMatchObject({ version: 1, contentHash: contentHash(data), author: 'fern', message: 'launch', restoresVersion: null });
    expect(contentHash(active.data)).toBe(contentHash(data));
    expect(Object.keys(active.rules.cards)).toHaveLength(data.cards.length);
    expect(active.rules.deck.deckSize).toBe(data.battle.deckSize);
    expect(await getActiveGameData(server)).toBe(active);
  });

  it('keeps serving the cached version until maxAgeMs passes, then asks the database', async () => {
    await publishGameData(database.db, { content: heliosAttack(6), author: 'reed', message: 'nerf' });
    const cached = await getActiveGameData(server);
    expect(cached.version).toBe(1);
    expect(attackOf(cached.data)).toBe(7);
    const fresh = await getActiveGameData(server, { maxAgeMs: 0 });
    expect(fresh.version).toBe(2);
    expect(attackOf(fresh.data)).toBe(6);
    expect(await getActiveGameData(server)).toBe(fresh);
  });

  it('getGameDataVersion returns any stored version (what a running match recorded), or GAMEDATA_VERSION_NOT_FOUND', async () => {
    const v1 = await getGameDataVersion(server, 1);
    expect(attackOf(v1.data)).toBe(7);
    expect(await getGameDataVersion(server, 1)).toBe(v1);
    const missing = await getGameDataVersion(server, 42).catch((e: unknown) => e);
    expect(isAppError(missing, 'GAMEDATA_VERSION_NOT_FOUND')).toBe(true);
  });
});

describe('gameDataReloadHandler (the reload hook)', () => {
  it('makes getActiveGameData return the published version at once, and never moves back on a late event', async () => {
    const rolledBack = await rollbackGameData(database.db, { version: 1, author: 'fern', message: 'undo the nerf' });
    expect(rolledBack.version).toBe(3);
    expect((await getActiveGameData(server)).version).toBe(2);

    const handle = gameDataReloadHandler(server);
    await server.$transaction((tx) => handle(tx, { payload: { version: 3 } }));
    const active = await getActiveGameData(server);
    expect(active).toMatchObject({ version: 3, restoresVersion: 1 });
    expect(attackOf(active.data)).toBe(7);

    await server.$transaction((tx) => handle(tx, { payload: { version: 2 } }));
    expect((await getActiveGameData(server)).version).toBe(3);
  });

  it('fails (so the consumer retries) for a version it cannot load, leaving the cache as it was', async () => {
    const handle = gameDataReloadHandler(server);
    const error = await server.$transaction((tx) => handle(tx, { payload: { version: 77 } })).catch((e: unknown) => e);
    expect(isAppError(error, 'GAMEDATA_VERSION_NOT_FOUND')).toBe(true);
    expect((await getActiveGameData(server)).version).toBe(3);
  });

  it('keeps caches apart per client', async () => {
    const other = createDb({ databaseUrl: database.url, maxConnections: 1 });
    try {
      expect((await getActiveGameData(other)).version).toBe(3);
      await publishGameData(database.db, { content: heliosAttack(4), author: 'reed', message: 'nerf again' });
      const handle = gameDataReloadHandler(other);
      await other.$transaction((tx) => handle(tx, { payload: { version: 4 } }));
      expect((await getActiveGameData(other)).version).toBe(4);
      expect((await getActiveGameData(server)).version).toBe(3);
    } finally {
      await other.$disconnect();
    }
  });
});

describe('listGameDataVersions', () => {
  it('lists the history newest first with the active flag, rollbacks and summaries, in pages', async () => {
    const all = await listGameDataVersions(database.db);
    expect(all.map((v) => [v.version, v.active, v.restoresVersion, v.author])).toEqual([
      [4, true, null, 'reed'],
      [3, false, 1, 'fern'],
      [2, false, null, 'reed'],
      [1, false, null, 'fern'],
    ]);
    expect(all[0]?.summary).toEqual({ cards: { added: 0, removed: 0, changed: 1 } });
    expect(all[3]?.summary.cards?.added).toBeGreaterThanOrEqual(60);
    expect(all[3]?.publishedAt).toBeInstanceOf(Date);
    expect('content' in (all[0] as object)).toBe(false);
    const page = await listGameDataVersions(database.db, { limit: 2, before: 4 });
    expect(page.map((v) => v.version)).toEqual([3, 2]);
  });
});
