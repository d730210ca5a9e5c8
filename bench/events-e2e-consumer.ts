/**
 * The consumer process of bench/events-e2e.ts: the consumer framework over the configured transport, applying
 * `harvested` events by inserting rows into `bench_effects` inside the framework's transaction (with the
 * processed-event records). Configuration comes as one JSON argument; prints `consumer ready` when subscribed.
 */
import { busEnv, createBusTransport, createConsumer } from '@harvest/bus';
import { createDb } from '@harvest/db';
import { parseEnv } from '@harvest/service';
import { pino } from 'pino';
import { type Counter, type Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import { benchEffectHandlers } from './bench-effects.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as {
  databaseUrl: string;
  redisUrl: string;
  env: Record<string, string>;
  maxBatch: number;
  handler: 'event' | 'batch';
};
const log = pino({ level: 'warn', base: { app: 'bench-consumer' } });
const env = parseEnv(z.object(busEnv), config.env);
const registry = new Registry();
const db = createDb({ databaseUrl: config.databaseUrl, maxConnections: 20 });
const transport = createBusTransport({ env, redisUrl: config.redisUrl, log });
// `event`: one INSERT per event (the usual handler); `batch`: one INSERT per delivered batch (a batch handler).
const consumer = createConsumer({
  name: 'bench',
  db,
  transport,
  log,
  maxBatch: config.maxBatch,
  registry,
  ...benchEffectHandlers(config.handler),
});
await consumer.start();
process.stdout.write('consumer ready\n');

// Progress for the bench: effects committed so far (the framework counts after each commit) and the batches handled
// (one transaction each on the fast path), when they change.
const processed = registry.getSingleMetric('harvest_bus_events_processed_total') as Counter;
const batchSeconds = registry.getSingleMetric('harvest_bus_batch_seconds') as Histogram;
let reported = -1;
setInterval(async () => {
  const total = (await processed.get()).values.reduce((sum, value) => sum + value.value, 0);
  const batches = (await batchSeconds.get()).values.find((value) => value.metricName?.endsWith('_count'))?.value ?? 0;
  if (total !== reported) process.stdout.write(`processed ${total} batches ${batches}\n`);
  reported = total;
}, 5);
