/**
 * Test wiring for game-api: a database of its own per test file (@harvest/db/testing), a Redis key namespace of
 * its own per app, an app built with `buildApp` and driven by `inject`, and SIWE helpers with throw-away keys.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Db } from '@harvest/db';
import { parseEnv } from '@harvest/service';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Hex, PublicClient } from 'viem';
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { type CreateSiweMessageParameters, createSiweMessage } from 'viem/siwe';
import { expect } from 'vitest';
import { type AppDeps, buildApp } from '../src/app.ts';
import { authConfigOf, envSchema } from '../src/env.ts';
import { loadAvatars } from '../src/gamedata.ts';

export const DOMAIN = 'play.harvest.test';
export const URI = 'https://play.harvest.test/login';
export const CHAIN_ID = 31337;
/** One key-encryption key per test process: apps on one database share its sealed signing keys. */
const KEK = randomBytes(32).toString('base64');
export const AVATARS = loadAvatars(fileURLToPath(new URL('../../../gamedata', import.meta.url)));

export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A Redis connection whose keys all live under a random prefix (tests share one Redis). */
export function isolatedRedis(): Redis {
  return new Redis(redisUrl(), { keyPrefix: `test:${randomBytes(6).toString('hex')}:`, maxRetriesPerRequest: 2 });
}

export interface TestAppOptions {
  env?: Record<string, string>;
  now?: () => number;
  chainClients?: ReadonlyMap<number, Pick<PublicClient, 'getCode' | 'readContract'>>;
  /** Economy routes: write limit, clock, game data (see AppDeps). */
  economy?: AppDeps['economy'];
  /** Mint routes: chain, collections, the minter's queues (see AppDeps). */
  mints?: AppDeps['mints'];
  /** Register extra routes before the app is ready (e.g. a route behind a role guard). */
  extend?: (app: FastifyInstance) => void;
  /** Period of the housekeeping timer (key rotation check, session and idempotency-key pruning). */
  keyRotationCheckMs?: number;
  /** The GET /v1/inventory read cache (off unless given: most tests write around the API and read at once). */
  inventoryCache?: AppDeps['inventoryCache'];
}

export interface TestApp {
  app: FastifyInstance;
  redis: Redis;
  close(): Promise<void>;
}

/** The game-api on a test database, with generous rate limits unless `env` says otherwise. */
export async function createTestApp(db: Db, options: TestAppOptions = {}): Promise<TestApp> {
  const env = parseEnv(envSchema, {
    DATABASE_URL: 'postgres://unused@127.0.0.1:5432/unused',
    NODE_ENV: 'test',
    SIWE_DOMAINS: DOMAIN,
    SIWE_URIS: URI,
    SIWE_CHAIN_IDS: String(CHAIN_ID),
    AUTH_ISSUER: 'https://api.harvest.test',
    AUTH_KEY_ENCRYPTION_KEY: KEK,
    AUTH_RATE_LIMIT_PER_IP: '1000',
    AUTH_RATE_LIMIT_PER_ADDRESS: '1000',
    AUTH_GUEST_CREATIONS_PER_HOUR: '1000',
    ...options.env,
  });
  const redis = isolatedRedis();
  const app = await buildApp({
    log: pino({ level: 'silent' }),
    dependencies: {},
    db,
    redis,
    config: authConfigOf(env),
    avatars: AVATARS,
    ...(options.chainClients ? { chainClients: options.chainClients } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.economy ? { economy: options.economy } : {}),
    ...(options.mints ? { mints: options.mints } : {}),
    ...(options.keyRotationCheckMs ? { keyRotationCheckMs: options.keyRotationCheckMs } : {}),
    ...(options.inventoryCache ? { inventoryCache: options.inventoryCache } : {}),
  });
  options.extend?.(app);
  await app.ready();
  return {
    app,
    redis,
    async close() {
      await app.close();
      redis.disconnect();
    },
  };
}

/** A throw-away externally owned account. */
export function newWallet(): PrivateKeyAccount {
  return privateKeyToAccount(generatePrivateKey());
}

/** Asks the app for a nonce. */
export async function requestNonce(app: FastifyInstance, ip = '127.0.0.1'): Promise<{ nonce: string; nonceSession: string }> {
  const response = await app.inject({ method: 'POST', url: '/v1/auth/siwe/nonce', remoteAddress: ip });
  expect(response.statusCode).toBe(201);
  return response.json();
}

/** A SIWE message for `address` with the test policy's fields, overridable. */
export function siweMessage(address: Hex, nonce: string, overrides: Partial<CreateSiweMessageParameters> = {}): string {
  return createSiweMessage({
    address,
    domain: DOMAIN,
    uri: URI,
    chainId: CHAIN_ID,
    nonce,
    version: '1',
    statement: 'Sign in to Harvest Battles',
    issuedAt: new Date(),
    ...overrides,
  });
}

export interface SiweAttempt {
  message: string;
  signature: Hex;
  nonceSession: string;
}

/** Nonce, message and signature by `wallet`, ready to post. */
export async function signedSiwe(
  app: FastifyInstance,
  wallet: PrivateKeyAccount,
  overrides: Partial<CreateSiweMessageParameters> = {},
  nonceIp = '127.0.0.1',
): Promise<SiweAttempt> {
  const { nonce, nonceSession } = await requestNonce(app, nonceIp);
  const message = siweMessage(wallet.address, nonce, overrides);
  return { message, signature: await wallet.signMessage({ message }), nonceSession };
}

/** Posts a SIWE sign-in. */
export function postSiwe(
  app: FastifyInstance,
  attempt: SiweAttempt,
  options: { accessToken?: string; ip?: string } = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/v1/auth/siwe/verify',
    payload: attempt,
    remoteAddress: options.ip ?? '127.0.0.1',
    ...(options.accessToken ? { headers: { authorization: `Bearer ${options.accessToken}` } } : {}),
  });
}

/** Tokens of a successful sign-in. */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  player: { id: string; guest: boolean; roles: string[] };
  created?: boolean;
  upgraded?: boolean;
}

/** Signs `wallet` in and returns the tokens (asserting 200). */
export async function signIn(app: FastifyInstance, wallet: PrivateKeyAccount, options: { accessToken?: string } = {}): Promise<Tokens> {
  const response = await postSiwe(app, await signedSiwe(app, wallet), options);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

/** Creates a guest (asserting 201). */
export async function createGuest(app: FastifyInstance): Promise<Tokens & { deviceId: string; deviceSecret: string }> {
  const response = await app.inject({ method: 'POST', url: '/v1/auth/guest' });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

/** Asserts an error response's status and code, and returns its body. */
export function expectError(
  response: LightMyRequestResponse,
  status: number,
  code: string,
): { error: { code: string; details?: Record<string, unknown> } } {
  expect({ status: response.statusCode, code: response.json().error?.code }, response.body).toEqual({ status, code });
  return response.json();
}

/** An authorization header. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
