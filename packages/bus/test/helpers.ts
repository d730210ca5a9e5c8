import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { createKafkaTransport } from '../src/kafka/transport.ts';
import { createRedisTransport } from '../src/redis/transport.ts';
import type { Transport } from '../src/transport.ts';

/** Logs of the code under test: silent unless BUS_TEST_LOG names a level. */
export const log = pino({ level: process.env.BUS_TEST_LOG ?? 'silent' });

export const REDIS_URL = process.env.REDIS_URL ?? '';
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '';

/** A prefix no other test uses (tests share one Redis). */
export function uniquePrefix(label: string): string {
  return `t-${label}-${randomBytes(4).toString('hex')}`;
}

export interface TransportCase {
  name: string;
  create(prefix: string): Transport;
  /** How long membership changes take to settle on this transport (lease expiry, rebalances). */
  settleMs: number;
}

/** The transports the contract suite runs against: Redis always, Kafka wherever KAFKA_BROKERS is set. */
export function transportCases(): TransportCase[] {
  if (!REDIS_URL) throw new Error('REDIS_URL is set by the test command (node scripts/run.mjs test)');
  const cases: TransportCase[] = [
    {
      name: 'redis streams',
      create: (prefix) => createRedisTransport({ url: REDIS_URL, prefix, partitions: 4, log, leaseMs: 600, blockMs: 100 }),
      settleMs: 3_000,
    },
  ];
  if (KAFKA_BROKERS) {
    cases.push({
      name: 'kafka',
      create: (prefix) =>
        createKafkaTransport({
          brokers: KAFKA_BROKERS.split(','),
          clientId: 'bus-contract',
          prefix,
          partitions: 4,
          log,
          sessionTimeoutMs: 6_000,
        }),
      settleMs: 30_000,
    });
  }
  return cases;
}

/** Polls until `check` returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
