/**
 * Benchmark: end-to-end events per second through the event bus on this machine, from `appendEvent` in a
 * producer transaction to the effect committed by a consumer.
 *
 *   node scripts/run.mjs exec node bench/events-e2e.ts [--rounds 5] [--events 20000] [--keys 1000]
 *        [--per-tx 1,10,50] [--concurrency 32] [--partitions 16] [--max-batch 200] [--handler batch|event] [--no-drain]
 *
 * Processes, as in production: this process is the producer (`concurrency` concurrent service calls, each one
 * PostgreSQL transaction appending `per-tx` events through `appendEvents`); the relay is the real standalone
 * relay (packages/bus/src/relay-main.ts) in its own process; the consumer (bench/events-e2e-consumer.ts) is the
 * consumer framework in its own process, inserting one row per event in the same transaction as its
 * processed-event record. PostgreSQL and Redis are their own processes; everything shares this machine's cores.
 *
 * A round produces `events` events over `keys` keys as fast as the producers can and measures until the last
 * effect is committed: events / (last effect - first append). It also reports the producers' own rate, the rate
 * at which the relay had published everything, and the end-to-end latency (event time to effect commit)
 * percentiles. First, unless --no-drain, it measures the bus alone: a backlog appended while the relay is stopped,
 * then drained by the relay and the consumer. Prints every round and the medians.
 *
 * Needs DATABASE_URL (a server where it may CREATE DATABASE; default the machine's 127.0.0.1:5432) and REDIS_URL
 * (default 127.0.0.1:6379); creates and drops its own database and uses its own Redis key prefix. EVENT_BUS=kafka
 * with KAFKA_BROKERS runs the same over Kafka.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { busEnv } from '@harvest/bus';
import { appendEvents, createDb, type OutboxEventInput } from '@harvest/db';
import { migrateDeploy } from '@harvest/prisma/migrate';
import { parseEnv } from '@harvest/service';
import { Redis } from 'ioredis';
import pg from 'pg';
import { z } from 'zod';

const { values } = parseArgs({
  allowNegative: true,
  options: {
    rounds: { type: 'string', default: '5' },
    events: { type: 'string', default: '20000' },
    keys: { type: 'string', default: '1000' },
    'per-tx': { type: 'string', default: '1,10,50' },
    concurrency: { type: 'string', default: '32' },
    partitions: { type: 'string', default: '16' },
    'max-batch': { type: 'string', default: '200' },
    handler: { type: 'string', default: 'batch' },
    drain: { type: 'boolean', default: true },
  },
});
const ROUNDS = Number(values.rounds);
const EVENTS = Number(values.events);
const KEYS = Number(values.keys);
const PER_TX = String(values['per-tx']).split(',').map(Number);
const CONCURRENCY = Number(values.concurrency);
const benchEnv = parseEnv(
  z.object({
    DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
    REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
    ...busEnv,
  }),
  process.env,
);
const busVars = {
  EVENT_BUS: benchEnv.EVENT_BUS,
  EVENT_BUS_PREFIX: `bench-${randomBytes(4).toString('hex')}`,
  EVENT_BUS_PARTITIONS: String(values.partitions),
  ...(benchEnv.KAFKA_BROKERS ? { KAFKA_BROKERS: benchEnv.KAFKA_BROKERS.join(',') } : {}),
  KAFKA_CLIENT_ID: benchEnv.KAFKA_CLIENT_ID,
};

const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A database of our own.
const databaseName = `harvest_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
const serverUrl = new URL(benchEnv.DATABASE_URL);
const databaseUrl = new URL(benchEnv.DATABASE_URL);
databaseUrl.pathname = `/${databaseName}`;
const admin = new pg.Client({ connectionString: serverUrl.toString() });
await admin.connect();
await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(databaseName)}`);
await migrateDeploy(databaseUrl.toString());
const db = createDb({ databaseUrl: databaseUrl.toString(), maxConnections: CONCURRENCY });
await db.$executeRawUnsafe(
  'CREATE TABLE bench_effects (event_id uuid NOT NULL, key text NOT NULL, n int NOT NULL, occurred_at timestamptz NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())',
);

interface Child {
  stop(): Promise<void>;
  /** The last `processed N` the child printed (the consumer's committed effects). */
  processed(): number;
  /** The batches (transactions on the fast path) the consumer had handled at its last `processed N batches M`. */
  batches(): number;
  /** Throws when the process has exited, so that no wait on it spins forever. */
  assertRunning(): void;
}

function startChild(args: string[], env: Record<string, string>, ready: RegExp): Promise<Child> {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let processed = 0;
  let batches = 0;
  let stopping = false;
  return new Promise((resolve, reject) => {
    const handle: Child = {
      stop: async () => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      },
      assertRunning: () => {
        if (!stopping && (child.exitCode !== null || child.signalCode !== null))
          throw new Error(`${args[0]} exited ${child.exitCode ?? child.signalCode}:\n${output.slice(-2000)}`);
      },
      processed: () => processed,
      batches: () => batches,
    };
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      for (const match of text.matchAll(/processed (\d+) batches (\d+)/g)) {
        processed = Number(match[1]);
        batches = Number(match[2]);
      }
      output = (output + text).slice(-20_000);
      if (ready.test(output)) resolve(handle);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args[0]} exited ${code}:\n${output.slice(-2000)}`)));
  });
}

const startRelay = () =>
  startChild(
    [fileURLToPath(new URL('../packages/bus/src/relay-main.ts', import.meta.url))],
    { DATABASE_URL: databaseUrl.toString(), REDIS_URL: benchEnv.REDIS_URL, EVENT_RELAY_PORT: '0', LOG_LEVEL: 'info', ...busVars },
    /"msg":"relay active"/,
  );
let relay = await startRelay();
const consumer = await startChild(
  [
    fileURLToPath(new URL('./events-e2e-consumer.ts', import.meta.url)),
    JSON.stringify({
      databaseUrl: databaseUrl.toString(),
      redisUrl: benchEnv.REDIS_URL,
      env: busVars,
      maxBatch: Number(values['max-batch']),
      handler: values.handler === 'event' ? 'event' : 'batch',
    }),
  ],
  {},
  /consumer ready/,
);

const keys: string[] = Array.from({ length: KEYS }, () => randomUUID());
const nextN = new Map<string, number>(keys.map((key) => [key, 0]));

interface Round {
  e2e: number;
  produce: number;
  relay: number;
  p50: number;
  p99: number;
  /** Events per relay read-publish-mark round and per consumer batch: how well the fixed costs were shared. */
  perRelayRound: number;
  perConsumerBatch: number;
}

const lastOutboxId = async () => (await db.$queryRaw<Array<{ id: bigint }>>`SELECT coalesce(max(id), 0) AS id FROM outbox`)[0]?.id ?? 0n;

/**
 * Relay rounds that published the rows after `afterId`: each round marks its rows in one UPDATE, so they share one
 * `published_at` (millisecond precision: two rounds in the same millisecond count once, so this is a lower bound).
 */
async function relayRounds(afterId: bigint): Promise<number> {
  const rows = await db.$queryRaw<Array<{ n: bigint }>>`SELECT count(DISTINCT published_at) AS n FROM outbox WHERE id > ${afterId}`;
  return Number(rows[0]?.n ?? 1n);
}

/** Appends `count` events in transactions of `perTx` from CONCURRENCY workers, each owning its keys. */
async function produce(count: number, perTx: number): Promise<number> {
  const transactions = Math.ceil(count / perTx);
  let issued = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      const owned = keys.filter((_, i) => i % CONCURRENCY === w);
      let k = 0;
      while (issued < transactions) {
        issued++;
        const batch: OutboxEventInput<'harvested'>[] = [];
        for (let i = 0; i < perTx; i++) {
          const key = owned[k++ % owned.length] as string;
          const n = nextN.get(key) as number;
          nextN.set(key, n + 1);
          batch.push({ type: 'harvested', key, payload: { playerId: key, plot: n, cropId: 'wheat', quantity: 1, withered: false } });
        }
        await db.$transaction((tx) => appendEvents(tx, batch));
      }
    }),
  );
  return transactions * perTx;
}

/**
 * The bus alone: with the relay stopped, a backlog is appended (untimed); then the relay starts and the clock runs
 * from its first publication round to the last effect committed.
 */
async function drainRound(): Promise<{ e2e: number; relay: number; perRelayRound: number; perConsumerBatch: number }> {
  await relay.stop();
  const before = consumer.processed();
  const batchesBefore = consumer.batches();
  const afterId = await lastOutboxId();
  const produced = await produce(EVENTS, 50);
  relay = await startRelay();
  const started = performance.now();
  let relayedAt = 0;
  const watchRelay = (async () => {
    while ((await db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`)[0]?.n !== 0n)
      await sleep(20);
    relayedAt = performance.now();
  })();
  while (consumer.processed() < before + produced) {
    consumer.assertRunning();
    relay.assertRunning();
    await sleep(2);
  }
  const finished = performance.now();
  await watchRelay;
  return {
    e2e: produced / ((finished - started) / 1000),
    relay: produced / ((Math.min(relayedAt, finished) - started) / 1000),
    perRelayRound: produced / (await relayRounds(afterId)),
    perConsumerBatch: produced / Math.max(1, consumer.batches() - batchesBefore),
  };
}

async function round(perTx: number): Promise<Round> {
  const before = consumer.processed();
  const batchesBefore = consumer.batches();
  const afterId = await lastOutboxId();
  const started = performance.now();
  const produced = await produce(EVENTS, perTx);
  const producedAt = performance.now();
  // Where the time goes: when the relay had published everything, and when the consumer had applied everything.
  let relayedAt = 0;
  const watchRelay = (async () => {
    while ((await db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`)[0]?.n !== 0n)
      await sleep(20);
    relayedAt = performance.now();
  })();
  while (consumer.processed() < before + produced) {
    consumer.assertRunning();
    relay.assertRunning();
    await sleep(2);
  }
  const finished = performance.now();
  await watchRelay;
  const latency = await db.$queryRaw<Array<{ p50: number; p99: number }>>`
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM applied_at - occurred_at)) * 1000 AS p50,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM applied_at - occurred_at)) * 1000 AS p99
    FROM (SELECT applied_at, occurred_at FROM bench_effects ORDER BY applied_at DESC LIMIT ${produced}) AS last_round`;
  return {
    e2e: produced / ((finished - started) / 1000),
    produce: produced / ((producedAt - started) / 1000),
    relay: produced / ((Math.min(relayedAt, finished) - started) / 1000),
    p50: Number(latency[0]?.p50 ?? 0),
    p99: Number(latency[0]?.p99 ?? 0),
    perRelayRound: produced / (await relayRounds(afterId)),
    perConsumerBatch: produced / Math.max(1, consumer.batches() - batchesBefore),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

try {
  say(
    `events-e2e: ${benchEnv.EVENT_BUS}, ${EVENTS} events/round over ${KEYS} keys, ${CONCURRENCY} concurrent producers, ${values.partitions} partitions, consumer batches <= ${values['max-batch']}, ${values.handler} handler`,
  );
  // Warm-up: connections, JIT, Prisma's query plans.
  await round(10);
  if (values.drain) {
    const rates: Array<Awaited<ReturnType<typeof drainRound>>> = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const result = await drainRound();
      rates.push(result);
      say(
        `  drain round ${r}: ${result.e2e.toFixed(0)} events/s applied (relay published at ${result.relay.toFixed(0)}/s), backlog ${EVENTS}; events per relay round ${result.perRelayRound.toFixed(0)}, per consumer batch ${result.perConsumerBatch.toFixed(1)}`,
      );
    }
    say(
      `median, bus alone (relay + consumer draining a backlog): ${median(rates.map((x) => x.e2e)).toFixed(0)} events/s; relay ${median(rates.map((x) => x.relay)).toFixed(0)}/s`,
    );
  }
  for (const perTx of PER_TX) {
    const rounds: Round[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const result = await round(perTx);
      rounds.push(result);
      say(
        `  ${perTx} event(s)/tx round ${r}: ${result.e2e.toFixed(0)} events/s end to end (producers ${result.produce.toFixed(0)}/s, relay ${result.relay.toFixed(0)}/s), latency p50 ${result.p50.toFixed(0)} ms p99 ${result.p99.toFixed(0)} ms; events per relay round ${result.perRelayRound.toFixed(0)}, per consumer batch ${result.perConsumerBatch.toFixed(1)}`,
      );
    }
    say(
      `median, ${perTx} event(s) per transaction: ${median(rounds.map((x) => x.e2e)).toFixed(0)} events/s end to end; producers ${median(rounds.map((x) => x.produce)).toFixed(0)}/s; latency p50 ${median(rounds.map((x) => x.p50)).toFixed(0)} ms, p99 ${median(rounds.map((x) => x.p99)).toFixed(0)} ms`,
    );
  }
} finally {
  await Promise.all([consumer.stop(), relay.stop()]);
  await db.$disconnect();
  if (benchEnv.EVENT_BUS === 'redis') {
    const redis = new Redis(benchEnv.REDIS_URL);
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${busVars.EVENT_BUS_PREFIX}:*`, 'COUNT', 500);
      cursor = next;
      if (found.length > 0) await redis.unlink(...found);
    } while (cursor !== '0');
    redis.disconnect();
  }
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`);
  await admin.end();
}
