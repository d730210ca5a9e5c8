/**
 * The transcript writer (src/matches/writer.ts) against real PostgreSQL: group inserts in order, a flush that waits
 * for everything, and a slow insert that holds up only its own batch.
 */
import { createDeck, createMatch, type Db, ensureStarterGrant, getActiveGameData, type LoadedGameData } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { createLogger } from '@harvest/service';
import { beforeAll, describe, expect, it } from 'vitest';
import { createActionWriter } from '../src/matches/writer.ts';
import { seedRepoGameData } from './helpers.ts';

const database = useTestDatabase();
const log = createLogger('writer-test', 'silent');
let content: LoadedGameData;

beforeAll(async () => {
  await seedRepoGameData(database.db);
  content = await getActiveGameData(database.db);
});

async function newMatch(db: Db): Promise<string> {
  const seats = [];
  for (let i = 0; i < 2; i++) {
    const player = await db.player.create({ data: {} });
    const grant = await ensureStarterGrant(db, player.id);
    const deck = await createDeck(db, { playerId: player.id, name: 'starter', cardIds: grant.granted ? grant.cardIds : [], content });
    seats.push({ playerId: player.id, deckId: deck.id });
  }
  const created = await createMatch(db, { mode: 'casual', seats: [seats[0], seats[1]] as never, content, seed: 'cd'.repeat(32) });
  return created.matchId;
}

const endTurn = (seat: 0 | 1) => ({ type: 'end_turn' as const, seat });
const stored = async (db: Db, matchId: string) =>
  (await db.$queryRaw<Array<{ seq: number }>>`SELECT seq FROM match_actions WHERE match_id = ${matchId}::uuid ORDER BY seq`).map(
    (r) => r.seq,
  );

describe('transcript writer', () => {
  it('stores every action of many rooms, and flush waits for all of them', async () => {
    const { db } = database;
    const [a, b] = [await newMatch(db), await newMatch(db)];
    const writer = createActionWriter(db, log, { maxBatch: 3 });
    const writes = [];
    for (let seq = 0; seq < 10; seq++) {
      writes.push(writer.write({ matchId: a, seq, at: 1_000 + seq, action: endTurn(0) }));
      writes.push(writer.write({ matchId: b, seq, at: 2_000 + seq, action: endTurn(1) }));
    }
    await writer.flush();
    expect(await stored(db, a)).toEqual([...Array(10).keys()]);
    expect(await stored(db, b)).toEqual([...Array(10).keys()]);
    await Promise.all(writes);
  });

  it('rejects the actions of a refused batch and stores the next ones', async () => {
    const { db } = database;
    const a = await newMatch(db);
    const writer = createActionWriter(db, log);
    await writer.write({ matchId: a, seq: 0, at: 1, action: endTurn(0) });
    // The same sequence number again: the primary key refuses the batch.
    await expect(writer.write({ matchId: a, seq: 0, at: 2, action: endTurn(0) })).rejects.toThrow();
    await writer.write({ matchId: a, seq: 1, at: 3, action: endTurn(1) });
    expect(await stored(db, a)).toEqual([0, 1]);
  });

  it('a slow insert holds up only its own batch: other rooms are stored meanwhile', async () => {
    const { db } = database;
    const [slow, other] = [await newMatch(db), await newMatch(db)];
    const writer = createActionWriter(db, log);
    // Another session locks the slow match's row: the insert's foreign-key check (FOR KEY SHARE) waits for it.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT 1 FROM matches WHERE id = ${slow}::uuid FOR UPDATE`;
        locked();
        await released;
      },
      { timeout: 20_000 },
    );
    try {
      await isLocked;
      let slowDone = false;
      const slowWrite = writer.write({ matchId: slow, seq: 0, at: 1, action: endTurn(0) }).then(() => {
        slowDone = true;
      });
      // Its batch is sent at the end of this turn of the event loop; the next write is another batch.
      await new Promise<void>((resolve) => setTimeout(resolve, 50));
      const outcome = await Promise.race([
        writer.write({ matchId: other, seq: 0, at: 2, action: endTurn(0) }).then(() => 'stored'),
        new Promise<string>((resolve) => setTimeout(() => resolve('waited'), 3_000)),
      ]);
      expect(outcome).toBe('stored');
      expect(slowDone).toBe(false);
      release();
      await holder;
      await slowWrite;
      await writer.flush();
      expect(await stored(db, slow)).toEqual([0]);
      expect(await stored(db, other)).toEqual([0]);
    } finally {
      release();
      await holder.catch(() => undefined);
    }
  });
});
