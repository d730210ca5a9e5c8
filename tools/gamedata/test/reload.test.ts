/**
 * The reload hook end to end, as servers wire it: a publish appends `gamedata_published` to the outbox, the outbox
 * relay publishes it on the bus (Redis Streams), and each server process's consumer runs `gameDataReloadHandler`,
 * after which `getActiveGameData` in that process returns the new version, long before its cache would expire.
 * Two "server processes" (their own clients, transports and consumer groups) both reload.
 */
import { randomBytes } from 'node:crypto';
import { type Consumer, createConsumer, createRedisTransport, createRelay, type Relay, type Transport } from '@harvest/bus';
import { createDb, type Db, gameDataReloadHandler, getActiveGameData, publishGameData, rollbackGameData } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import type { GameData } from '@harvest/shared/gamedata';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { repoData } from './helpers.ts';

const REDIS_URL = process.env.REDIS_URL ?? '';
const log = pino({ level: process.env.GAMEDATA_TEST_LOG ?? 'silent' });
const database = useTestDatabase();
/** A cache lifetime far longer than the test: only the event can make a server see a new version. */
const NO_EXPIRY = { maxAgeMs: 10 * 60_000 };

const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  while (stops.length) await stops.pop()?.();
});

function transport(prefix: string): Transport {
  const t = createRedisTransport({ url: REDIS_URL, prefix, partitions: 2, log, leaseMs: 600, blockMs: 100 });
  stops.push(() => t.close());
  return t;
}

/** One server process: its own client (so its own cache), transport and consumer group. */
async function startServer(prefix: string, name: string): Promise<{ db: Db; consumer: Consumer }> {
  const db = createDb({ databaseUrl: database.url, maxConnections: 2 });
  stops.push(() => db.$disconnect());
  const consumer = createConsumer({
    name,
    handlers: { gamedata_published: gameDataReloadHandler(db) },
    transport: transport(prefix),
    db,
    log,
    retry: { baseMs: 10, maxMs: 50 },
  });
  stops.push(() => consumer.stop());
  return { db, consumer };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function withHeliosAttack(data: GameData, attack: number): GameData {
  const copy = structuredClone(data);
  const card = copy.cards.find((c) => c.id === 'helios-the-golden') as { attack: number };
  card.attack = attack;
  return copy;
}

describe('gamedata_published reload hook', () => {
  it('a consumer receiving the event makes getActiveGameData return the new version', async () => {
    if (!REDIS_URL) throw new Error('REDIS_URL is set by the test command (node scripts/run.mjs test)');
    const prefix = `t-gamedata-${randomBytes(4).toString('hex')}`;
    const data = repoData();
    await publishGameData(database.db, { content: data, author: 'fern', message: 'launch' });

    const a = await startServer(prefix, 'gamedata-reload-a');
    const b = await startServer(prefix, 'gamedata-reload-b');
    expect((await getActiveGameData(a.db, NO_EXPIRY)).version).toBe(1);
    expect((await getActiveGameData(b.db, NO_EXPIRY)).version).toBe(1);

    // Published while nothing relays the outbox: the servers' caches keep answering version 1.
    await publishGameData(database.db, { content: withHeliosAttack(data, 6), author: 'reed', message: 'nerf Helios' });
    expect((await getActiveGameData(a.db, NO_EXPIRY)).version).toBe(1);

    const relay: Relay = createRelay({ databaseUrl: database.url, transport: transport(prefix), log, pollMs: 20 });
    stops.push(() => relay.stop());
    await relay.whenActive();
    await a.consumer.start();
    await b.consumer.start();

    for (const server of [a, b]) {
      await waitFor('version 2 in the server cache', async () => (await getActiveGameData(server.db, NO_EXPIRY)).version === 2);
      const active = await getActiveGameData(server.db, NO_EXPIRY);
      expect((active.rules.cards['helios-the-golden'] as { attack: number }).attack).toBe(6);
    }

    // A rollback is a new version: the servers move forward to it, with the old content.
    await rollbackGameData(database.db, { version: 1, author: 'fern', message: 'undo' });
    for (const server of [a, b]) {
      await waitFor('version 3 in the server cache', async () => (await getActiveGameData(server.db, NO_EXPIRY)).version === 3);
      const active = await getActiveGameData(server.db, NO_EXPIRY);
      expect(active.restoresVersion).toBe(1);
      expect((active.rules.cards['helios-the-golden'] as { attack: number }).attack).toBe(7);
    }
    // Each consumer applied each event once.
    const processed = await database.db.processedEvent.groupBy({ by: ['consumer'], _count: { _all: true }, orderBy: { consumer: 'asc' } });
    expect(processed.map((p) => [p.consumer, p._count._all])).toEqual([
      ['gamedata-reload-a', 3],
      ['gamedata-reload-b', 3],
    ]);
  }, 60_000);
});
