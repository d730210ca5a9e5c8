/**
 * Test wiring for the instance server: a database of its own (@harvest/db/testing) with the repository's game data,
 * a real game-api listening on loopback (sign-in, JWKS, decks), an instance server in this process or in child
 * processes, and a Redis prefix of its own per test file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Bot, createBot } from '@harvest/bot';
import { type Db, seedGameData } from '@harvest/db';
import type { TestDatabase } from '@harvest/db/testing';
import { parseEnv } from '@harvest/service';
import { loadGameData } from '@harvest/shared/gamedata';
import { afterAll, beforeAll } from 'vitest';
import { readGameDataDir } from '../../../tools/gamedata/src/files.ts';
import { CHAIN_ID, createTestApp, DOMAIN, type TestApp, URI } from '../../game-api/test/helpers.ts';
import { envSchema } from '../src/env.ts';
import { type InstanceServer, startInstanceServer } from '../src/main.ts';
import { NODE_FLAGS } from '../src/node-flags.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const SERVER_ENTRY = fileURLToPath(new URL('../src/server.ts', import.meta.url));

/** Publishes the repository's game data as version 1. */
export async function seedRepoGameData(db: Db): Promise<void> {
  const loaded = loadGameData(readGameDataDir(`${ROOT}/gamedata`, ROOT));
  if (!loaded.data) throw new Error('repository game data does not load');
  await seedGameData(db, { content: loaded.data });
}

/** game-api on loopback, for sign-in, JWKS and decks. */
export async function startGameApi(
  db: Db,
): Promise<{ api: TestApp; url: string; jwks: string; redisPrefix: string; close(): Promise<void> }> {
  const api = await createTestApp(db);
  const url = await api.app.listen({ host: '127.0.0.1', port: 0 });
  // Its Redis keys live under a prefix of their own (tests share one Redis): the instance server reads the
  // signed-out sessions there (AUTH_REDIS_PREFIX).
  const redisPrefix = api.redis.options.keyPrefix ?? '';
  return { api, url, jwks: `${url}/.well-known/jwks.json`, redisPrefix, close: () => api.close() };
}

/** Environment of an instance server for tests: short clocks, a Redis prefix of its own. */
export function testEnv(input: {
  databaseUrl: string;
  jwks: string;
  prefix: string;
  /** Key prefix of the test game-api's Redis (startGameApi's redisPrefix). */
  authRedisPrefix?: string;
  port?: number;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.IS_TEST_LOG_LEVEL ?? 'warn',
    DATABASE_URL: input.databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    INSTANCE_REDIS_PREFIX: input.prefix,
    INSTANCE_SERVER_PORT: String(input.port ?? 0),
    AUTH_JWKS_URL: input.jwks,
    AUTH_REDIS_PREFIX: input.authRedisPrefix ?? '',
    AUTH_ISSUER: 'https://api.harvest.test',
    MATCHMAKER_TICK_MS: '200',
    MATCH_HEARTBEAT_MS: '500',
    MATCH_ABANDON_AFTER_MS: '3000',
    MATCH_SWEEP_INTERVAL_MS: '1000',
    // Streams of their own, so no test's consumer takes events meant for another (or for a dev stack on this Redis).
    EVENT_BUS_PREFIX: `test-is-${randomBytes(4).toString('hex')}`,
    ...input.extra,
  };
}

/** A Redis prefix of its own (tests share one Redis). */
export function newPrefix(): string {
  return `test:is:${randomBytes(5).toString('hex')}:`;
}

/** An instance server in this process. */
export async function startInProcess(env: Record<string, string>, db?: Db): Promise<InstanceServer> {
  return startInstanceServer(parseEnv(envSchema, env), db ? { db } : {});
}

/** A free loopback port. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * An instance server as a child process (for crash and multi-process tests); resolves once it answers /healthz.
 * `nodeArgs` go to node after NODE_FLAGS (the load test's --server-node-options: V8 flags that NODE_OPTIONS refuses).
 */
export async function startChild(env: Record<string, string>, port: number, nodeArgs: readonly string[] = []): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...NODE_FLAGS, ...nodeArgs, SERVER_ENTRY], {
    env: { ...process.env, ...env, INSTANCE_SERVER_PORT: String(port), INSTANCE_PUBLIC_ADDRESS: `127.0.0.1:${port}` },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`instance server exited ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    if (Date.now() > deadline) throw new Error(`instance server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A bot signed in with SIWE (a generated key) at the test game-api. */
export async function siweBot(apiUrl: string, serverUrl: string, extra: { thinkMs?: number } = {}): Promise<Bot> {
  const bot = createBot({ apiUrl, serverUrl, signIn: { kind: 'siwe', domain: DOMAIN, uri: URI, chainId: CHAIN_ID }, ...extra });
  await bot.signIn();
  return bot;
}

/** A guest bot. */
export async function guestBot(apiUrl: string, serverUrl: string): Promise<Bot> {
  const bot = createBot({ apiUrl, serverUrl, signIn: { kind: 'guest' } });
  await bot.signIn();
  return bot;
}

/** Waits for `check` to hold (polling a database is the only way to see another process's commit). */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The stack of an instance-server test file: the repository's game data, game-api on loopback, a server here. */
export interface InstanceStack {
  readonly api: Awaited<ReturnType<typeof startGameApi>>;
  readonly server: InstanceServer;
  readonly serverUrl: string;
}

/**
 * Starts the file's stack before its tests (on `database`, with `extra` env for the instance server) and stops it
 * after them. Like useTestDatabase, its fields exist only inside tests and hooks.
 */
export function useInstanceStack(database: Pick<TestDatabase, 'db' | 'url'>, extra: Record<string, string> = {}): InstanceStack {
  let api: InstanceStack['api'] | undefined;
  let server: InstanceServer | undefined;
  beforeAll(async () => {
    await seedRepoGameData(database.db);
    api = await startGameApi(database.db);
    server = await startInProcess(
      testEnv({ databaseUrl: database.url, jwks: api.jwks, authRedisPrefix: api.redisPrefix, prefix: newPrefix(), extra }),
    );
  });
  afterAll(async () => {
    await server?.close();
    await api?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useInstanceStack(): the stack runs only inside tests and hooks.');
    return value;
  };
  return {
    get api() {
      return started(api);
    },
    get server() {
      return started(server);
    },
    get serverUrl() {
      return `http://127.0.0.1:${started(server).port}`;
    },
  };
}

/** What a refused join failed with (Colyseus: the HTTP status of the code's category, and `CODE: message`). */
export async function joinRefused(join: Promise<unknown>): Promise<{ code: number; message: string }> {
  return join.then(
    () => {
      throw new Error('expected the join to be refused');
    },
    (error: { code: number; message: string }) => ({ code: error.code, message: error.message }),
  );
}
