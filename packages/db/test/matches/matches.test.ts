import {
  appendMatchActions,
  beginMatch,
  claimMatch,
  createMatch,
  findAbandonedMatches,
  getActiveGameData,
  getRating,
  type LoadedGameData,
  listLadder,
  seedGameData,
  settleAbandonedMatch,
  settleMatch,
} from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { AppError } from '@harvest/shared/errors';
import { createBattle, createRngFromSeed, verifyTranscript } from '@harvest/shared/rules';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoGameData } from '../gamedata/helpers.ts';
import { countSocketWrites } from '../socket-writes.ts';
import { newPlayer as createPlayer, rankedMatch as createRankedMatch, playOut as playMatchOut } from './helpers.ts';

const database = useTestDatabase();
let content: LoadedGameData;

beforeAll(async () => {
  await seedGameData(database.db, { content: repoGameData() });
  content = await getActiveGameData(database.db);
});

const newPlayer = () => createPlayer(database.db, content);
const playOut = (matchId: string, seed: string) => playMatchOut(database.db, matchId, seed);

const SEED = 'ab'.repeat(32);

/** A ranked match of two players' starter decks, with {@link SEED}. */
const rankedMatch = (a: { id: string; deckId: string }, b: { id: string; deckId: string }) =>
  createRankedMatch(database.db, content, a, b, SEED);

describe('matches', () => {
  it('locks both decks in_match, settles exactly once with rewards, ratings, released cards and a replayable transcript', async () => {
    const { db } = database;
    const [a, b] = [await newPlayer(), await newPlayer()];
    const created = await rankedMatch(a, b);
    expect(await db.cardInstance.count({ where: { matchId: created.matchId, state: 'in_match' } })).toBe(40);
    await expect(
      createMatch(db, {
        mode: 'casual',
        seats: [
          { playerId: a.id, deckId: a.deckId },
          { playerId: b.id, deckId: b.deckId },
        ],
        content,
      }),
    ).rejects.toMatchObject({ code: 'ALREADY_IN_MATCH' });
    await expect(settleMatch(db, created.matchId)).rejects.toMatchObject({ code: 'MATCH_NOT_OVER' });

    await playOut(created.matchId, SEED);
    const goldBefore = await db.player.findMany({ where: { id: { in: [a.id, b.id] } }, select: { id: true, gold: true } });
    const settlements = await Promise.all([
      settleMatch(db, created.matchId),
      settleMatch(db, created.matchId),
      settleMatch(db, created.matchId),
    ]);
    expect(settlements.filter((s) => s.settled)).toHaveLength(1);
    const result = settlements[0]?.result;
    expect(result?.status).toBe('finished');
    expect(result?.seed).toBe(SEED);

    const match = await db.match.findUniqueOrThrow({ where: { id: created.matchId } });
    const transcript = match.transcript as never;
    const stored = match.result as { winner: 0 | 1 | null; engineReason: 'hero_destroyed'; turns: number };
    expect(
      verifyTranscript(transcript, created.seedCommitment, { winner: stored.winner, reason: stored.engineReason, turn: stored.turns }),
    ).toEqual({
      ok: true,
    });
    expect(await db.cardInstance.count({ where: { id: { in: [...a.cardIds, ...b.cardIds] }, state: 'in_game', matchId: null } })).toBe(40);
    const rewards = await db.ledgerEntry.findMany({ where: { referenceId: created.matchId, asset: 'gold' } });
    const paid = new Map<string, number>();
    for (const r of rewards) paid.set(r.playerId, (paid.get(r.playerId) ?? 0) + r.delta);
    const goldAfter = await db.player.findMany({ where: { id: { in: [a.id, b.id] } }, select: { id: true, gold: true } });
    for (const after of goldAfter) {
      const before = goldBefore.find((p) => p.id === after.id)?.gold ?? 0;
      expect(after.gold - before).toBe(paid.get(after.id));
    }
    if (match.winnerId) {
      expect(paid.get(match.winnerId)).toBe(50 + 100);
      const loser = match.winnerId === a.id ? b.id : a.id;
      expect(paid.get(loser)).toBe(15);
      expect((await getRating(db, match.winnerId)).rating).toBeGreaterThan(1500);
      expect((await getRating(db, loser)).rating).toBeLessThan(1500);
    }
    expect(await db.outboxEvent.count({ where: { key: created.matchId, type: 'game_ended' } })).toBe(1);
    const ladder = await listLadder(db, { limit: 1 });
    expect(ladder.entries).toHaveLength(1);
    const rest = await listLadder(db, { limit: 5, cursor: ladder.nextCursor ?? undefined });
    expect(rest.entries.map((e) => e.rank)).toEqual([2]);
  });

  it('settles a ranked match in five round trips, bonus included (one statement at a time took over twenty)', async () => {
    const { db } = database;
    const [a, b] = [await newPlayer(), await newPlayer()];
    const created = await rankedMatch(a, b);
    // Opens the pipelined pools' connections and loads the match's content version, so only the settlement is counted.
    await expect(settleMatch(db, created.matchId)).rejects.toMatchObject({ code: 'MATCH_NOT_OVER' });
    await playOut(created.matchId, SEED);
    const { writes, value } = await countSocketWrites(() => settleMatch(db, created.matchId));
    expect(value.settled).toBe(true);
    const match = await db.match.findUniqueOrThrow({ where: { id: created.matchId } });
    expect(match.winnerId).not.toBeNull();
    // One for the content version, then: BEGIN with the lock and the actions; both players' locks, rewards and
    // ratings; the winner's first-win bonus; the last writes with the result; COMMIT.
    expect(writes).toBeLessThanOrEqual(6);
    const ledger = await db.ledgerEntry.findMany({ where: { referenceId: created.matchId, asset: 'gold' } });
    expect(ledger.filter((l) => l.reason === 'match_first_win')).toHaveLength(1);
    expect(await db.cardInstance.count({ where: { id: { in: [...a.cardIds, ...b.cardIds] }, state: 'in_game', matchId: null } })).toBe(40);
    expect(await db.outboxEvent.count({ where: { key: created.matchId, type: 'game_ended' } })).toBe(1);
    expect((await getRating(db, match.winnerId as string)).games).toBe(1);
  });

  it('refuses an illegal deck naming its owner and changes nothing', async () => {
    const { db } = database;
    const [a, b] = [await newPlayer(), await newPlayer()];
    await db.$executeRaw`DELETE FROM deck_cards WHERE deck_id = ${b.deckId}::uuid AND position = 0`;
    const error = await createMatch(db, {
      mode: 'casual',
      seats: [
        { playerId: a.id, deckId: a.deckId },
        { playerId: b.id, deckId: b.deckId },
      ],
      content,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('DECK_ILLEGAL');
    expect((error as AppError).details?.playerId).toBe(b.id);
    expect(await db.cardInstance.count({ where: { id: { in: [...a.cardIds, ...b.cardIds] }, state: 'in_match' } })).toBe(0);
  });

  it('sweeps abandoned matches: a pending one is aborted, a running one is timed out by the rules and settled once', async () => {
    const { db } = database;
    const [a, b, c, d] = [await newPlayer(), await newPlayer(), await newPlayer(), await newPlayer()];
    const pending = await createMatch(db, {
      mode: 'casual',
      seats: [
        { playerId: a.id, deckId: a.deckId },
        { playerId: b.id, deckId: b.deckId },
      ],
      content,
    });
    const running = await createMatch(db, {
      mode: 'ranked',
      seats: [
        { playerId: c.id, deckId: c.deckId },
        { playerId: d.id, deckId: d.deckId },
      ],
      content,
      seed: SEED,
    });
    const record = await claimMatch(db, { matchId: running.matchId, roomId: 'dead-room' });
    const started = createBattle(record.setup, { rng: createRngFromSeed(SEED), now: 1_800_000_000_000 });
    if (!started.ok) throw new Error(started.violation.message);
    await beginMatch(db, { matchId: running.matchId, startedAtMs: 1_800_000_000_000 });
    await appendMatchActions(db, [
      { matchId: running.matchId, seq: 0, at: 1_800_000_001_000, action: { type: 'end_turn', seat: started.state.active } },
    ]);
    const later = new Date(Date.now() + 60_000);
    const abandoned = await findAbandonedMatches(db, { staleBefore: later });
    expect(abandoned).toEqual(expect.arrayContaining([pending.matchId, running.matchId]));
    const [p1, p2, r1, r2] = await Promise.all([
      settleAbandonedMatch(db, { matchId: pending.matchId, staleBefore: later }),
      settleAbandonedMatch(db, { matchId: pending.matchId, staleBefore: later }),
      settleAbandonedMatch(db, { matchId: running.matchId, staleBefore: later }),
      settleAbandonedMatch(db, { matchId: running.matchId, staleBefore: later }),
    ]);
    expect([p1.settled, p2.settled].filter(Boolean)).toHaveLength(1);
    expect([r1.settled, r2.settled].filter(Boolean)).toHaveLength(1);
    expect(p1.result.status).toBe('aborted');
    expect(r1.result.status).toBe('finished');
    expect(r1.result.reason).toBe('timeout');
    expect(await db.cardInstance.count({ where: { matchId: { in: [pending.matchId, running.matchId] } } })).toBe(0);
    expect(await db.ledgerEntry.count({ where: { referenceId: pending.matchId } })).toBe(0);
    expect(await db.outboxEvent.count({ where: { key: running.matchId, type: 'game_ended' } })).toBe(1);
    const match = await db.match.findUniqueOrThrow({ where: { id: running.matchId } });
    const stored = match.result as { winner: 0 | 1 | null; engineReason: 'timeouts'; turns: number };
    expect(
      verifyTranscript(match.transcript as never, running.seedCommitment, {
        winner: stored.winner,
        reason: stored.engineReason,
        turn: stored.turns,
      }).ok,
    ).toBe(true);
  });
});
