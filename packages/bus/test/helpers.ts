import { spawn } from 'node:child_process';
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

/** A child Node process whose output lines are kept. */
export interface Child {
  process: import('node:child_process').ChildProcess;
  output: string[];
  /** Resolves when an output line matches; rejects after `timeoutMs` or when the process exits first. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/** Starts `node <script> ...args` with exactly `env` (plus PATH). */
export function spawnNode(script: string, args: readonly string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, [script, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      output.push(line);
      for (const waiter of waiters) {
        if (waiter.pattern.test(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    output,
    exited,
    waitForLine(pattern, timeoutMs = 15_000) {
      const already = output.find((line) => pattern.test(line));
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const waiter = { pattern, resolve };
        waiters.add(waiter);
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${output.slice(-20).join('\n')}`));
        }, timeoutMs);
        void exited.then((code) => {
          if (!waiters.has(waiter)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          reject(new Error(`process exited (${code}) before a line matching ${pattern}; output:\n${output.slice(-20).join('\n')}`));
        });
        const done = waiter.resolve;
        waiter.resolve = (line) => {
          clearTimeout(timer);
          done(line);
        };
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
