/**
 * Benchmark: the economy API over real HTTP (autocannon), in one run.
 *
 *   node scripts/run.mjs exec node apps/game-api/bench/economy.ts [--rounds 3] [--seconds 10] [--connections 100]
 *     [--only static,inventory,inventory-uncached,contended,spread] [--cpu-prof <dir>] [--keep-database]
 *     [--no-change-feed]
 *
 * `--only` runs some workloads (keys below); `--cpu-prof` writes a V8 CPU profile of the server process to `<dir>`
 * (open it in Chrome DevTools, or sum self time per function) to see where a request's time goes; `--keep-database`
 * leaves the bench database in place (its name is printed) to run the queries by hand (EXPLAIN, pgbench);
 * `--no-change-feed` drops the inventory change-feed triggers (migration 20261121200000) from the bench database, to
 * measure what they cost the writes (run it beside a run without it; the cached inventory is stale then, so not with
 * `inventory`).
 * Workloads, each for `--seconds` at `--connections` keep-alive connections, repeated `--rounds` times:
 * 1. `static`, `GET /healthz`: a static route of the same server (no database, no auth): the ceiling.
 * 2. `inventory`, `GET /v1/inventory` as deployed, with its read cache (INVENTORY_CACHE_PLAYERS default): 100 players,
 *    each connection cycling through their tokens, so after each player's first read nearly every request is a cache
 *    hit (bearer token verified, the cached JSON sent, 5.5 KB). This measures the cache, not the database. Reported
 *    with its ratio to (1).
 *    Beside it runs a staleness probe: a write by another client (this process, through packages/db) to one of the
 *    players, then that player's inventory polled until it shows the write; it prints how long that took (p50, p99,
 *    max): the notification delay under load, plus this process's own event-loop delay (an upper bound).
 * 2b. `inventory-uncached`, the same requests to a second server process with INVENTORY_CACHE_PLAYERS=0: every read
 *    is the one-statement database read (gold + resources + a page of cards) with game-data names attached.
 * 3. `contended`, `POST /v1/crafts` contended on one player: every craft locks the same player row (100 in flight).
 * 4. `spread`, `POST /v1/crafts` across 100 players: what the database sustains when crafts do not wait for each other.
 * Crafts are `sun-seed-bundle` (40 gold + 6 wheat, a weighted table draw) with a fresh Idempotency-Key each: the
 * whole path (rate limit in Redis, idempotency row, row locks, ledger rows, card insert, outbox events).
 *
 * The server runs in a child process (this file with `--serve`), the load generator in this one; PostgreSQL and
 * Redis are their own processes, all on the same machine. Needs DATABASE_URL (a server where it may CREATE DATABASE;
 * default the machine's 127.0.0.1:5432) and REDIS_URL (default 127.0.0.1:6379); creates and drops its own database
 * and Redis keys. Prints each round and the medians (throughput, p50, p99), the inventory/static ratio of each
 * round and its median, and the load average of the machine beside them (it is shared: compare ratios of one run).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { changeGoldInTx, changeItemsInTx, createDb, type Db, lockPlayerInTx, seedGameData } from '@harvest/db';
import { migrateDeploy } from '@harvest/prisma/migrate';
import { parseEnv } from '@harvest/service';
import { loadGameData } from '@harvest/shared/gamedata';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { z } from 'zod';
import { buildApp } from '../src/app.ts';
import { authConfigOf, envSchema } from '../src/env.ts';

const SELF = fileURLToPath(import.meta.url);
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '100' },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    serve: { type: 'string' },
    /** The server child's INVENTORY_CACHE_PLAYERS. */
    'cache-players': { type: 'string', default: '10000' },
    'keep-database': { type: 'boolean', default: false },
    'no-change-feed': { type: 'boolean', default: false },
  },
});
const benchEnv = parseEnv(
  z.object({
    DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
    REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  }),
  process.env,
);

/** Child: the game-api on the bench database, listening on a free loopback port, reported to the parent. */
async function serve(databaseUrl: string): Promise<void> {
  const env = parseEnv(envSchema, {
    DATABASE_URL: databaseUrl,
    NODE_ENV: 'test',
    AUTH_KEY_ENCRYPTION_KEY: process.env.BENCH_KEK ?? randomBytes(32).toString('base64'),
    AUTH_RATE_LIMIT_PER_IP: '100000000',
    AUTH_GUEST_CREATIONS_PER_HOUR: '100000000',
    INVENTORY_CACHE_PLAYERS: values['cache-players'],
  });
  const db = createDb({ databaseUrl, maxConnections: 20 });
  const redis = new Redis(benchEnv.REDIS_URL, { keyPrefix: `bench:${randomBytes(4).toString('hex')}:` });
  const app = await buildApp({
    // Errors only (a 5xx during the run shows up here).
    log: pino({ level: 'error' }, pino.destination(2)),
    dependencies: {},
    db,
    redis,
    config: authConfigOf(env),
    avatars: [],
    economy: { writesPerMinute: 1_000_000_000 },
    inventoryCache: { players: env.INVENTORY_CACHE_PLAYERS, maxBytes: env.INVENTORY_CACHE_MB * 1024 * 1024 },
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.send?.({ address });
  process.on('disconnect', () => {
    void app.close().then(async () => {
      await db.$disconnect();
      redis.disconnect();
      process.exit(0);
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

function loadRepositoryGameData() {
  const dir = fileURLToPath(new URL('../../../gamedata', import.meta.url));
  const files = readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => ({
      path: relative(dir, join(entry.parentPath, entry.name)),
      text: readFileSync(join(entry.parentPath, entry.name), 'utf8'),
    }));
  const result = loadGameData(files);
  if (!result.data) throw new Error('gamedata/ does not load');
  return result.data;
}

async function give(db: Db, playerId: string, gold: number, items: Record<string, number>): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockPlayerInTx(tx, playerId);
    const context = { playerId, reason: 'admin_adjustment', referenceId: 'bench' };
    await changeGoldInTx(tx, context, gold);
    await changeItemsInTx(
      tx,
      context,
      Object.entries(items).map(([itemId, delta]) => ({ itemId, delta })),
    );
  });
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
};

/**
 * Until `deadline`, one probe at a time (50 ms apart): read a player's gold through the server, add 1 gold in this
 * process (packages/db, another client as far as the server can tell), then poll the player's inventory until it
 * shows the new gold. Returns each probe's milliseconds from the write's commit to the first read showing it.
 */
async function stalenessProbe(base: string, db: Db, players: Array<{ id: string; auth: string }>, deadline: number): Promise<number[]> {
  const gold = async (player: { auth: string }) => {
    const response = await fetch(`${base}/v1/inventory`, { headers: { authorization: player.auth } });
    if (response.status !== 200) throw new Error(`inventory answered ${response.status}`);
    return ((await response.json()) as { gold: number }).gold;
  };
  const delays: number[] = [];
  for (let i = 0; Date.now() < deadline - 1_000; i++) {
    const player = players[i % players.length] as { id: string; auth: string };
    const before = await gold(player);
    await give(db, player.id, 1, {});
    const committed = performance.now();
    while ((await gold(player)) !== before + 1) {
      if (performance.now() - committed > 10_000) throw new Error('a write was not visible within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    delays.push(performance.now() - committed);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return delays;
}

interface Workload {
  key: 'static' | 'inventory' | 'inventory-uncached' | 'contended' | 'spread';
  name: string;
  options: autocannon.Options;
}

/** The 1, 5 and 15 minute load averages: the machine is shared, so every figure carries them. */
const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
}

async function load(options: autocannon.Options): Promise<Figures> {
  const statuses: Record<string, number> = {};
  const instance = autocannon(options) as unknown as Promise<autocannon.Result> & autocannon.Instance;
  instance.on('response', (_client: unknown, statusCode: number) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
  });
  const result = await instance;
  const ok = Object.entries(statuses)
    .filter(([s]) => Number(s) < 300)
    .reduce((n, [, c]) => n + c, 0);
  return {
    rps: ok / (result.duration || 1),
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    errors: result.errors + result.timeouts + result.non2xx,
    statuses,
  };
}

async function main(): Promise<void> {
  const ROUNDS = Number(values.rounds);
  const SECONDS = Number(values.seconds);
  const CONNECTIONS = Number(values.connections);
  const databaseName = `harvest_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = new URL(benchEnv.DATABASE_URL);
  databaseUrl.pathname = `/${databaseName}`;
  const admin = new pg.Client({ connectionString: benchEnv.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(databaseName)}`);
  const servers: ChildProcess[] = [];
  const db = createDb({ databaseUrl: databaseUrl.toString(), maxConnections: 10 });
  try {
    await migrateDeploy(databaseUrl.toString());
    await seedGameData(db, { content: loadRepositoryGameData() });
    if (values['no-change-feed']) {
      for (const [table, trigger] of [
        ['players', 'players_inventory_change'],
        ['players', 'players_inventory_delete'],
        ['resources', 'resources_inventory_change'],
        ['card_instances', 'card_instances_inventory_change'],
      ]) {
        await db.$executeRawUnsafe(`DROP TRIGGER ${trigger} ON ${table}`);
      }
      process.stdout.write('inventory change-feed triggers dropped (--no-change-feed)\n');
    }
    const only = values.only?.split(',').map((k) => k.trim());
    // Both servers seal signing keys with the same key, so a token issued by one verifies on the other.
    const kek = randomBytes(32).toString('base64');
    const start = async (cachePlayers: string, profile: boolean) => {
      const child = fork(SELF, ['--serve', databaseUrl.toString(), '--cache-players', cachePlayers], {
        env: { ...process.env, BENCH_KEK: kek },
        execArgv: profile && values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      servers.push(child);
      return new Promise<string>((resolve, reject) => {
        child.once('message', (m) => resolve((m as { address: string }).address));
        child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
      });
    };
    const base = await start(values['cache-players'], true);
    // The uncached path runs in a second server (INVENTORY_CACHE_PLAYERS=0), only when asked for.
    const uncachedBase = only === undefined || only.includes('inventory-uncached') ? await start('0', false) : undefined;

    const newPlayer = async () => {
      const response = await fetch(`${base}/v1/auth/guest`, { method: 'POST' });
      if (response.status !== 201) throw new Error(`guest sign-up answered ${response.status}: ${await response.text()}`);
      const body = (await response.json()) as { accessToken: string; player: { id: string } };
      return { id: body.player.id, auth: `Bearer ${body.accessToken}` };
    };
    const players = async (n: number) => {
      const out: Array<{ id: string; auth: string }> = [];
      while (out.length < n) out.push(...(await Promise.all(Array.from({ length: Math.min(10, n - out.length) }, newPlayer))));
      return out;
    };
    const readers = await players(100);
    const crafters = await players(100);
    const contended = await newPlayer();
    for (const p of [...crafters, contended]) await give(db, p.id, 1_000_000_000, { wheat: 1_000_000_000 });

    let turn = 0;
    // One fixed request per reader, which each connection cycles through: autocannon builds a fixed request once,
    // where a setupRequest is rebuilt in JavaScript for every request and takes load-generator CPU from the server
    // (they share two cores) that the static route does not pay.
    const inventory = (server: string): autocannon.Options => ({
      url: `${server}/v1/inventory`,
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: readers.map((reader) => ({ method: 'GET', headers: { authorization: reader.auth } })),
    });
    const crafts = (players: Array<{ auth: string }>): autocannon.Options => ({
      url: `${base}/v1/crafts`,
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: [
        {
          method: 'POST',
          body: JSON.stringify({ recipeId: 'sun-seed-bundle' }),
          setupRequest: (request) => ({
            ...request,
            headers: {
              'content-type': 'application/json',
              authorization: (players[turn++ % players.length] as { auth: string }).auth,
              'idempotency-key': randomUUID(),
            },
          }),
        },
      ],
    });
    const all: Workload[] = [
      { key: 'static', name: 'GET /healthz (static)', options: { url: `${base}/healthz`, connections: CONNECTIONS, duration: SECONDS } },
      { key: 'inventory', name: 'GET /v1/inventory (cached)', options: inventory(base) },
      ...(uncachedBase
        ? [{ key: 'inventory-uncached' as const, name: 'GET /v1/inventory (uncached)', options: inventory(uncachedBase) }]
        : []),
      { key: 'contended', name: 'POST /v1/crafts, one player (contended)', options: crafts([contended]) },
      { key: 'spread', name: 'POST /v1/crafts, 100 players', options: crafts(crafters) },
    ];
    const workloads = only ? all.filter((w) => only.includes(w.key)) : all;
    if (workloads.length === 0) throw new Error(`--only names none of ${all.map((w) => w.key).join(', ')}`);
    // Warm-up: JIT, pools, caches.
    for (const { options } of workloads) await load({ ...options, duration: 2 });

    process.stdout.write(`economy bench: ${ROUNDS} rounds x ${SECONDS} s per workload, ${CONNECTIONS} connections; loadavg ${loadavg()}\n`);
    const figures = new Map<string, Figures[]>(workloads.map((w) => [w.key, []]));
    const ratios = new Map<string, number[]>([
      ['inventory', []],
      ['inventory-uncached', []],
    ]);
    const staleness: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const { key, name, options } of workloads) {
        const probe = key === 'inventory' ? stalenessProbe(base, db, readers, Date.now() + SECONDS * 1000) : undefined;
        const r = await load(options);
        figures.get(key)?.push(r);
        const delays = (await probe) ?? [];
        staleness.push(...delays);
        const probed =
          delays.length > 0
            ? `; another client's write visible after p50 ${percentile(delays, 0.5).toFixed(1)} ms, max ${Math.max(...delays).toFixed(1)} ms (${delays.length} probes)`
            : '';
        process.stdout.write(
          `round ${round} ${name}: ${r.rps.toFixed(0)} ok/s, p50 ${r.p50} ms, p99 ${r.p99} ms, statuses ${JSON.stringify(r.statuses)}${probed}; loadavg ${loadavg()}\n`,
        );
      }
      // The ratio of each round's pair, measured back to back (the load on the machine changes between rounds).
      const staticRound = figures.get('static')?.[round - 1];
      for (const [key, list] of ratios) {
        const inventoryRound = figures.get(key)?.[round - 1];
        if (staticRound && inventoryRound) list.push(inventoryRound.rps / staticRound.rps);
      }
    }
    process.stdout.write(`medians over ${ROUNDS} rounds (loadavg ${loadavg()}):\n`);
    for (const { key, name } of workloads) {
      const rs = figures.get(key) ?? [];
      process.stdout.write(
        `  ${name}: ${median(rs.map((r) => r.rps)).toFixed(0)} req/s, p50 ${median(rs.map((r) => r.p50)).toFixed(0)} ms, p99 ${median(rs.map((r) => r.p99)).toFixed(0)} ms, errors ${rs.reduce((n, r) => n + r.errors, 0)}\n`,
      );
    }
    for (const [key, list] of ratios) {
      if (list.length === 0) continue;
      const label = key === 'inventory' ? 'GET /v1/inventory (cached)' : 'GET /v1/inventory (uncached)';
      process.stdout.write(
        `  ${label} / static: ${(median(list) * 100).toFixed(0)}% (per round: ${list.map((r) => `${(r * 100).toFixed(0)}%`).join(', ')}${key === 'inventory' ? '; target >= 50%' : ''})\n`,
      );
    }
    if (staleness.length > 0) {
      process.stdout.write(
        `  another client's write visible in GET /v1/inventory (cached) under load: p50 ${percentile(staleness, 0.5).toFixed(1)} ms, p99 ${percentile(staleness, 0.99).toFixed(1)} ms, max ${Math.max(...staleness).toFixed(1)} ms over ${staleness.length} probes\n`,
      );
    }
    const rate = (key: string) => {
      const rs = figures.get(key);
      return rs && rs.length > 0 ? median(rs.map((r) => r.rps)).toFixed(0) : 'not run';
    };
    if (figures.has('contended') || figures.has('spread')) {
      process.stdout.write(`  crafts/s: ${rate('contended')} on one player, ${rate('spread')} across 100 players (target 1,000/s)\n`);
    }
  } finally {
    for (const child of servers) {
      if (child.exitCode !== null) continue;
      // The child closes the app and exits on disconnect (a CPU profile is written on that exit).
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      child.kill();
    }
    await db.$disconnect();
    if (values['keep-database']) process.stdout.write(`kept the bench database ${databaseName}\n`);
    else await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`);
    await admin.end();
  }
}

if (values.serve) {
  await serve(values.serve);
} else {
  await main();
}
