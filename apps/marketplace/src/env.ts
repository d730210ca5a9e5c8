import { fileURLToPath } from 'node:url';
import { baseEnv, chainIdVar, databaseUrl, httpUrl, loadEnv, parseEnv, portVar, redisUrl } from '@harvest/service';
import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();
const addressList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'entries must be 0x addresses')));

/** Everything this process reads from its environment, validated once at start-up. */
export const envSchema = z.object({
  ...baseEnv,
  MARKETPLACE_PORT: portVar(3100),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),

  CHAIN_ID: chainIdVar.default(31337),
  CHAIN_RPC_URL: httpUrl.default('http://127.0.0.1:8545'),
  /** The deployments file written by contracts/scripts/deploy-local.ts (default: contracts/deployments/<CHAIN_ID>.json). */
  DEPLOYMENTS_FILE: z.string().min(1).optional(),
  /** ERC-20 tokens accepted as order currency besides the native one (comma-separated addresses). */
  MARKET_ERC20_CURRENCIES: addressList.default([]),
  /** Latest end of an order accepted, in seconds from now (default 180 days). */
  MARKET_MAX_ORDER_SECONDS: positiveInt.default(180 * 24 * 3600),
  /** How often the reconciler closes listings whose end is final on chain (ms). */
  MARKET_RECONCILE_MS: positiveInt.default(1000),
  /** How long a search answer is reused while nothing changed (ms; 0: no cache). */
  MARKET_SEARCH_CACHE_MS: z.coerce.number().int().min(0).default(1000),
  /** How often the market version that invalidates cached searches is read (ms): searches are at most this far behind. */
  MARKET_SEARCH_VERSION_POLL_MS: positiveInt.default(100),
  /** Requests per minute per client IP on read routes. */
  MARKET_RATE_LIMIT_READ: positiveInt.default(600),
  /** Requests per minute per client IP on write routes (list, cancel, sign-in). */
  MARKET_RATE_LIMIT_WRITE: positiveInt.default(30),

  /** Where game-api answers (SIWE sign-in is forwarded there; its JWKS verifies access tokens). */
  GAME_API_URL: httpUrl.default('http://127.0.0.1:3000'),
  /** The `iss` and `aud` game-api puts in access tokens (AUTH_ISSUER and AUTH_AUDIENCE of game-api). */
  AUTH_ISSUER: z.string().min(1).default('http://127.0.0.1:3000'),
  AUTH_AUDIENCE: z.string().min(1).default('harvest'),

  /** The built web front end (default apps/marketplace/web/dist; `npm run build -w @harvest/marketplace`). */
  MARKETPLACE_WEB_DIR: z
    .string()
    .min(1)
    .default(fileURLToPath(new URL('../web/dist', import.meta.url))),
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

/** The default deployments file of a chain: contracts/deployments/<chainId>.json in this repository. */
export function defaultDeploymentsFile(chainId: number): string {
  return fileURLToPath(new URL(`../../../contracts/deployments/${chainId}.json`, import.meta.url));
}
