/** seedGameData: version 1 on an empty database, nothing otherwise, however many run at once. */
import { createDb, type Db, publishGameData, seedGameData } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { isAppError } from '@harvest/shared/errors';
import { contentHash } from '@harvest/shared/gamedata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counts, heliosAttack, repoGameData, withCard } from './helpers.ts';

const database = useTestDatabase();
let clients: Db[] = [];
beforeAll(() => {
  clients = Array.from({ length: 3 }, () => createDb({ databaseUrl: database.url, maxConnections: 1 }));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.$disconnect()));
});

describe('seedGameData', () => {
  it('publishes version 1 once when several seeds race on an empty database', async () => {
    const data = repoGameData();
    const results = await Promise.all(clients.map((db) => seedGameData(db, { content: data })));
    expect(results.filter((r) => r.seeded)).toEqual([{ seeded: true, version: 1, contentHash: contentHash(data) }]);
    expect(results.filter((r) => !r.seeded)).toEqual([
      { seeded: false, version: 1 },
      { seeded: false, version: 1 },
    ]);
    const row = await database.db.gameDataVersion.findUniqueOrThrow({ where: { version: 1 } });
    expect(row).toMatchObject({ author: 'seed', message: 'initial game data', active: true });
    expect(await counts(database.db)).toMatchObject({ versions: 1, events: 1, active: 1, cards: data.cards.length });
  });

  it('is a no-op once a history exists, even with other content, and leaves a later publish active', async () => {
    await publishGameData(database.db, { content: heliosAttack(6), author: 'reed', message: 'nerf' });
    const before = await counts(database.db);
    expect(await seedGameData(database.db, { content: repoGameData() })).toEqual({ seeded: false, version: 2 });
    expect(await seedGameData(database.db, { content: heliosAttack(3) })).toEqual({ seeded: false, version: 2 });
    expect(await counts(database.db)).toEqual(before);
  });

  it('does not even validate the content when there is nothing to seed, but refuses invalid content on an empty database', async () => {
    const broken = withCard(repoGameData(), 'helios-the-golden', (card) => ({ ...card, cost: 99 }));
    expect(await seedGameData(database.db, { content: broken })).toEqual({ seeded: false, version: 2 });
    await database.db.$executeRawUnsafe('TRUNCATE game_data_versions CASCADE');
    const error = await seedGameData(database.db, { content: broken }).catch((e: unknown) => e);
    expect(isAppError(error, 'GAMEDATA_INVALID')).toBe(true);
    expect(await database.db.gameDataVersion.count()).toBe(0);
  });
});
