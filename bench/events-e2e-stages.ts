/**
 * Profile of the event pipeline, stage by stage, on this machine (the companion of bench/events-e2e.ts, which
 * measures the stages together):
 *
 *   node scripts/run.mjs exec node bench/events-e2e-stages.ts [--rounds 3] [--events 20000] [--concurrency 32]
 *        [--partitions 16] [--only producer,relay,transport,consumer]
 *
 * Each stage runs alone (nothing else of the pipeline is running), `rounds` times; it prints every round, the
 * medians, and the load average before and after:
 *
 * - producer: `concurrency` concurrent Prisma transactions, as a service call makes them: an empty one (the floor
 *   any service transaction pays), one writing a bare outbox row (the floor of a transaction that writes, which
 *   waits for its WAL flush), one appending 1 event with `appendEvent`, one appending 50 with `appendEvents`.
 * - relay: the real relay (in this process) draining a backlog of `events` rows to Redis Streams; the time its
 *   transport spent publishing is reported beside, the rest is its reads and marks in PostgreSQL.
 * - transport: `transport.publish` alone in batches of 1000.
 * - consumer: a backlog of `events` messages in the streams drained by a subscription that only acknowledges
 *   (the transport's own cost), then by the consumer framework with a batch handler and with a per-event handler
 *   (the effect, one `bench_effects` row per event, and the processed-event records in one transaction per batch).
 *
 * Needs DATABASE_URL (a server where it may CREATE DATABASE; default 127.0.0.1:5432) and REDIS_URL (default
 * 127.0.0.1:6379); creates and drops its own database and uses its own Redis key prefix.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createConsumer, createRedisTransport, createRelay, type OutgoingMessage, type Transport } from '@harvest/bus';
import { appendEvent, appendEvents, createDb, type OutboxEventInput } from '@harvest/db';
import { migrateDeploy } from '@harvest/prisma/migrate';
import { parseEnv } from '@harvest/service';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { type Counter, Registry } from 'prom-client';
import { z } from 'zod';
import { benchEffectHandlers } from './bench-effects.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    events: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '32' },
    partitions: { type: 'string', default: '16' },
    only: { type: 'string', default: 'producer,relay,transport,consumer' },
  },
});
const ROUNDS = Number(values.rounds);
const EVENTS = Number(values.events);
const CONCURRENCY = Number(values.concurrency);
const PARTITIONS = Number(values.partitions);
const ONLY = new Set(String(values.only).split(','));
const env = parseEnv(
  z.object({
    DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
    REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  }),
  process.env,
);

const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const log = pino({ level: 'warn' });

const databaseName = `harvest_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
const databaseUrl = new URL(env.DATABASE_URL);
databaseUrl.pathname = `/${databaseName}`;
const admin = new pg.Client({ connectionString: env.DATABASE_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(databaseName)}`);
await migrateDeploy(databaseUrl.toString());
const db = createDb({ databaseUrl: databaseUrl.toString(), maxConnections: CONCURRENCY });
await db.$executeRawUnsafe(
  'CREATE TABLE bench_effects (event_id uuid NOT NULL, key text NOT NULL, n int NOT NULL, occurred_at timestamptz NOT NULL)',
);
const prefix = `bench-${randomBytes(4).toString('hex')}`;
const redis = new Redis(env.REDIS_URL);
const newTransport = () => createRedisTransport({ url: env.REDIS_URL, prefix, partitions: PARTITIONS, log });

const keys = Array.from({ length: 1000 }, () => randomUUID());
let sequence = 0;
function harvested(): OutboxEventInput<'harvested'> {
  const n = sequence++;
  const key = keys[n % keys.length] as string;
  return { type: 'harvested', key, payload: { playerId: key, plot: n % 1000, cropId: 'wheat', quantity: 1, withered: false } };
}

/** Runs `total` calls of `call` from CONCURRENCY workers; calls per second. */
async function concurrently(total: number, call: () => Promise<unknown>): Promise<number> {
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (issued < total) {
        issued++;
        await call();
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

/** Rounds of each variant, interleaved so that a change of machine load hits every variant alike. */
async function stage(title: string, variants: Record<string, () => Promise<number>>, unit: string): Promise<void> {
  say(`${title} (load ${loadavg()})`);
  const results = new Map<string, number[]>(Object.keys(variants).map((label) => [label, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [label, run] of Object.entries(variants)) results.get(label)?.push(await run());
  }
  for (const [label, rates] of results) {
    say(
      `  ${label.padEnd(58)} median ${median(rates).toFixed(0).padStart(6)} ${unit} = ${(1e6 / median(rates)).toFixed(1).padStart(6)} µs each   (rounds ${rates.map((r) => r.toFixed(0)).join(', ')})`,
    );
  }
  say(`  (load after: ${loadavg()})`);
}

/** Appends `count` events, 50 per transaction (untimed set-up of a backlog). */
async function appendBacklog(count: number): Promise<void> {
  for (let done = 0; done < count; done += 50) {
    const batch = Array.from({ length: Math.min(50, count - done) }, harvested);
    await db.$transaction((tx) => appendEvents(tx, batch));
  }
}

async function unpublished(): Promise<number> {
  const rows = await db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`;
  return Number(rows[0]?.n ?? 0);
}

/** Publishes `count` messages straight to the streams (untimed set-up of a consumer backlog). */
async function publishBacklog(transport: Transport, count: number): Promise<void> {
  for (let done = 0; done < count; done += 1000) {
    await transport.publish(Array.from({ length: Math.min(1000, count - done) }, () => toMessage(harvested())));
  }
}

function toMessage(event: OutboxEventInput<'harvested'>): OutgoingMessage {
  const id = randomUUID();
  const envelope = { id, type: 'harvested', version: 1, key: event.key, occurredAt: new Date().toISOString(), payload: event.payload };
  return { topic: 'economy', key: event.key, id, value: JSON.stringify(envelope) };
}

/** The relay draining a backlog: events per second, and the share of its time spent in transport.publish. */
async function relayRound(): Promise<{ rate: number; publishShare: number }> {
  await appendBacklog(EVENTS);
  const inner = newTransport();
  let publishMs = 0;
  const transport: Transport = {
    ...inner,
    async publish(messages) {
      const started = performance.now();
      await inner.publish(messages);
      publishMs += performance.now() - started;
    },
  };
  const started = performance.now();
  const relay = createRelay({ databaseUrl: databaseUrl.toString(), transport, log, pollMs: 5 });
  while ((await unpublished()) > 0) await sleep(5);
  const elapsed = performance.now() - started;
  await relay.stop();
  await inner.close();
  return { rate: EVENTS / (elapsed / 1000), publishShare: publishMs / elapsed };
}

/** A subscription (or consumer) draining a backlog of EVENTS messages: events per second until `done()` counts them all. */
async function drain(
  start: (transport: Transport) => Promise<{ done: () => Promise<number>; stop: () => Promise<void> }>,
): Promise<number> {
  const transport = newTransport();
  await publishBacklog(transport, EVENTS);
  const started = performance.now();
  const running = await start(transport);
  while ((await running.done()) < EVENTS) await sleep(2);
  const rate = EVENTS / ((performance.now() - started) / 1000);
  await running.stop();
  await transport.close();
  return rate;
}

/** The consumer framework over `transport` with a batch or a per-event handler; counts effects committed. */
async function startConsumer(transport: Transport, kind: 'batch' | 'event') {
  const registry = new Registry();
  const consumer = createConsumer({
    name: `c${++groups}`,
    db,
    transport,
    log,
    maxBatch: 200,
    registry,
    ...benchEffectHandlers(kind),
  });
  await consumer.start();
  // The framework counts an event after its transaction committed.
  const processed = registry.getSingleMetric('harvest_bus_events_processed_total') as Counter;
  return {
    done: async () => (await processed.get()).values.reduce((sum, value) => sum + value.value, 0),
    stop: () => consumer.stop(),
  };
}

let groups = 0;

try {
  say(
    `events-e2e-stages: ${EVENTS} events per backlog, ${CONCURRENCY} concurrent producers, ${PARTITIONS} partitions, medians of ${ROUNDS} rounds`,
  );
  if (ONLY.has('producer')) {
    const calls = Math.max(2000, EVENTS / 4);
    await concurrently(500, () => db.$transaction((tx) => appendEvent(tx, harvested()))); // warm-up
    await stage(
      `producer: ${calls} transactions from ${CONCURRENCY} concurrent callers`,
      {
        'empty Prisma transaction (SELECT 1)': () => concurrently(calls, () => db.$transaction((tx) => tx.$executeRaw`SELECT 1`)),
        'Prisma transaction + one plain INSERT into outbox (no key lock)': () =>
          concurrently(calls, () =>
            db.$transaction((tx) => {
              const event = harvested();
              return tx.$executeRaw`INSERT INTO outbox (event_id, type, version, key, payload, occurred_at)
                VALUES (${randomUUID()}::uuid, 'harvested', 1, ${event.key}, ${JSON.stringify(event.payload)}::jsonb, now())`;
            }),
          ),
        'Prisma transaction + appendEvent (1 event)': () =>
          concurrently(calls, () => db.$transaction((tx) => appendEvent(tx, harvested()))),
        'Prisma transaction + appendEvents (50 events), per event': async () =>
          50 *
          (await concurrently(calls / 10, () =>
            db.$transaction((tx) =>
              appendEvents(
                tx,
                Array.from({ length: 50 }, () => harvested()),
              ),
            ),
          )),
      },
      'tx/s',
    );
    await db.$executeRaw`UPDATE outbox SET published_at = now() WHERE published_at IS NULL`;
  }
  if (ONLY.has('relay')) {
    const shares: number[] = [];
    await stage(
      `relay: a backlog of ${EVENTS} outbox rows to Redis Streams`,
      {
        'relay (read 1000, publish, mark; pipelined)': async () => {
          const { rate, publishShare } = await relayRound();
          shares.push(publishShare);
          return rate;
        },
      },
      'ev/s',
    );
    say(`  share of the relay's time in transport.publish: median ${(median(shares) * 100).toFixed(0)} %`);
  }
  if (ONLY.has('transport')) {
    await stage(
      'transport: Redis Streams publish, batches of 1000',
      {
        'transport.publish (one script call per batch)': async () => {
          const transport = newTransport();
          const batches = Array.from({ length: EVENTS / 1000 }, () => Array.from({ length: 1000 }, () => toMessage(harvested())));
          const started = performance.now();
          for (const batch of batches) await transport.publish(batch);
          const rate = EVENTS / ((performance.now() - started) / 1000);
          await transport.close();
          return rate;
        },
      },
      'ev/s',
    );
  }
  if (ONLY.has('consumer')) {
    await stage(
      `consumer: a backlog of ${EVENTS} messages over ${PARTITIONS} partitions, batches <= 200`,
      {
        'subscription that only acknowledges (XREADGROUP + XACK)': () =>
          drain(async (transport) => {
            let acknowledged = 0;
            const subscription = await transport.subscribe({
              group: `g${++groups}`,
              topics: ['economy'],
              maxBatch: 200,
              handler: async (batch) => {
                await batch.ack(batch.messages);
                acknowledged += batch.messages.length;
              },
            });
            return { done: async () => acknowledged, stop: () => subscription.close() };
          }),
        'consumer framework, batch handler (one INSERT per batch)': () => drain((transport) => startConsumer(transport, 'batch')),
        'consumer framework, per-event handler (one INSERT per event)': () => drain((transport) => startConsumer(transport, 'event')),
      },
      'ev/s',
    );
  }
} finally {
  await db.$disconnect();
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (found.length > 0) await redis.unlink(...found);
  } while (cursor !== '0');
  redis.disconnect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`);
  await admin.end();
}
