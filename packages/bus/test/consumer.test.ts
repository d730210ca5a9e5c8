/**
 * The consumer framework against real PostgreSQL (a database of its own) and Redis Streams: idempotency by event
 * id, retries that keep per-key order, dead letters listed and replayed through the CLI, metrics.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type DbTransaction, markProcessedInTx } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { AppError } from '@harvest/shared/errors';
import type { Envelope, EventPayload } from '@harvest/shared/events';
import { Registry } from 'prom-client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ConsumerOptions, createConsumer, type EventHandlers } from '../src/consumer.ts';
import { createRedisTransport } from '../src/redis/transport.ts';
import type { Transport } from '../src/transport.ts';
import { log, REDIS_URL, uniquePrefix, waitFor } from './helpers.ts';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const run = promisify(execFile);
const PARTITIONS = 4;
const database = useTestDatabase();

beforeAll(async () => {
  await database.db.$executeRawUnsafe(
    'CREATE TABLE effects (seq bigserial PRIMARY KEY, consumer text NOT NULL, event_id uuid NOT NULL, key text NOT NULL, n int NOT NULL, deliveries int NOT NULL)',
  );
});

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

function setup(label: string) {
  const prefix = uniquePrefix(label);
  const transport = createRedisTransport({ url: REDIS_URL, prefix, partitions: PARTITIONS, log, leaseMs: 600, blockMs: 100 });
  cleanup.push(() => transport.close());
  const name = `c-${label}`;
  return { prefix, transport, name };
}

function start(options: Omit<ConsumerOptions, 'db' | 'log'>) {
  const consumer = createConsumer({ db: database.db, log, retry: { baseMs: 10, maxMs: 50 }, ...options });
  cleanup.push(() => consumer.stop());
  return consumer.start();
}

/** A `harvested` event (its plot number is the per-key sequence number in these tests). */
function harvested(key: string, n: number, id = randomUUID()): Envelope {
  const payload: EventPayload<'harvested'> = { playerId: key, plot: n, cropId: 'wheat', quantity: 1, withered: false };
  return { id, type: 'harvested', version: 1, key, occurredAt: new Date().toISOString(), payload };
}

async function publish(transport: Transport, envelopes: Envelope[]) {
  await transport.publish(envelopes.map((e) => ({ topic: 'economy', key: e.key, id: e.id, value: JSON.stringify(e) })));
}

async function recordEffect(
  tx: DbTransaction,
  consumer: string,
  event: Envelope & { payload: EventPayload<'harvested'> },
  deliveries: number,
) {
  await tx.$executeRaw`INSERT INTO effects (consumer, event_id, key, n, deliveries) VALUES (${consumer}, ${event.id}::uuid, ${event.key}, ${event.payload.plot}, ${deliveries})`;
}

async function effects(consumer: string) {
  return database.db.$queryRaw<Array<{ event_id: string; key: string; n: number; deliveries: number }>>`
    SELECT event_id::text, key, n, deliveries FROM effects WHERE consumer = ${consumer} ORDER BY seq`;
}

const cliEnv = (prefix: string) => ({
  PATH: process.env.PATH ?? '',
  REDIS_URL,
  EVENT_BUS_PREFIX: prefix,
  EVENT_BUS_PARTITIONS: String(PARTITIONS),
  LOG_LEVEL: 'silent',
});

/** Runs the dead-letter CLI against this test's prefix. */
async function cli(prefix: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    return { code: 0, ...(await run(process.execPath, [CLI, ...args], { env: cliEnv(prefix) })) };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('consumer framework', () => {
  it('applies an event once however often it is delivered, and skips events already applied in an earlier life', async () => {
    const { transport, name } = setup('idem');
    const key = randomUUID();
    const [first, second, third] = [harvested(key, 0), harvested(key, 1), harvested(key, 2)] as [Envelope, Envelope, Envelope];
    // `third` was applied by an earlier run whose acknowledgement never reached the broker.
    await database.db.$transaction((tx) => markProcessedInTx(tx, name, [third.id]));
    const registry = new Registry();
    const handlers: EventHandlers = { harvested: (tx, event, ctx) => recordEffect(tx, name, event, ctx.deliveries) };
    await start({ name, handlers, transport, registry });
    await publish(transport, [first, second, first, third, second]);
    await publish(transport, [first]);
    await waitFor('every delivery acknowledged', async () => (await transport.lag(name, ['economy'])).every((entry) => entry.lag === 0));
    expect((await effects(name)).map((row) => row.n)).toEqual([0, 1]);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(new RegExp(`harvest_bus_events_processed_total\\{consumer="${name}",type="harvested"\\} 2`));
    expect(metrics).toMatch(new RegExp(`harvest_bus_events_duplicate_total\\{consumer="${name}"\\} 4`));
  });

  it('retries a failed effect whose transaction rolled back, and holds back the later events of its key meanwhile', async () => {
    const { transport, name } = setup('retry');
    const key = randomUUID();
    const other = randomUUID();
    const events = [harvested(key, 0), harvested(key, 1), harvested(key, 2), harvested(other, 0)];
    let failures = 0;
    await start({
      name,
      transport,
      handlers: {
        harvested: async (tx, event, ctx) => {
          await recordEffect(tx, name, event, ctx.deliveries);
          // Fails after writing: the write must roll back with the processed-event record.
          if (event.key === key && event.payload.plot === 1 && failures < 2) {
            failures++;
            throw new Error('transient failure');
          }
        },
      },
    });
    await publish(transport, events);
    await waitFor('four effects', async () => (await effects(name)).length === 4);
    const rows = await effects(name);
    expect(rows.filter((row) => row.key === key).map((row) => row.n)).toEqual([0, 1, 2]);
    expect(rows.find((row) => row.key === key && row.n === 1)?.deliveries).toBe(3);
    expect(failures).toBe(2);
  });

  it('dead-letters an event after maxDeliveries, moves on, and the CLI lists and replays it', async () => {
    const { transport, name, prefix } = setup('dlq');
    const key = randomUUID();
    const [poison, after] = [harvested(key, 0), harvested(key, 1)] as [Envelope, Envelope];
    let broken = true;
    let attempts = 0;
    await start({
      name,
      transport,
      maxDeliveries: 3,
      handlers: {
        harvested: async (tx, event, ctx) => {
          if (event.id === poison.id && broken) {
            attempts++;
            throw new Error('cannot apply this one');
          }
          await recordEffect(tx, name, event, ctx.deliveries);
        },
      },
    });
    await publish(transport, [poison, after]);
    await waitFor('the later event applied', async () => (await effects(name)).length === 1);
    expect(attempts).toBe(3);
    expect((await effects(name)).map((row) => row.event_id)).toEqual([after.id]);

    const listed = await cli(prefix, 'dlq', 'list', name);
    expect(listed.stdout).toContain(poison.id);
    expect(listed.stdout).toContain('Error: cannot apply this one (after 3 deliveries)');
    expect(listed.stdout).toContain('1 dead letter(s)');
    const json = await cli(prefix, 'dlq', 'list', name, '--json');
    const letter = JSON.parse(json.stdout.trim()) as { id: string; value: string; deliveries: number };
    expect(JSON.parse(letter.value)).toEqual(poison);
    expect(letter.deliveries).toBe(3);

    broken = false;
    const replayed = await cli(prefix, 'dlq', 'replay', name, letter.id);
    expect(replayed.code).toBe(0);
    expect(replayed.stdout.trim()).toBe(`replayed ${letter.id}`);
    await waitFor('the replayed event applied', async () => (await effects(name)).length === 2);
    expect((await effects(name)).map((row) => row.event_id)).toEqual([after.id, poison.id]);
    expect((await cli(prefix, 'dlq', 'list', name)).stdout).toContain('0 dead letter(s)');
    const again = await cli(prefix, 'dlq', 'replay', name, letter.id);
    expect(again.code).toBe(2);
    expect(again.stdout).toContain('DEAD_LETTER_NOT_FOUND');
    const usage = await cli(prefix, 'dlq', 'replay', 'Bad Name!', '1-1');
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/^consumer: /);
  });

  it('dead-letters at once what cannot succeed: a non-retryable AppError, an unknown event version, a non-JSON message', async () => {
    const { transport, name } = setup('perm');
    const key = randomUUID();
    const conflict = harvested(key, 0);
    const future = { ...harvested(key, 1), version: 9 };
    let calls = 0;
    await start({
      name,
      transport,
      handlers: {
        harvested: async () => {
          calls++;
          throw new AppError('CONFLICT', 'the plot changed meanwhile');
        },
      },
    });
    await publish(transport, [conflict, future]);
    await transport.publish([{ topic: 'economy', key, id: 'garbage', value: '{not json' }]);
    await waitFor('three dead letters', async () => (await transport.listDeadLetters(name)).length === 3);
    const reasons = (await transport.listDeadLetters(name)).map((letter) => letter.reason);
    expect(reasons).toEqual([
      'CONFLICT: the plot changed meanwhile (after 1 deliveries)',
      'invalid envelope: unknown event harvested v9',
      'not JSON',
    ]);
    expect(calls).toBe(1);
  });

  it('hands a batch handler the new events in order in one transaction, and isolates a failing event', async () => {
    const { transport, name } = setup('batch');
    const key = randomUUID();
    const events = Array.from({ length: 6 }, (_, n) => harvested(key, n));
    await database.db.$transaction((tx) => markProcessedInTx(tx, name, [(events[1] as Envelope).id]));
    const calls: number[][] = [];
    let failOnce = true;
    await start({
      name,
      transport,
      batchHandler: {
        types: ['harvested'],
        handle: async (tx, batch) => {
          calls.push(batch.map((event) => (event.payload as EventPayload<'harvested'>).plot));
          for (const event of batch) await recordEffect(tx, name, event as Envelope & { payload: EventPayload<'harvested'> }, 1);
          if (failOnce && batch.some((event) => (event.payload as EventPayload<'harvested'>).plot === 3)) {
            failOnce = false;
            throw new Error('one bad event');
          }
        },
      },
    });
    await publish(transport, events);
    await waitFor('five effects', async () => (await effects(name)).length === 5);
    // Event 1 was applied before; the failed batch rolled back and was applied again one event at a time.
    expect((await effects(name)).map((row) => row.n)).toEqual([0, 2, 3, 4, 5]);
    expect(calls[0]).toEqual([0, 2, 3, 4, 5]);
    expect(calls.slice(1)).toEqual([[0], [2], [3], [4], [5]]);
  });

  it('exposes its lag per partition in the metrics registry', async () => {
    const { transport, name } = setup('lag');
    const registry = new Registry();
    let release = false;
    await start({
      name,
      transport,
      registry,
      handlers: {
        harvested: async (tx, event, ctx) => {
          while (!release) await new Promise((resolve) => setTimeout(resolve, 10));
          await recordEffect(tx, name, event, ctx.deliveries);
        },
      },
    });
    const key = randomUUID();
    await publish(
      transport,
      Array.from({ length: 5 }, (_, n) => harvested(key, n)),
    );
    await waitFor('lag 5 in the metrics', async () =>
      /harvest_bus_consumer_lag\{[^}]*consumer="c-lag"[^}]*\} 5/.test(await registry.metrics()),
    );
    release = true;
    await waitFor('lag 0 in the metrics', async () => {
      const text = await registry.metrics();
      return /harvest_bus_consumer_lag\{/.test(text) && !/harvest_bus_consumer_lag\{[^}]*\} [1-9]/.test(text);
    });
  });
});
