/**
 * Concurrent publishes on a fresh database: the publish lock serialises them (the very first one included, when
 * there is no row to lock), so they number 1, 2, … or the later one is refused; there is never more than one
 * active version and never a duplicate number.
 */
import { createDb, type Db, publishGameData, seedGameData } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { isAppError } from '@harvest/shared/errors';
import { contentHash } from '@harvest/shared/gamedata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heliosAttack, publishedEvents, repoGameData } from './helpers.ts';

const database = useTestDatabase();

/** Separate clients (own pools), like separate designer CLIs or server processes. */
let clients: Db[] = [];
beforeAll(() => {
  clients = Array.from({ length: 4 }, () => createDb({ databaseUrl: database.url, maxConnections: 2 }));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.$disconnect()));
});

async function history(db: Db) {
  return db.gameDataVersion.findMany({ orderBy: { version: 'asc' }, select: { version: true, active: true, contentHash: true } });
}

describe('concurrent publishes', () => {
  it('two first publishes of the same content: version 1 and one GAMEDATA_NO_CHANGES refusal', async () => {
    const [a, b] = clients as [Db, Db];
    const data = repoGameData();
    const outcomes = await Promise.allSettled([
      publishGameData(a, { content: data, author: 'a', message: 'first' }),
      publishGameData(b, { content: data, author: 'b', message: 'first' }),
    ]);
    const published = outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value.version);
    const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason);
    expect(published).toEqual([1]);
    expect(refused).toHaveLength(1);
    expect(isAppError(refused[0], 'GAMEDATA_NO_CHANGES')).toBe(true);
    expect(await history(database.db)).toEqual([{ version: 1, active: true, contentHash: contentHash(data) }]);
    expect(await publishedEvents(database.db)).toHaveLength(1);
  });

  it('four publishes of different content at once: versions 2-5, each on its predecessor, one active', async () => {
    const results = await Promise.all(
      clients.map((client, i) =>
        publishGameData(client, { content: heliosAttack(i + 1), author: `designer-${i}`, message: `attack ${i + 1}` }),
      ),
    );
    expect(results.map((r) => r.version).sort()).toEqual([2, 3, 4, 5]);
    for (const r of results) expect(r.parent?.version).toBe(r.version - 1);
    const rows = await history(database.db);
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4, 5]);
    expect(rows.filter((r) => r.active === true)).toEqual([rows[4]]);
    // Each version's recorded parent hash is what was really stored before it.
    for (const r of results) expect(r.parent?.contentHash).toBe(rows[r.version - 2]?.contentHash);
    const events = await publishedEvents(database.db);
    expect(events.map((e) => (e.payload as { version: number }).version)).toEqual([1, 2, 3, 4, 5]);
  });

  it('a seed racing a publish never adds a second history', async () => {
    const [a, b] = clients as [Db, Db];
    const [seeded, published] = await Promise.all([
      seedGameData(a, { content: repoGameData() }),
      publishGameData(b, { content: heliosAttack(9), author: 'c', message: 'attack 9' }),
    ]);
    expect(seeded.seeded).toBe(false);
    expect(published.version).toBe(6);
    expect(await database.db.gameDataVersion.count({ where: { active: true } })).toBe(1);
  });
});
