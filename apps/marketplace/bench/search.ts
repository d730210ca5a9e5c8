/**
 * Benchmark: listing search over real HTTP (autocannon) with 10,000 live listings at 50 concurrent connections.
 *
 *   node scripts/run.mjs exec node apps/marketplace/bench/search.ts [--rounds 3] [--seconds 10] [--connections 50] [--listings 10000]
 *
 * The marketplace runs in a child process (this file with `--serve`) exactly as in production (Fastify, zod, the
 * Redis rate limit on every request, Prisma over pg), the load generator in this process; PostgreSQL and Redis are
 * their own processes, all on the same machine. Each request is the next of a mix of searches a browsing user makes:
 * newest first, price both ways, filters by rarity, element, card definition, price range, seller and land biome,
 * and second pages by cursor. Every listing is live, so each one returned passes the full read-time check against
 * the indexer's tables (owner, sales, cancels, counter, approval, card state).
 *
 * The fixture is written with bulk SQL (players, wallets, on-chain cards, the ownership mirror, listings): the path
 * measured is the search, not listing creation. Needs DATABASE_URL (a server where it may CREATE DATABASE; default
 * the machine's 127.0.0.1:5432) and REDIS_URL (default 127.0.0.1:6379); creates and drops its own database. Prints
 * each round and the medians; target p99 < 30 ms.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTokenVerifier } from '@harvest/auth';
import { createDb, seedGameData } from '@harvest/db';
import { migrateDeploy } from '@harvest/prisma/migrate';
import { createLogger, parseEnv } from '@harvest/service';
import { loadGameData } from '@harvest/shared/gamedata';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import { z } from 'zod';
import { buildApp } from '../src/app.ts';
import { createMarketChain, type MarketChain } from '../src/chain.ts';
import { createSearchCache } from '../src/search-cache.ts';

const SELF = fileURLToPath(import.meta.url);
const REPO = join(import.meta.dirname, '..', '..', '..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    listings: { type: 'string', default: '10000' },
    serve: { type: 'string' },
    /** Keep the bench database (its name is printed) to look at query plans afterwards. */
    keep: { type: 'boolean', default: false },
    /** Serve every search from the database (no answer cache): the cost of a cache miss. */
    'no-cache': { type: 'boolean', default: false },
  },
});
const benchEnv = parseEnv(
  z.object({
    DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
    REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  }),
  process.env,
);

const CHAIN_ID = 31337;
const CARDS = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const LAND = '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512';
const MARKETPLACE = '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0';

function chainOf(): MarketChain {
  const entry = (address: string, blockNumber: number) => ({ address, blockNumber });
  // Search never calls the chain: the RPC URL is never dialled.
  return createMarketChain({
    rpcUrl: 'http://127.0.0.1:9',
    chainId: CHAIN_ID,
    deployments: {
      chainId: CHAIN_ID,
      contracts: { HarvestCards: entry(CARDS, 1), HarvestLand: entry(LAND, 2), Marketplace: entry(MARKETPLACE, 3) },
      minter: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      admin: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
      treasury: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    },
  });
}

/** Child: the marketplace on the bench database, listening on a free loopback port, reported to the parent. */
async function serve(databaseUrl: string, cache: boolean): Promise<void> {
  const db = createDb({ databaseUrl, maxConnections: 20 });
  const log = createLogger('marketplace-bench', 'warn');
  // As server.ts configures it (MARKET_SEARCH_CACHE_MS, MARKET_SEARCH_VERSION_POLL_MS defaults).
  const searchCache = cache ? createSearchCache({ db, chainId: CHAIN_ID, ttlMs: 1000, pollMs: 100, log }) : undefined;
  const redis = new Redis(benchEnv.REDIS_URL, { maxRetriesPerRequest: 1 });
  const app = await buildApp({
    log,
    dependencies: {},
    redis,
    rateLimitPrefix: `mkt-bench-${randomBytes(4).toString('hex')}:`,
    market: {
      db,
      chain: chainOf(),
      policy: { currencies: [], maxOrderSeconds: 180 * 86_400 },
      now: Date.now,
      verifier: createTokenVerifier({ jwks: { load: async () => ({ keys: [] }) }, issuer: 'bench', audience: 'harvest' }),
      gameApiUrl: 'http://127.0.0.1:9',
      rateLimits: { read: 100_000_000, write: 1000 },
      ...(searchCache ? { searchCache } : {}),
    },
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

function loadRepositoryGameData() {
  const dir = join(REPO, 'gamedata');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => ({ path: relative(REPO, join(dir, name)), text: readFileSync(join(dir, name), 'utf8') }));
  const loaded = loadGameData(files);
  if (!loaded.data) throw new Error('the repository game data has errors');
  return loaded.data;
}

/** 100 sellers, `n` on-chain cards spread over the card definitions, every land parcel, all listed and live. */
async function seedListings(admin: pg.Client, n: number): Promise<{ sellers: string[]; definitions: string[] }> {
  const now = Math.floor(Date.now() / 1000);
  await admin.query(`
    INSERT INTO players (id, is_guest, display_name)
    SELECT gen_random_uuid(), false, 'seller-' || i FROM generate_series(1, 100) AS i`);
  await admin.query(`
    INSERT INTO wallets (address, player_id)
    SELECT '0x' || lpad(to_hex(row_number() OVER (ORDER BY id)), 40, '0'), id FROM players WHERE display_name LIKE 'seller-%'`);
  await admin.query(
    `
    WITH sellers AS (SELECT w.address, w.player_id, row_number() OVER (ORDER BY w.address) - 1 AS k FROM wallets w),
         defs AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k, count(*) OVER () AS n FROM card_definitions WHERE NOT token),
         cards AS (
           SELECT i, (SELECT id FROM defs WHERE defs.k = i % (SELECT max(n) FROM defs)) AS definition_id, s.address, s.player_id
           FROM generate_series(1, $1::int) AS i JOIN sellers s ON s.k = i % 100)
    INSERT INTO card_instances (id, definition_id, owner_id, origin, state, token_id, content_version)
    SELECT gen_random_uuid(), definition_id, player_id, 'starter', 'on_chain', (1000000 + i)::numeric, 1 FROM cards`,
    [n],
  );
  await admin.query(`
    INSERT INTO chain_token_owners (chain_id, contract, token_id, owner, since_block, since_log_index, since_tx_hash)
    SELECT ${CHAIN_ID}, '${CARDS}', c.token_id, w.address, 10, 0, '0x' || repeat('ab', 32)
    FROM card_instances c JOIN wallets w ON w.player_id = c.owner_id WHERE c.token_id IS NOT NULL`);
  await admin.query(`
    INSERT INTO market_listings (order_hash, chain_id, marketplace, maker, collection, asset, token_id, price, currency, start_time,
      end_time, salt, counter, signature, approval, card_id, definition_id, name, rarity, element, created_at)
    SELECT '0x' || encode(sha256(c.id::text::bytea), 'hex'), ${CHAIN_ID}, '${MARKETPLACE}', w.address, '${CARDS}', 'card', c.token_id,
      (1 + (abs(hashtext(c.id::text)) % 100000))::numeric * 1000000000000, '0x0000000000000000000000000000000000000000', ${now - 60},
      ${now + 86_400 * 30}, (c.token_id % 190), 0, '0x' || repeat('11', 65), 'all', c.id, c.definition_id, coalesce(d.name, d.id),
      d.rarity, d.element, now() - (random() * interval '30 days')
    FROM card_instances c JOIN wallets w ON w.player_id = c.owner_id JOIN card_definitions d ON d.id = c.definition_id
    WHERE c.token_id IS NOT NULL`);
  // Land: every parcel of the game data, held and listed by the first seller.
  await admin.query(`UPDATE land_parcels SET token_id = (2000000 + x.k)::numeric, owner_id = (SELECT player_id FROM wallets ORDER BY address LIMIT 1)
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM land_parcels) x WHERE x.id = land_parcels.id`);
  await admin.query(`
    INSERT INTO chain_token_owners (chain_id, contract, token_id, owner, since_block, since_log_index, since_tx_hash)
    SELECT ${CHAIN_ID}, '${LAND}', token_id, (SELECT address FROM wallets ORDER BY address LIMIT 1), 10, 0, '0x' || repeat('ab', 32)
    FROM land_parcels WHERE token_id IS NOT NULL`);
  await admin.query(`
    INSERT INTO market_listings (order_hash, chain_id, marketplace, maker, collection, asset, token_id, price, currency, start_time,
      end_time, salt, counter, signature, approval, parcel_id, name, biome)
    SELECT '0x' || encode(sha256(('land:' || p.id)::bytea), 'hex'), ${CHAIN_ID}, '${MARKETPLACE}', (SELECT address FROM wallets ORDER BY address LIMIT 1),
      '${LAND}', 'land', p.token_id, (5 + abs(hashtext(p.id)) % 50)::numeric * 10000000000000000, '0x0000000000000000000000000000000000000000',
      ${now - 60}, ${now + 86_400 * 30}, 191, 0, '0x' || repeat('11', 65), 'all', p.id, p.id, p.biome
    FROM land_parcels p WHERE p.token_id IS NOT NULL`);
  await admin.query('ANALYZE');
  const sellers = (await admin.query<{ address: string }>('SELECT address FROM wallets ORDER BY address LIMIT 20')).rows.map(
    (r) => r.address,
  );
  const definitions = (
    await admin.query<{ id: string }>('SELECT DISTINCT definition_id AS id FROM market_listings WHERE definition_id IS NOT NULL')
  ).rows.map((r) => r.id);
  return { sellers, definitions };
}

interface Round {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
  non2xx: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

async function run(base: string, paths: string[], seconds: number, connections: number): Promise<Round> {
  let i = 0;
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    requests: [
      {
        setupRequest: (request) => {
          request.path = paths[i++ % paths.length] as string;
          return request;
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

async function main(): Promise<void> {
  const ROUNDS = Number(values.rounds);
  const SECONDS = Number(values.seconds);
  const CONNECTIONS = Number(values.connections);
  const LISTINGS = Number(values.listings);
  const databaseName = `harvest_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = new URL(benchEnv.DATABASE_URL);
  databaseUrl.pathname = `/${databaseName}`;
  const admin = new pg.Client({ connectionString: benchEnv.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(databaseName)}`);
  let server: ChildProcess | undefined;
  const db = createDb({ databaseUrl: databaseUrl.toString(), maxConnections: 4 });
  const bench = new pg.Client({ connectionString: databaseUrl.toString() });
  try {
    await migrateDeploy(databaseUrl.toString());
    await seedGameData(db, { content: loadRepositoryGameData() });
    await bench.connect();
    const { sellers, definitions } = await seedListings(bench, LISTINGS);
    const live = (await bench.query<{ n: string }>("SELECT count(*) AS n FROM market_listings WHERE status = 'active'")).rows[0]?.n;
    server = fork(SELF, ['--serve', databaseUrl.toString()], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_SEARCH_CACHE: values['no-cache'] ? 'off' : 'on' },
    });
    const child = server;
    const base = await new Promise<string>((resolve, reject) => {
      child.once('message', (m) => resolve((m as { address: string }).address));
      child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    });

    // The mix of searches; second pages use cursors the server handed out.
    const first = [
      '/api/listings',
      '/api/listings?sort=price_asc',
      '/api/listings?sort=price_desc',
      '/api/listings?rarity=rare,epic&sort=price_asc',
      '/api/listings?element=sun',
      '/api/listings?rarity=legendary&sort=price_desc',
      `/api/listings?definition=${definitions[0]}&sort=price_asc`,
      `/api/listings?definition=${definitions[3] ?? definitions[0]}`,
      '/api/listings?minPrice=10000000000000000&maxPrice=20000000000000000&sort=price_asc',
      `/api/listings?seller=${sellers[0]}`,
      `/api/listings?seller=${sellers[7]}&sort=price_asc`,
      '/api/listings?asset=land&biome=meadow,marsh',
      '/api/listings?asset=card&element=frost&sort=newest',
    ];
    const paths = [...first];
    for (const path of first.slice(0, 6)) {
      const page = (await (await fetch(`${base}${path}`)).json()) as { items: unknown[]; nextCursor: string | null };
      if (page.items.length === 0) throw new Error(`the fixture answers nothing for ${path}`);
      if (page.nextCursor) paths.push(`${path}${path.includes('?') ? '&' : '?'}cursor=${page.nextCursor}`);
    }
    process.stdout.write(
      `marketplace search (${values['no-cache'] ? 'no answer cache' : 'answer cache on, as by default'}): ${live} live listings, ${CONNECTIONS} connections, ${SECONDS} s x ${ROUNDS} rounds, ${paths.length} queries\n`,
    );
    await run(base, paths, 2, CONNECTIONS); // warm-up
    const rounds: Round[] = [];
    const ceilings: Round[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const round = await run(base, paths, SECONDS, CONNECTIONS);
      rounds.push(round);
      const ceiling = await run(base, ['/healthz'], SECONDS, CONNECTIONS);
      ceilings.push(ceiling);
      process.stdout.write(
        `  round ${r}: search ${round.rps.toFixed(0)} req/s, p50 ${round.p50} ms, p90 ${round.p90} ms, p99 ${round.p99} ms, errors ${round.errors}, non-2xx ${round.non2xx}` +
          ` | GET /healthz (no database, no rate limit) ${ceiling.rps.toFixed(0)} req/s, p99 ${ceiling.p99} ms\n`,
      );
    }
    process.stdout.write(
      `median: search ${median(rounds.map((r) => r.rps)).toFixed(0)} req/s, p50 ${median(rounds.map((r) => r.p50))} ms, p99 ${median(rounds.map((r) => r.p99))} ms (target p99 < 30 ms); ` +
        `/healthz p99 ${median(ceilings.map((r) => r.p99))} ms on the same machine\n`,
    );
  } finally {
    server?.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 500));
    server?.kill();
    await bench.end().catch(() => undefined);
    await db.$disconnect();
    if (values.keep) process.stdout.write(`kept database ${databaseUrl}\n`);
    else await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`);
    await admin.end();
  }
}

if (values.serve) await serve(values.serve, process.env.BENCH_SEARCH_CACHE !== 'off');
else await main();
