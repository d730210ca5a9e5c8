import { fileURLToPath } from 'node:url';
import { baseEnv, chainIdVar, databaseUrl, httpUrl, loadEnv, parseEnv, portVar, redisUrl } from '@harvest/service';
import { getChain } from '@harvest/shared/chains';
import { z } from 'zod';

/** Hardhat's well-known account #1 (public test key): the default minter on the local chain only. */
const HARDHAT_ACCOUNT_1_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

const privateKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a 0x-prefixed 32-byte hex private key');
const positiveInt = z.coerce.number().int().positive();
const gwei = z.coerce.number().positive();
const flag = z.enum(['true', 'false']).transform((v) => v === 'true');
const CRASH_POINTS = ['before_send', 'after_send', 'after_receipt'] as const;

/** Everything this process reads from its environment, validated once at start-up. */
export const envSchema = z
  .object({
    ...baseEnv,
    /** Internal port: /healthz, /readyz, /metrics and the admin dead-letter routes. Never expose it. */
    MINTER_PORT: portVar(3200),
    /** Public port of the Immutable webhook (POST /webhooks/immutable only); 0 picks a free port. */
    MINTER_WEBHOOK_PORT: portVar(3201),
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
    CHAIN_ID: chainIdVar.default(31337),
    CHAIN_RPC_URL: httpUrl.default('http://127.0.0.1:8545'),
    /** `direct`: mintBatch transactions signed here (viem); `immutable`: Immutable's minting API. */
    MINTER_PROVIDER: z.enum(['direct', 'immutable']).default('direct'),
    /** The minter-role key (direct provider). Required except on the local chain (Hardhat account #1 there). */
    MINTER_PRIVATE_KEY: privateKey.optional(),
    /** The deployments file written by contracts/scripts/deploy-local.ts (default: contracts/deployments/<CHAIN_ID>.json). */
    DEPLOYMENTS_FILE: z.string().min(1).optional(),
    /** Prefix of the BullMQ keys (game-api must use the same). */
    MINT_QUEUE_PREFIX: z.string().min(1).max(64).default('harvest-mints'),
    /** Tokens per mintBatch transaction (or per Immutable request). */
    MINTER_BATCH_SIZE: positiveInt.max(500).default(50),
    /** A partial batch is sent once its oldest item waited this long (ms). */
    MINTER_BATCH_WAIT_MS: positiveInt.default(2000),
    /** Batches processed at once (transactions in flight). */
    MINTER_CONCURRENCY: positiveInt.max(64).default(4),
    /** Attempts of a batch job before it becomes a dead letter; backoff doubles from MINTER_BACKOFF_MS. */
    MINTER_JOB_ATTEMPTS: positiveInt.max(50).default(8),
    MINTER_BACKOFF_MS: positiveInt.default(2000),
    /** Sends of one item that may revert or be dropped before it fails for good. */
    MINTER_ITEM_ATTEMPTS: positiveInt.max(20).default(3),
    /** Blocks on top of a mint before the minter confirms it (default: the chain's, packages/shared chains). */
    MINTER_CONFIRMATIONS: positiveInt.optional(),
    /** Who confirms mints: the minter (receipt + confirmations) until the indexer exists, then `indexer`. */
    MINT_CONFIRMED_BY: z.enum(['minter', 'indexer']).default('minter'),
    /** Gas caps: per transaction, max fee and priority fee (gwei). A higher network price waits (retries). */
    MINTER_MAX_GAS_PER_TX: positiveInt.default(15_000_000),
    MINTER_MAX_FEE_GWEI: gwei.default(500),
    MINTER_MAX_PRIORITY_FEE_GWEI: gwei.default(50),
    /** A transaction not mined after this long (ms) is replaced with the same nonce and 25% higher fees. */
    MINTER_STUCK_AFTER_MS: positiveInt.default(90_000),
    /** How often receipts are polled (ms; default 200 on a local chain, 2000 elsewhere). */
    MINTER_POLL_MS: positiveInt.optional(),
    /** Immutable: API key (secret), environment, API base URL override, chain name. */
    IMMUTABLE_API_KEY: z.string().min(1).optional(),
    IMMUTABLE_ENVIRONMENT: z.enum(['sandbox', 'production']).default('sandbox'),
    IMMUTABLE_API_URL: httpUrl.optional(),
    IMMUTABLE_CHAIN_NAME: z.string().min(1).optional(),
    /** Immutable: NFTs per minute of the project's tier (standard 200). */
    IMMUTABLE_MINTS_PER_MINUTE: positiveInt.default(200),
    /** Immutable webhook: hosts SNS signing certificates may come from (regex), and the TopicArn prefix accepted. */
    IMMUTABLE_WEBHOOK_CERT_HOST: z.string().min(1).default('^sns\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?$'),
    IMMUTABLE_WEBHOOK_TOPIC_PREFIX: z.string().min(1).optional(),
    /** Test only (refused in production): block at the Nth pass of a point, announce it on stderr, and wait to be killed. */
    MINTER_CRASH_AT: z
      .string()
      .regex(new RegExp(`^(${CRASH_POINTS.join('|')}):[1-9][0-9]*$`), `<${CRASH_POINTS.join('|')}>:<n>`)
      .optional(),
    /** Whether the batch and request workers run (false: only the HTTP routes, e.g. a webhook-only replica). */
    MINTER_WORKERS: flag.default(true),
  })
  .superRefine((env, ctx) => {
    const local = getChain(env.CHAIN_ID)?.local === true;
    if (env.MINTER_PROVIDER === 'direct' && !env.MINTER_PRIVATE_KEY && !local) {
      ctx.addIssue({ code: 'custom', path: ['MINTER_PRIVATE_KEY'], message: 'is required for the direct provider on a non-local chain' });
    }
    if (env.MINTER_PROVIDER === 'immutable' && !env.IMMUTABLE_API_KEY) {
      ctx.addIssue({ code: 'custom', path: ['IMMUTABLE_API_KEY'], message: 'is required when MINTER_PROVIDER=immutable' });
    }
    if (env.MINTER_CRASH_AT && env.NODE_ENV === 'production') {
      ctx.addIssue({ code: 'custom', path: ['MINTER_CRASH_AT'], message: 'is a test hook and refused when NODE_ENV=production' });
    }
  });

export type Env = z.infer<typeof envSchema>;

/** The configuration the minter runs with, derived from the environment. */
export interface MinterConfig {
  env: Env;
  privateKey: `0x${string}`;
  deploymentsFile: string;
  confirmations: number;
  pollMs: number;
  crashAt: { point: (typeof CRASH_POINTS)[number]; n: number } | null;
}

/** Derives defaults that depend on other variables (local chain key, deployments path, confirmations). */
export function configOf(env: Env): MinterConfig {
  const chain = getChain(env.CHAIN_ID);
  const crash = env.MINTER_CRASH_AT?.split(':');
  return {
    env,
    privateKey: (env.MINTER_PRIVATE_KEY ?? HARDHAT_ACCOUNT_1_KEY) as `0x${string}`,
    deploymentsFile: env.DEPLOYMENTS_FILE ?? fileURLToPath(new URL(`../../../contracts/deployments/${env.CHAIN_ID}.json`, import.meta.url)),
    confirmations: env.MINTER_CONFIRMATIONS ?? chain?.confirmations ?? 12,
    pollMs: env.MINTER_POLL_MS ?? (chain?.local ? 200 : 2000),
    crashAt: crash ? { point: crash[0] as (typeof CRASH_POINTS)[number], n: Number(crash[1]) } : null,
  };
}

/** Reads and validates `process.env`; exits with one line naming the variable when it is wrong. */
export function readEnv(): Env {
  return loadEnv(envSchema);
}

/** Validates an explicit environment (tests, benchmarks). */
export function envFrom(source: Record<string, string | undefined>): Env {
  return parseEnv(envSchema, source);
}
