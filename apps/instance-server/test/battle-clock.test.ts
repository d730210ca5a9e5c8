/**
 * The battle room's clocks and endings through real clients, on a server with a 1-second turn timer and reconnection
 * window: a turn that runs out is timed out and three in a row forfeit; a player who leaves and does not come back
 * forfeits; a concession ends the match. Each ending is settled once and replays from the stored transcript.
 */
import type { Room } from '@colyseus/sdk';
import type { Bot } from '@harvest/bot';
import { useTestDatabase } from '@harvest/db/testing';
import { verifyTranscript } from '@harvest/shared/rules';
import { describe, expect, it } from 'vitest';
import { eventually, guestBot, useInstanceStack } from './helpers.ts';

const database = useTestDatabase();
const stack = useInstanceStack(database, { BATTLE_TURN_SECONDS: '1', BATTLE_RECONNECT_SECONDS: '1' });

interface Seated {
  bots: [Bot, Bot];
  rooms: [Room, Room];
  matchId: string;
  ended: [Promise<{ winnerId: string | null; reason: string | null }>, Promise<{ winnerId: string | null; reason: string | null }>];
}

/** Two guests queue casual and take their seats; nobody acts unless the test does. */
async function seat(): Promise<Seated> {
  const bots = (await Promise.all([guestBot(stack.api.url, stack.serverUrl), guestBot(stack.api.url, stack.serverUrl)])) as [Bot, Bot];
  const found = await Promise.all(bots.map((b) => b.queue('casual')));
  const rooms = (await Promise.all(bots.map((b, i) => b.takeSeat(found[i] as NonNullable<(typeof found)[number]>)))) as [Room, Room];
  const ended = rooms.map(
    (room) =>
      new Promise<{ winnerId: string | null; reason: string | null }>((resolve) => {
        room.onMessage('ended', resolve);
        room.onMessage('*', () => undefined);
      }),
  ) as Seated['ended'];
  return { bots, rooms, matchId: found[0]?.matchId as string, ended };
}

async function settled(matchId: string) {
  const { db } = database;
  const match = await eventually(
    async () => {
      const m = await db.match.findUniqueOrThrow({ where: { id: matchId }, include: { players: true } });
      return m.status === 'finished' ? m : null;
    },
    20_000,
    'the match to be settled',
  );
  const stored = match.result as { winner: 0 | 1 | null; engineReason: never; turns: number };
  expect(
    verifyTranscript(match.transcript as never, match.seedCommitment, {
      winner: stored.winner,
      reason: stored.engineReason,
      turn: stored.turns,
    }),
  ).toEqual({ ok: true });
  expect(await db.cardInstance.count({ where: { matchId } })).toBe(0);
  return { match, stored };
}

describe('battle clocks and endings', () => {
  it('times out a turn that runs out, and three timeouts in a row forfeit', async () => {
    const { bots, rooms, matchId, ended } = await seat();
    try {
      await eventually(async () => (rooms[0].state as { phase?: string }).phase === 'running', 10_000, 'the battle to start');
      const first = (rooms[0].state as { active: number }).active;
      // Nobody acts: the active player's turn times out after 1 s and the other player's turn begins.
      await eventually(async () => (rooms[0].state as { active: number }).active !== first, 5_000, 'the first timeout');
      const result = await ended[0];
      const { match, stored } = await settled(matchId);
      expect(stored.engineReason).toBe('timeouts');
      const actions = (match.transcript as { actions: Array<{ action: { type: string } }> }).actions;
      expect(actions.every((a) => a.action.type === 'timeout')).toBe(true);
      // The first player times out first, so theirs is the third timeout in a row: the other seat wins.
      expect(result.winnerId).toBe(match.players.find((p) => p.seat !== first)?.playerId);
    } finally {
      await Promise.all(bots.map((b) => b.close()));
    }
  });

  it('forfeits a player who leaves and is not back within the reconnection window', async () => {
    const { bots, rooms, matchId, ended } = await seat();
    try {
      await eventually(async () => (rooms[0].state as { phase?: string }).phase === 'running', 10_000, 'the battle to start');
      const stayer = bots[1];
      await rooms[0].leave(true);
      const result = await ended[1];
      expect(result.winnerId).toBe(stayer.playerId);
      const { stored } = await settled(matchId);
      expect(stored.engineReason).toBe('forfeit');
    } finally {
      await Promise.all(bots.map((b) => b.close()));
    }
  });

  it('ends the match on a concession, once, and refuses anything after it', async () => {
    const { bots, rooms, matchId, ended } = await seat();
    try {
      await eventually(async () => (rooms[0].state as { phase?: string }).phase === 'running', 10_000, 'the battle to start');
      await rooms[1].request('concede', {});
      const result = await ended[0];
      expect(result.winnerId).toBe(bots[0].playerId);
      const { stored } = await settled(matchId);
      expect(stored.engineReason).toBe('concede');
      const after = await rooms[0].request('endTurn', {}).then(
        () => null,
        (e: { reason?: { code: string } }) => e.reason?.code,
      );
      expect(['BATTLE_ENDED', 'NOT_YOUR_TURN']).toContain(after);
    } finally {
      await Promise.all(bots.map((b) => b.close()));
    }
  });
});
