/**
 * Benchmark: SIWE verify + session creation per second on one core.
 *
 *   node scripts/run.mjs exec node apps/game-api/bench/siwe-login.ts [--rounds 5] [--logins 2000] [--concurrency 32]
 *
 * Each login is what `POST /v1/auth/siwe/verify` does for an ordinary wallet: parse and check the EIP-4361
 * message, recover the signer, consume the nonce in Redis (bound to its nonce session), then one PostgreSQL
 * transaction (find or create the player and wallet, start the refresh-token family, append `user_login` to the
 * outbox) and sign the access token. Nonces are issued and messages signed before the clock starts (that is the
 * client's work). Two workloads: first logins (a new player each) and returning logins. A third measures the
 * same through the HTTP route (`inject`: routing, zod, rate limits, serialisation), without sockets.
 *
 * The process pins itself to CPU 0 with `taskset` when it can (PostgreSQL and Redis run as their own processes
 * and may use the other core). Needs DATABASE_URL (a server where it may CREATE DATABASE; default the machine's
 * 127.0.0.1:5432) and REDIS_URL (default 127.0.0.1:6379); creates and drops its own database and Redis keys.
 * Prints each round and the medians: logins per wall-clock second, and logins per CPU-second of this process (the
 * one-core ceiling when PostgreSQL and Redis keep up; it moves less when other work shares the machine).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDb } from '@harvest/db';
import { migrateDeploy } from '@harvest/prisma/migrate';
import { parseEnv } from '@harvest/service';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { bytesToHex, type Hex, hashMessage, hexToBytes } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { createSiweMessage } from 'viem/siwe';
import { z } from 'zod';
import { buildApp } from '../src/app.ts';
import { createAuthServices } from '../src/auth/services.ts';
import { authConfigOf, envSchema } from '../src/env.ts';

const secp256k1 = createRequire(import.meta.url)('secp256k1') as typeof import('secp256k1');

const SELF = fileURLToPath(import.meta.url);
if (!process.env.BENCH_PINNED && spawnSync('taskset', ['-c', '0', 'true']).status === 0) {
  const run = spawnSync('taskset', ['-c', '0', process.execPath, SELF, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_PINNED: '1' },
  });
  process.exit(run.status ?? 1);
}

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    logins: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '32' },
  },
});
const ROUNDS = Number(values.rounds);
const LOGINS = Number(values.logins);
const CONCURRENCY = Number(values.concurrency);
const benchEnv = parseEnv(
  z.object({
    DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
    REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  }),
  process.env,
);

const DOMAIN = 'play.harvest.bench';
const URI = 'https://play.harvest.bench/login';
const env = parseEnv(envSchema, {
  DATABASE_URL: benchEnv.DATABASE_URL,
  NODE_ENV: 'test',
  SIWE_DOMAINS: DOMAIN,
  SIWE_URIS: URI,
  AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  AUTH_RATE_LIMIT_PER_IP: '100000000',
  AUTH_RATE_LIMIT_PER_ADDRESS: '100000000',
});
const config = authConfigOf(env);

// A database of our own.
const databaseName = `harvest_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
const serverUrl = new URL(benchEnv.DATABASE_URL);
const databaseUrl = new URL(benchEnv.DATABASE_URL);
databaseUrl.pathname = `/${databaseName}`;
const admin = new pg.Client({ connectionString: serverUrl.toString() });
await admin.connect();
await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(databaseName)}`);
await migrateDeploy(databaseUrl.toString());
const db = createDb({ databaseUrl: databaseUrl.toString(), maxConnections: 20 });
const prefix = `bench:${randomBytes(4).toString('hex')}:`;
const redis = new Redis(benchEnv.REDIS_URL, { keyPrefix: prefix });

const services = createAuthServices({ db, redis, config });
await services.keys.ensureFresh();

interface Prepared {
  message: string;
  signature: Hex;
  nonceSession: string;
}

/** Client side, untimed: a nonce per login, the message, an EIP-191 signature (native signing for speed). */
async function prepare(keys: Uint8Array[]): Promise<Prepared[]> {
  const out: Prepared[] = [];
  for (const key of keys) {
    const address = privateKeyToAddress(bytesToHex(key));
    const { nonce, nonceSession } = await services.nonces.issue('127.0.0.1');
    const message = createSiweMessage({
      address,
      domain: DOMAIN,
      uri: URI,
      chainId: 31337,
      nonce,
      version: '1',
      statement: 'Sign in to Harvest Battles',
    });
    const { signature, recid } = secp256k1.ecdsaSign(hexToBytes(hashMessage(message)), key);
    const sig = new Uint8Array(65);
    sig.set(signature, 0);
    sig[64] = 27 + recid;
    out.push({ message, signature: bytesToHex(sig), nonceSession });
  }
  return out;
}

const newKeys = (n: number) => Array.from({ length: n }, () => randomBytes(32) as Uint8Array);

async function runRound(
  work: Prepared[],
  login: (p: Prepared) => Promise<void>,
): Promise<{ perSecond: number; perCpuSecond: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < work.length) {
        const item = work[next++] as Prepared;
        const t0 = performance.now();
        await login(item);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  lastCpuShare = (used.user + used.system) / 1e6 / seconds;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] as number;
  return { perSecond: work.length / seconds, perCpuSecond: work.length / ((used.user + used.system) / 1e6), p50: at(0.5), p99: at(0.99) };
}

let lastCpuShare = 0;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const coreLogin = async (p: Prepared) => {
  await services.identity.signInWithSiwe({ ...p, ip: '127.0.0.1' });
};

const app = await buildApp({ log: pino({ level: 'silent' }), dependencies: {}, db, redis, config, avatars: [] });
await app.ready();
const routeLogin = async (p: Prepared) => {
  const response = await app.inject({ method: 'POST', url: '/v1/auth/siwe/verify', payload: p });
  if (response.statusCode !== 200) throw new Error(`route answered ${response.statusCode}: ${response.body}`);
};

const returning = newKeys(LOGINS);
const results: Record<string, number[]> = {
  'first login (new player)': [],
  'returning login': [],
  'returning login through the HTTP route': [],
};
const perCpu: Record<string, number[]> = Object.fromEntries(Object.keys(results).map((name) => [name, []]));
try {
  // Warm-up: JIT, pool connections, the returning players' first sign-in.
  for (const p of await prepare(returning)) await coreLogin(p);
  process.stdout.write(
    `siwe-login bench: ${ROUNDS} rounds x ${LOGINS} logins, concurrency ${CONCURRENCY}, pid ${process.pid}${process.env.BENCH_PINNED ? ' pinned to CPU 0' : ''}\n`,
  );
  for (let round = 1; round <= ROUNDS; round++) {
    const workloads: Array<[string, Prepared[], (p: Prepared) => Promise<void>]> = [
      ['first login (new player)', await prepare(newKeys(LOGINS)), coreLogin],
      ['returning login', await prepare(returning), coreLogin],
      ['returning login through the HTTP route', await prepare(returning), routeLogin],
    ];
    for (const [name, work, login] of workloads) {
      const r = await runRound(work, login);
      results[name]?.push(r.perSecond);
      perCpu[name]?.push(r.perCpuSecond);
      process.stdout.write(
        `round ${round} ${name}: ${r.perSecond.toFixed(0)}/s (p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, process CPU ${(lastCpuShare * 100).toFixed(0)}%, ${r.perCpuSecond.toFixed(0)} per CPU-second)\n`,
      );
    }
  }
  process.stdout.write('medians (wall clock; per CPU-second of this process, which moves less with whatever else shares the machine):\n');
  for (const [name, list] of Object.entries(results)) {
    process.stdout.write(`  ${name}: ${median(list).toFixed(0)} logins/s; ${median(perCpu[name] ?? []).toFixed(0)} per CPU-second\n`);
  }
} finally {
  await app.close();
  const keys = await redis.keys('*');
  if (keys.length > 0) await redis.del(...keys.map((k) => k.slice(prefix.length)));
  redis.disconnect();
  await db.$disconnect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`);
  await admin.end();
}
