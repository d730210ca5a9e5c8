import { fileURLToPath } from 'node:url';
import { ACCESS_TOKEN_ALGORITHMS } from '@harvest/auth';
import { parseKeyEncryptionKey } from '@harvest/auth/signing';
import { busEnv } from '@harvest/bus';
import { baseEnv, chainIdVar, databaseUrl, httpUrl, loadEnv, portVar, redisUrl } from '@harvest/service';
import { getChain } from '@harvest/shared/chains';
import { z } from 'zod';

/**
 * Development key-encryption key for signing keys at rest, used only outside production when
 * AUTH_KEY_ENCRYPTION_KEY is unset (a warning is logged). Production must set its own.
 */
export const DEV_KEY_ENCRYPTION_KEY = 'aGFydmVzdC1iYXR0bGVzLWRldi1vbmx5LWtleS0wMDA=';

const list = (item: z.ZodType<string, string>) =>
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1, 'must list at least one value'));

const kekVar = z
  .string()
  .refine((value) => {
    try {
      parseKeyEncryptionKey(value);
      return true;
    } catch {
      return false;
    }
  }, 'must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)')
  .optional();

/** Everything this process reads from its environment, validated once at start-up. */
export const envSchema = z
  .object({
    ...baseEnv,
    ...busEnv,
    GAME_API_PORT: portVar(3000),
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
    CHAIN_ID: chainIdVar.default(31337),
    CHAIN_RPC_URL: httpUrl.default('http://127.0.0.1:8545'),
    /** Where the contracts of CHAIN_ID are (default: contracts/deployments/<CHAIN_ID>.json, written by the start command). */
    DEPLOYMENTS_FILE: z.string().min(1).optional(),
    /** Prefix of the minter's BullMQ keys (the minter must use the same). */
    MINT_QUEUE_PREFIX: z.string().min(1).max(64).default('harvest-mints'),
    /** Mint requests per minute per player. */
    MINT_REQUESTS_PER_MINUTE: z.coerce.number().int().positive().default(30),
    /** `iss` of access tokens; verifiers in other apps expect the same value. */
    AUTH_ISSUER: z.string().min(1).default('http://127.0.0.1:3000'),
    /** `aud` of access tokens. */
    AUTH_AUDIENCE: z.string().min(1).default('harvest'),
    AUTH_SIGNING_ALG: z.enum(ACCESS_TOKEN_ALGORITHMS).default('EdDSA'),
    /** Seals signing keys stored in the database. Required in production. */
    AUTH_KEY_ENCRYPTION_KEY: kekVar,
    AUTH_KEY_ROTATION_DAYS: z.coerce.number().positive().max(365).default(30),
    /** Authorities a SIWE message may name (host[:port]), comma-separated. The defaults are the local game-api and
     * the local marketplace web app (which signs players in through game-api). */
    SIWE_DOMAINS: list(z.string().regex(/^[a-zA-Z0-9.-]+(:[0-9]{1,5})?$/, 'entries must be host or host:port')).default([
      'localhost:3000',
      '127.0.0.1:3000',
      'localhost:3100',
      '127.0.0.1:3100',
    ]),
    /** URIs a SIWE message may name, comma-separated; an entry ending in `/` allows every URI under it. */
    SIWE_URIS: list(httpUrl).default([
      'http://localhost:3000/',
      'http://127.0.0.1:3000/',
      'http://localhost:3100/',
      'http://127.0.0.1:3100/',
    ]),
    /** Chain ids a SIWE message may name, comma-separated; default: CHAIN_ID. */
    SIWE_CHAIN_IDS: z
      .string()
      .transform((value) => value.split(',').map((entry) => Number(entry.trim())))
      .pipe(
        z
          .array(
            z
              .number()
              .int()
              .refine((id) => getChain(id) !== undefined, 'lists a chain id the backend does not support'),
          )
          .min(1),
      )
      .optional(),
    /** Also refuse a nonce presented from another IP than the one that asked for it. */
    SIWE_BIND_NONCE_TO_IP: z.stringbool().default(false),
    /**
     * How long (ms) a "session not revoked" answer from Redis is reused in this process. A sign-out on this replica
     * takes effect here at once; one on another replica takes effect here within this bound. 0: ask Redis on every
     * request.
     */
    AUTH_REVOCATION_CACHE_MS: z.coerce.number().int().min(0).max(5_000).default(250),
    /** Auth requests per minute per client IP (each auth route counts separately). */
    AUTH_RATE_LIMIT_PER_IP: z.coerce.number().int().positive().default(60),
    /** Sign-in attempts per minute per wallet address. */
    AUTH_RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().positive().default(10),
    /** Guest accounts created per hour per client IP. */
    AUTH_GUEST_CREATIONS_PER_HOUR: z.coerce.number().int().positive().default(20),
    /** State-changing economy requests (crafts, trades, farm actions, deck edits) per minute per player. */
    ECONOMY_WRITES_PER_MINUTE: z.coerce.number().int().positive().default(600),
    /**
     * Players whose GET /v1/inventory answers are cached in this process (least recently used go first); 0 turns the
     * cache off (every read queries the database). Kept correct by PostgreSQL change notifications (README).
     */
    INVENTORY_CACHE_PLAYERS: z.coerce.number().int().min(0).default(10_000),
    /** Megabytes of cached inventory bodies at most, over all players. */
    INVENTORY_CACHE_MB: z.coerce.number().int().positive().default(64),
    /** Game data directory (avatars for profiles). */
    GAMEDATA_DIR: z
      .string()
      .min(1)
      .default(fileURLToPath(new URL('../../../gamedata', import.meta.url))),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && env.AUTH_KEY_ENCRYPTION_KEY === undefined) {
      ctx.addIssue({ code: 'custom', path: ['AUTH_KEY_ENCRYPTION_KEY'], message: 'is required when NODE_ENV=production' });
    }
  });

export type Env = z.infer<typeof envSchema>;

/** What the identity routes need from the environment. */
export interface AuthConfig {
  issuer: string;
  audience: string;
  signingAlg: (typeof ACCESS_TOKEN_ALGORITHMS)[number];
  keyEncryptionKey: Buffer;
  /** The development key is in use (logged as a warning at start). */
  devKeyEncryptionKey: boolean;
  keyRotationDays: number;
  /** Milliseconds a "not revoked" answer is reused in process (AUTH_REVOCATION_CACHE_MS). */
  revocationCacheMs: number;
  siwe: { domains: string[]; uris: string[]; chainIds: number[]; bindNonceToIp: boolean };
  rateLimits: { perIpPerMinute: number; perAddressPerMinute: number; guestCreationsPerHour: number };
}

/** The identity configuration of a validated environment. */
export function authConfigOf(env: Env): AuthConfig {
  return {
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
    signingAlg: env.AUTH_SIGNING_ALG,
    keyEncryptionKey: parseKeyEncryptionKey(env.AUTH_KEY_ENCRYPTION_KEY ?? DEV_KEY_ENCRYPTION_KEY),
    devKeyEncryptionKey: env.AUTH_KEY_ENCRYPTION_KEY === undefined,
    keyRotationDays: env.AUTH_KEY_ROTATION_DAYS,
    revocationCacheMs: env.AUTH_REVOCATION_CACHE_MS,
    siwe: {
      domains: env.SIWE_DOMAINS,
      uris: env.SIWE_URIS,
      chainIds: env.SIWE_CHAIN_IDS ?? [env.CHAIN_ID],
      bindNonceToIp: env.SIWE_BIND_NONCE_TO_IP,
    },
    rateLimits: {
      perIpPerMinute: env.AUTH_RATE_LIMIT_PER_IP,
      perAddressPerMinute: env.AUTH_RATE_LIMIT_PER_ADDRESS,
      guestCreationsPerHour: env.AUTH_GUEST_CREATIONS_PER_HOUR,
    },
  };
}

/** Reads and validates `process.env`; exits with one line naming the variable when it is wrong. */
export function readEnv(): Env {
  return loadEnv(envSchema);
}

/** What the admin CLIs read: only the database. */
export const cliEnvSchema = z.object({ DATABASE_URL: databaseUrl });

/** Reads and validates the CLI environment; exits with one line naming the variable when it is wrong. */
export function readCliEnv(): z.infer<typeof cliEnvSchema> {
  return loadEnv(cliEnvSchema);
}
