import { baseEnv, chainIdVar, databaseUrl, httpUrl, loadEnv, parseEnv, portVar } from '@harvest/service';
import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();
const urlList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((url) => url.trim())
      .filter((url) => url.length > 0),
  )
  .pipe(z.array(httpUrl));

/** Everything this process reads from its environment, validated once at start-up. */
export const envSchema = z.object({
  ...baseEnv,
  INDEXER_PORT: portVar(3300),
  DATABASE_URL: databaseUrl,

  CHAIN_ID: chainIdVar.default(31337),
  /** The primary RPC endpoint. */
  CHAIN_RPC_URL: httpUrl.default('http://127.0.0.1:8545'),
  /** More endpoints of the same chain, tried in order when the primary fails (comma-separated). */
  INDEXER_RPC_FALLBACK_URLS: urlList.default([]),
  /** The deployments file written by contracts/scripts/deploy-local.ts (default: contracts/deployments/<CHAIN_ID>.json). */
  DEPLOYMENTS_FILE: z.string().min(1).optional(),
  /** Blocks on top of a block before it is final (default: the chain's, packages/shared chains). */
  INDEXER_CONFIRMATIONS: z.coerce.number().int().min(0).max(1000).optional(),
  /** Index from this block instead of the contracts' deploy blocks. */
  INDEXER_START_BLOCK: z.coerce.number().int().min(0).optional(),
  /** How often the live follower asks for a new head (ms; default 250 on a local chain, 2000 elsewhere). */
  INDEXER_POLL_MS: positiveInt.optional(),
  /** Blocks per first eth_getLogs request of a backfill; the range then adapts between 1 and the maximum. */
  INDEXER_BACKFILL_RANGE: positiveInt.default(2000),
  INDEXER_BACKFILL_MAX_RANGE: positiveInt.default(50_000),
  /** eth_getLogs requests in flight during a backfill. */
  INDEXER_BACKFILL_CONCURRENCY: positiveInt.max(32).default(4),
  /** Logs per eth_getLogs answer above which the range shrinks. */
  INDEXER_BACKFILL_TARGET_LOGS: positiveInt.default(10_000),
  /** Events per database transaction during a backfill (whole blocks; bounded by PostgreSQL's lock table). */
  INDEXER_BATCH_EVENTS: positiveInt.max(5000).default(2000),
  /** A follower this many blocks behind the final block backfills instead of following block by block. */
  INDEXER_CATCHUP_BLOCKS: positiveInt.default(64),
  INDEXER_RPC_TIMEOUT_MS: positiveInt.default(10_000),
  INDEXER_RPC_ATTEMPTS: positiveInt.max(20).default(6),
  INDEXER_RPC_BACKOFF_MS: positiveInt.default(250),
  /** How often a standby tries to become the writer (ms). */
  INDEXER_STANDBY_POLL_MS: positiveInt.default(1000),
  /** Backfill progress log interval (ms). */
  INDEXER_PROGRESS_MS: positiveInt.default(5000),
  /** How often game holders are checked against the mirror (wallets linked or unlinked since; ms). */
  INDEXER_HOLDER_SYNC_MS: positiveInt.default(5000),
});

export type Env = z.infer<typeof envSchema>;

/** Reads and validates `process.env`; exits with one line naming the variable when it is wrong. */
export function readEnv(): Env {
  return loadEnv(envSchema);
}

/** Validates an explicit environment (tests, benchmarks). */
export function envFrom(source: Record<string, string | undefined>): Env {
  return parseEnv(envSchema, source);
}
