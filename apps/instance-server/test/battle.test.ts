import { getRating } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { verifyTranscript } from '@harvest/shared/rules';
import { describe, expect, it } from 'vitest';
import { guestBot, siweBot, useInstanceStack } from './helpers.ts';

const database = useTestDatabase();
const stack = useInstanceStack(database);

describe('ranked battle end to end', () => {
  it('two bots sign in, queue ranked, are matched and play to the end; result, ratings, rewards and a replayable transcript are stored', async () => {
    const { db } = database;
    const [a, b] = await Promise.all([siweBot(stack.api.url, stack.serverUrl), siweBot(stack.api.url, stack.serverUrl)]);
    try {
      const [fa, fb] = await Promise.all([a.queue('ranked'), b.queue('ranked')]);
      expect(fa.matchId).toBe(fb.matchId);
      expect(await db.cardInstance.count({ where: { matchId: fa.matchId, state: 'in_match' } })).toBe(40);
      const [ma, mb] = await Promise.all([a.play(fa), b.play(fb)]);
      expect(ma.result.status).toBe('finished');
      expect(ma.result.winnerId).toBe(mb.result.winnerId);
      // Each bot chose every action from its own synchronised state: none was refused, so what each client saw
      // (its hand, both boards, the turn) matched the server at every step.
      expect(ma.refused + mb.refused).toBe(0);
      expect(ma.actions + mb.actions).toBeGreaterThan(10);
      // Every accepted intent was timed into the /metrics histograms (answer, and its transcript row stored first).
      const metrics = await (await fetch(`${stack.serverUrl}/metrics`)).text();
      const count = (name: string) => Number(metrics.match(new RegExp(`^${name}_count(?:\\{[^}]*\\})? (\\d+)`, 'm'))?.[1]);
      // Each intent a bot saw answered was counted (the one ending the match may close the room before its answer),
      // each was stored first, and each stored action is a transcript row (timeouts add rows without intents).
      const rows = await db.matchAction.count({ where: { matchId: fa.matchId } });
      expect(count('battle_intent_seconds')).toBeGreaterThanOrEqual(ma.actions + mb.actions);
      expect(count('battle_transcript_store_seconds')).toBeGreaterThanOrEqual(count('battle_intent_seconds'));
      expect(count('battle_transcript_store_seconds')).toBeLessThanOrEqual(rows);
      expect(metrics).toMatch(/^battle_intent_seconds_bucket\{le="0\.05"[^}]*\} \d+/m);

      const match = await db.match.findUniqueOrThrow({ where: { id: fa.matchId }, include: { players: true } });
      expect(match.status).toBe('finished');
      expect(match.seed).toBe(ma.result.seed);
      const stored = match.result as { winner: 0 | 1 | null; engineReason: 'hero_destroyed'; turns: number };
      expect(
        verifyTranscript(match.transcript as never, match.seedCommitment, {
          winner: stored.winner,
          reason: stored.engineReason,
          turn: stored.turns,
        }),
      ).toEqual({ ok: true });
      expect(await db.matchAction.count({ where: { matchId: fa.matchId } })).toBe(
        (match.transcript as { actions: unknown[] }).actions.length,
      );
      for (const seat of match.players) {
        expect(seat.result).toMatch(/^(win|loss|draw)$/);
        expect(seat.ratingAfter).not.toBeNull();
        const gold = await db.ledgerEntry.aggregate({
          where: { playerId: seat.playerId, referenceId: fa.matchId, asset: 'gold' },
          _sum: { delta: true },
        });
        expect(gold._sum.delta).toBe(seat.goldReward);
        expect(seat.goldReward).toBe(seat.result === 'win' ? 150 : 15);
        expect((await getRating(db, seat.playerId)).games).toBe(1);
      }
      expect(await db.cardInstance.count({ where: { matchId: fa.matchId } })).toBe(0);
      expect(await db.outboxEvent.count({ where: { key: fa.matchId, type: { in: ['match_found', 'game_started', 'game_ended'] } } })).toBe(
        3,
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('refuses guests in ranked and lets them play casual', async () => {
    const guest = await guestBot(stack.api.url, stack.serverUrl);
    try {
      const hub = await guest.joinHub();
      const deckId = await guest.ensureDeck();
      const error = await hub.request('queue', { mode: 'ranked', deckId }).catch((e: { reason?: { code: string } }) => e.reason);
      expect(error).toMatchObject({ code: 'GUEST_RANKED_NOT_ALLOWED' });
      await expect(hub.request('queue', { mode: 'casual', deckId })).resolves.toMatchObject({ queued: true });
      await expect(hub.request('queue', { mode: 'casual', deckId }).catch((e: { reason?: unknown }) => e.reason)).resolves.toMatchObject({
        code: 'ALREADY_QUEUED',
      });
    } finally {
      await guest.close();
    }
  });
});
