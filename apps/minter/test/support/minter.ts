/** An in-process minter on a test database, a test chain and a Redis key prefix of its own. */
import { randomBytes } from 'node:crypto';
import type { Db } from '@harvest/db';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { configOf, envFrom, type MinterConfig } from '../../src/env.ts';
import { immutableProviderFactory } from '../../src/immutable/provider.ts';
import { createMinterMetrics, type MinterMetrics } from '../../src/metrics.ts';
import { createMinter, type Minter } from '../../src/minter.ts';

export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A queue prefix no other test uses (tests share one Redis). */
export function queuePrefix(): string {
  return `test-mints-${randomBytes(5).toString('hex')}`;
}

/** The minter's environment for a test: local chain, fast batches, the given overrides. */
export function testEnv(
  input: { databaseUrl: string; rpcUrl: string; deploymentsFile: string; prefix: string },
  overrides: Record<string, string> = {},
) {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: input.databaseUrl,
    REDIS_URL: redisUrl(),
    CHAIN_ID: '31337',
    CHAIN_RPC_URL: input.rpcUrl,
    DEPLOYMENTS_FILE: input.deploymentsFile,
    MINT_QUEUE_PREFIX: input.prefix,
    MINTER_BATCH_SIZE: '10',
    MINTER_BATCH_WAIT_MS: '200',
    MINTER_BACKOFF_MS: '200',
    MINTER_POLL_MS: '50',
    MINTER_CONFIRMATIONS: '1',
    ...overrides,
  };
}

export interface RunningMinter {
  minter: Minter;
  config: MinterConfig;
  metrics: MinterMetrics;
  close(): Promise<void>;
}

/** Starts a minter in this process and waits until it leads. */
export async function startTestMinter(db: Db, env: Record<string, string>): Promise<RunningMinter> {
  const config = configOf(envFrom(env));
  const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  const metrics = createMinterMetrics();
  const log = pino({ level: 'silent' });
  const immutable = config.env.MINTER_PROVIDER === 'immutable' ? immutableProviderFactory({ config, db, log, metrics }) : undefined;
  const minter = await createMinter({ config, db, connection, log, metrics, ...(immutable ? { immutable } : {}) });
  await minter.ready;
  return {
    minter,
    config,
    metrics,
    async close() {
      await minter.close();
      connection.disconnect();
    },
  };
}

/** Polls `check` until it returns a value (not undefined) or the time runs out. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 60_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
