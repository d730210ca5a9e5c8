/**
 * Instance servers as separate processes sharing Redis and PostgreSQL: two processes share matchmaking, seat
 * delivery and reconnection; and a process SIGKILLed mid-match leaves a match that a restarted process settles by
 * the rules, exactly once, with the cards released.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Client } from '@colyseus/sdk';
import type { BotMatch } from '@harvest/bot';
import { getRating } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { verifyTranscript } from '@harvest/shared/rules';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, newPrefix, seedRepoGameData, siweBot, startChild, startGameApi, testEnv } from './helpers.ts';

const database = useTestDatabase();
let api: Awaited<ReturnType<typeof startGameApi>>;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  await seedRepoGameData(database.db);
  api = await startGameApi(database.db);
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all([...children].map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : null)));
  await api?.close();
});

async function spawnServer(prefix: string): Promise<{ child: ChildProcess; url: string; port: number }> {
  const port = await freePort();
  const child = await startChild(testEnv({ databaseUrl: database.url, jwks: api.jwks, authRedisPrefix: api.redisPrefix, prefix }), port);
  children.add(child);
  return { child, url: `http://127.0.0.1:${port}`, port };
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

describe('instance servers in several processes', () => {
  it('two processes share matchmaking and reconnection: players on different processes are matched, play, and one comes back through its hub', async () => {
    const { db } = database;
    const prefix = newPrefix();
    const [p1, p2] = await Promise.all([spawnServer(prefix), spawnServer(prefix)]);
    const [a, b] = await Promise.all([siweBot(api.url, p1.url), siweBot(api.url, p2.url)]);
    try {
      const [fa, fb] = await Promise.all([a.queue('ranked'), b.queue('ranked')]);
      expect(fa.matchId).toBe(fb.matchId);
      // The room lives on one process: the player whose hub is on the other one got a seat across processes.
      const roomPort = (fa.reservation as { publicAddress?: string }).publicAddress;
      expect([`127.0.0.1:${p1.port}`, `127.0.0.1:${p2.port}`]).toContain(roomPort);

      const playB = b.play(fb);
      // A takes its seat, then its connection dies without a goodbye (no SDK reconnection: the app restarted).
      const room = await a.takeSeat(fa);
      await eventually(async () => (room.state as { phase?: string }).phase === 'running', 15_000, 'the battle to start');
      (room as unknown as { reconnection: { enabled: boolean } }).reconnection.enabled = false;
      room.connection.close(1000, 'app killed');
      await eventually(
        async () => (await db.match.findUniqueOrThrow({ where: { id: fa.matchId } })).status === 'in_progress',
        10_000,
        'the match to run',
      );

      // Back through the hub of its own process, which finds the room on whichever process holds it.
      const fresh = new Client(p1.url);
      fresh.auth.token = a.accessToken;
      const hub = await fresh.joinOrCreate('hub');
      hub.onMessage('*', () => undefined);
      const seat = (await hub.request('rejoin', {})) as { matchId: string; reservation: unknown };
      expect(seat.matchId).toBe(fa.matchId);
      await hub.leave(true);
      const [ma, mb] = await Promise.all([a.play({ matchId: fa.matchId, seat: fa.seat, reservation: seat.reservation }), playB]);
      expect(ma.result.status).toBe('finished');
      expect(ma.result.winnerId).toBe(mb.result.winnerId);
      const match = await db.match.findUniqueOrThrow({ where: { id: fa.matchId }, include: { players: true } });
      expect(match.status).toBe('finished');
      for (const p of match.players) expect((await getRating(db, p.playerId)).games).toBe(1);
      expect(await db.cardInstance.count({ where: { matchId: fa.matchId } })).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await Promise.all([kill(p1.child, 'SIGTERM'), kill(p2.child, 'SIGTERM')]);
    }
  });

  it('a process SIGKILLed mid-match: a restarted process settles the match by the rules, exactly once, and releases the cards', async () => {
    const { db } = database;
    const prefix = newPrefix();
    const p1 = await spawnServer(prefix);
    const [a, b] = await Promise.all([siweBot(api.url, p1.url, { thinkMs: 200 }), siweBot(api.url, p1.url, { thinkMs: 200 })]);
    try {
      const [fa, fb] = await Promise.all([a.queue('ranked'), b.queue('ranked')]);
      const games: Array<Promise<BotMatch | Error>> = [a.play(fa), b.play(fb)].map((p) => p.catch((e: Error) => e));
      await eventually(async () => (await db.matchAction.count({ where: { matchId: fa.matchId } })) >= 6, 60_000, 'six actions');
      await kill(p1.child, 'SIGKILL');
      const outcomes = await Promise.all(games);
      expect(outcomes.every((o) => o instanceof Error)).toBe(true);
      const killedAt = Date.now();
      const before = await db.match.findUniqueOrThrow({ where: { id: fa.matchId } });
      expect(before.status).toBe('in_progress');
      expect(await db.cardInstance.count({ where: { matchId: fa.matchId, state: 'in_match' } })).toBe(40);

      // Two processes come back and both sweep; the match settles once.
      const [p2, p3] = await Promise.all([spawnServer(prefix), spawnServer(prefix)]);
      const match = await eventually(
        async () => {
          const m = await db.match.findUniqueOrThrow({ where: { id: fa.matchId }, include: { players: true } });
          return m.status === 'finished' ? m : null;
        },
        120_000,
        'the abandoned match to be settled',
      );
      expect(Date.now() - killedAt).toBeLessThan(120_000);
      expect(await db.cardInstance.count({ where: { matchId: fa.matchId } })).toBe(0);
      const stored = match.result as { winner: 0 | 1 | null; engineReason: 'timeouts'; turns: number };
      expect(
        verifyTranscript(match.transcript as never, match.seedCommitment, {
          winner: stored.winner,
          reason: stored.engineReason,
          turn: stored.turns,
        }),
      ).toEqual({ ok: true });
      // Several more sweeps by both processes change nothing: one reward row each, one rating game, one game_ended.
      await new Promise((r) => setTimeout(r, 3_000));
      for (const p of match.players) {
        const rows = await db.ledgerEntry.findMany({ where: { playerId: p.playerId, referenceId: fa.matchId, asset: 'gold' } });
        // One row per reason (the match reward, and the first win of the day for the winner), summing to the reward.
        expect(new Set(rows.map((r) => r.reason)).size).toBe(rows.length);
        expect(rows.reduce((sum, r) => sum + r.delta, 0)).toBe(p.goldReward);
        expect(p.goldReward).toBeGreaterThan(0);
        expect((await getRating(db, p.playerId)).games).toBe(1);
      }
      expect(await db.outboxEvent.count({ where: { key: fa.matchId, type: 'game_ended' } })).toBe(1);
      await Promise.all([kill(p2.child, 'SIGTERM'), kill(p3.child, 'SIGTERM')]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
