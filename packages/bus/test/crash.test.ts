/**
 * The crash test: 10,000 events across 100 keys go through the outbox, the relay and a consumer while the relay
 * process and the consumer process are each SIGKILLed three times at random moments and restarted. Afterwards
 * the consumer's effects number exactly 10,000 (nothing lost, nothing applied twice) and every key's effects are
 * in the order its events were committed.
 *
 * The relay is the real standalone relay (src/relay-main.ts); the consumer is test/fixtures/crash-consumer.ts (the
 * consumer framework over Redis Streams). The producer pauses at 90 % until all six kills have happened, so every
 * kill falls while events are still flowing, and each kill waits until its process was seen working again (so it
 * lands mid-work, not during a start-up). The seed of the random moments is printed, to replay a failure.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { appendEvents, type OutboxEventInput } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Child, REDIS_URL, spawnNode, uniquePrefix, waitFor } from './helpers.ts';

const RELAY_MAIN = fileURLToPath(new URL('../src/relay-main.ts', import.meta.url));
const CONSUMER = fileURLToPath(new URL('./fixtures/crash-consumer.ts', import.meta.url));
const EVENTS = 10_000;
const KEYS = 100;
const PER_KEY = EVENTS / KEYS;
const KILLS = 3;
const PARTITIONS = 8;
const LEASE_MS = 1_000;

const database = useTestDatabase();

beforeAll(async () => {
  await database.db.$executeRawUnsafe(
    'CREATE TABLE crash_effects (seq bigserial PRIMARY KEY, event_id uuid NOT NULL, key text NOT NULL, n int NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())',
  );
});

/** mulberry32: the random moments, reproducible from the printed seed. */
function seeded(seed: number): (min: number, max: number) => number {
  let a = seed >>> 0;
  return (min, max) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(min + unit * (max - min));
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function count(sql: string): Promise<number> {
  const rows = await database.db.$queryRawUnsafe<Array<{ n: bigint }>>(sql);
  return Number(rows[0]?.n ?? 0);
}

describe('crash test', () => {
  it(`applies ${EVENTS} events across ${KEYS} keys exactly once and in order per key while relay and consumer are SIGKILLed ${KILLS} times each`, async () => {
    const seed = Number(process.env.CRASH_SEED ?? randomInt(2 ** 31));
    process.stdout.write(`crash test seed ${seed} (CRASH_SEED=${seed} replays the same moments)\n`);
    const random = seeded(seed);
    const prefix = uniquePrefix('crash');
    const relayEnv = {
      DATABASE_URL: database.url,
      REDIS_URL,
      EVENT_BUS_PREFIX: prefix,
      EVENT_BUS_PARTITIONS: String(PARTITIONS),
      EVENT_RELAY_PORT: '0',
      LOG_LEVEL: 'info',
    };
    const consumerConfig = JSON.stringify({
      databaseUrl: database.url,
      redisUrl: REDIS_URL,
      prefix,
      partitions: PARTITIONS,
      leaseMs: LEASE_MS,
    });
    const startRelay = () => spawnNode(RELAY_MAIN, [], relayEnv);
    const startConsumer = () => spawnNode(CONSUMER, [consumerConfig], {});
    const running: Record<'relay' | 'consumer', Child> = { relay: startRelay(), consumer: startConsumer() };
    const kills: Array<{ who: string; at: number; produced: number; applied: number; unpublished: number }> = [];
    let produced = 0;

    try {
      await running.relay.waitForLine(/"msg":"relay active"/);
      await running.consumer.waitForLine(/"msg":"consumer ready"/);

      // Three kills of each process, each at a random moment after the process was seen working again (the
      // consumer committed effects, the relay published rows), each followed by a restart.
      const progress = {
        consumer: () => count('SELECT count(*) AS n FROM crash_effects'),
        relay: () => count('SELECT count(*) AS n FROM outbox WHERE published_at IS NOT NULL'),
      };
      const killer = async (who: 'relay' | 'consumer', ready: RegExp, restart: () => Child) => {
        for (let i = 0; i < KILLS; i++) {
          const before = await progress[who]();
          await waitFor(`the ${who} to make progress`, async () => (await progress[who]()) > before, 30_000);
          await sleep(random(0, 600));
          const [applied, unpublished] = await Promise.all([
            count('SELECT count(*) AS n FROM crash_effects'),
            count('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL'),
          ]);
          await running[who].kill();
          kills.push({ who, at: Date.now(), produced, applied, unpublished });
          await sleep(random(0, 300));
          running[who] = restart();
          await running[who].waitForLine(ready);
        }
      };
      const killers = Promise.all([
        killer('relay', /"msg":"relay active"/, startRelay),
        killer('consumer', /"msg":"consumer ready"/, startConsumer),
      ]);

      // Producers: four concurrent writers, each owning 25 keys and appending each key's events in order, in
      // transactions of 1-8 events.
      const keys = Array.from({ length: KEYS }, () => randomUUID());
      const produce = async (owned: string[]) => {
        const next = new Map(owned.map((key) => [key, 0]));
        while (next.size > 0) {
          if (produced >= EVENTS * 0.9 && kills.length < 2 * KILLS) {
            await sleep(20);
            continue;
          }
          const batch: OutboxEventInput<'harvested'>[] = [];
          const size = random(1, 9);
          for (let i = 0; i < size && next.size > 0; i++) {
            const open = [...next.keys()];
            const key = open[random(0, open.length)] as string;
            const n = next.get(key) as number;
            batch.push({ type: 'harvested', key, payload: { playerId: key, plot: n, cropId: 'wheat', quantity: 1, withered: false } });
            if (n + 1 === PER_KEY) next.delete(key);
            else next.set(key, n + 1);
          }
          await database.db.$transaction((tx) => appendEvents(tx, batch));
          produced += batch.length;
          await sleep(random(0, 6));
        }
      };
      await Promise.all([0, 1, 2, 3].map((w) => produce(keys.slice(w * 25, (w + 1) * 25))));
      await killers;
      expect(produced).toBe(EVENTS);

      await waitFor(`${EVENTS} effects`, async () => (await count('SELECT count(*) AS n FROM crash_effects')) >= EVENTS, 40_000);
      // Settle: nothing left to publish or to acknowledge, and no late duplicate shows up.
      await waitFor(
        'the outbox published',
        async () => (await count('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL')) === 0,
        10_000,
      );
      await sleep(1_000);

      expect(await count('SELECT count(*) AS n FROM crash_effects')).toBe(EVENTS);
      expect(await count('SELECT count(DISTINCT event_id) AS n FROM crash_effects')).toBe(EVENTS);
      const perKey = await database.db.$queryRawUnsafe<Array<{ key: string; ns: number[] }>>(
        'SELECT key, array_agg(n ORDER BY seq) AS ns FROM crash_effects GROUP BY key',
      );
      expect(perKey).toHaveLength(KEYS);
      const inOrder = Array.from({ length: PER_KEY }, (_, n) => n);
      for (const { key, ns } of perKey) expect({ key, ns }).toEqual({ key, ns: inOrder });

      // Every kill fell while events were still flowing.
      expect(kills.filter((kill) => kill.who === 'relay')).toHaveLength(KILLS);
      expect(kills.filter((kill) => kill.who === 'consumer')).toHaveLength(KILLS);
      for (const kill of kills) expect(kill.applied).toBeLessThan(EVENTS);
      process.stdout.write(
        `crash test kills: ${kills.map((k) => `${k.who}@produced=${k.produced},applied=${k.applied},unpublished=${k.unpublished}`).join(' ')}\n`,
      );
    } finally {
      await Promise.all([running.relay.kill(), running.consumer.kill()]);
    }
  }, 90_000);
});
