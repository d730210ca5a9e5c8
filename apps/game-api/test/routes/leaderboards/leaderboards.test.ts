import { acceptFriend, requestFriend } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPlayer, type Player, publishRepositoryGameData } from '../../economy-helpers.ts';
import { createTestApp, expectError, type TestApp } from '../../helpers.ts';

const database = useTestDatabase();
let t: TestApp;

beforeAll(async () => {
  await publishRepositoryGameData(database.db);
  t = await createTestApp(database.db);
});
afterAll(async () => {
  await t?.close();
});

type Entry = { rank: number; playerId: string; rating: number; games: number };
const ladder = async (player: Player, query = '') => {
  const response = await t.app.inject({ method: 'GET', url: `/v1/leaderboards/ranked${query}`, headers: player.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as { scope: string; entries: Entry[]; nextCursor: string | null };
};

describe('ranked leaderboard', () => {
  it('pages the global ladder best first with stable ranks, ranks friends among themselves, and refuses bad input', async () => {
    const { db } = database;
    const players = await Promise.all(Array.from({ length: 7 }, () => newPlayer(t.app)));
    // Ratings as settlements leave them; the last player never played ranked and stays off the ladder. The offset
    // keeps this test's players above any another test file left in the same database.
    const ratings = [1900, 1650, 1800, 1650, 1500, 1720];
    for (const [i, rating] of ratings.entries()) {
      await db.playerRating.create({
        data: { playerId: (players[i] as Player).id, rating: 10_000 + rating, games: 3, wins: 2, losses: 1 },
      });
    }
    const expected = ratings
      .map((rating, i) => ({ rating: 10_000 + rating, playerId: (players[i] as Player).id }))
      .sort((a, b) => b.rating - a.rating || (a.playerId < b.playerId ? 1 : -1));
    const viewer = players[6] as Player;

    const seen: Entry[] = [];
    let cursor: string | null = null;
    do {
      const page = await ladder(viewer, `?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.scope).toBe('global');
      seen.push(...page.entries);
      cursor = page.nextCursor;
    } while (cursor);
    const ours = seen.filter((e) => expected.some((x) => x.playerId === e.playerId));
    expect(ours.map((e) => e.playerId)).toEqual(expected.map((e) => e.playerId));
    expect(seen.map((e) => e.rank)).toEqual(seen.map((_, i) => i + 1));
    expect(seen.some((e) => e.playerId === viewer.id)).toBe(false);

    // Friends: the caller and accepted friends only (a pending request does not count).
    const me = players[1] as Player;
    for (const friend of [players[0], players[4]] as Player[]) {
      await requestFriend(db, { playerId: me.id, otherId: friend.id });
      await acceptFriend(db, { playerId: friend.id, otherId: me.id });
    }
    await requestFriend(db, { playerId: me.id, otherId: (players[2] as Player).id });
    const friends = await ladder(me, '?scope=friends');
    expect(friends.scope).toBe('friends');
    expect(friends.entries.map((e) => [e.rank, e.playerId])).toEqual([
      [1, (players[0] as Player).id],
      [2, me.id],
      [3, (players[4] as Player).id],
    ]);

    expectError(await t.app.inject({ method: 'GET', url: '/v1/leaderboards/ranked' }), 401, 'UNAUTHENTICATED');
    expectError(
      await t.app.inject({ method: 'GET', url: '/v1/leaderboards/ranked?cursor=bm9wZQ', headers: viewer.headers }),
      422,
      'CURSOR_INVALID',
    );
    expectError(
      await t.app.inject({ method: 'GET', url: '/v1/leaderboards/ranked?scope=everyone', headers: viewer.headers }),
      422,
      'VALIDATION_FAILED',
    );
    expectError(
      await t.app.inject({ method: 'GET', url: '/v1/leaderboards/ranked?limit=5000', headers: viewer.headers }),
      422,
      'VALIDATION_FAILED',
    );
  });
});
