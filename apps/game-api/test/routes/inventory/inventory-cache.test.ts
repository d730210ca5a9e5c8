/**
 * GET /v1/inventory with its read cache on real PostgreSQL: the change feed invalidates a player on writes by any
 * other client, the player's own writes through the API invalidate before their response, a lost feed connection
 * clears the cache and sends reads to the database until it listens again, and INVENTORY_CACHE_PLAYERS=0 turns it off.
 */
import { CHANGE_FEED_APPLICATION_NAME, createDb, type Db } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { parseEnv } from '@harvest/service';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envSchema } from '../../../src/env.ts';
import { GAME_DATA, give, newKey, newPlayer, type Player, publishRepositoryGameData } from '../../economy-helpers.ts';
import { createTestApp, type TestApp } from '../../helpers.ts';

const database = useTestDatabase();
let t: TestApp;
/** Another process as far as the app can tell: its own pool (Prisma services) and a plain connection. */
let elsewhere: Db;
let sql: pg.Client;
/** A player only {@link settle} writes to. */
let marker: Player;

const CACHE = { players: 1_000, maxBytes: 16 * 1024 * 1024 };
/** How soon a write by another client must show (the README quotes the measured delay, far below this). */
const BOUND_MS = 1_000;

beforeAll(async () => {
  await publishRepositoryGameData(database.db);
  t = await createTestApp(database.db, { economy: { writesPerMinute: 100_000 }, inventoryCache: CACHE });
  elsewhere = createDb({ databaseUrl: database.url, maxConnections: 2 });
  sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  await until(() => t.app.inventoryCache?.isReady === true);
  marker = await newPlayer(t.app);
});
afterAll(async () => {
  await t?.close();
  await elsewhere?.$disconnect();
  await sql?.end();
});

async function until(condition: () => boolean | Promise<boolean>, ms = 5_000): Promise<number> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return performance.now() - started;
}

const stats = () => ({ ...(t.app.inventoryCache?.stats ?? {}) });
const read = async (app: TestApp['app'], player: Player, query = '') => {
  const response = await app.inject({ method: 'GET', url: `/v1/inventory${query}`, headers: player.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response;
};
const inventory = async (player: Player, query = '') => (await read(t.app, player, query)).json();
/** Reads until the inventory satisfies `check`; returns how long that took. */
const visibleWithin = (player: Player, check: (body: ReturnType<typeof JSON.parse>) => boolean, query = '') =>
  until(async () => check(await inventory(player, query)), BOUND_MS);

/**
 * Waits until the feed has delivered the notifications of everything committed so far: it commits a change of a
 * marker player whose entry is cached and waits for that entry to go (NOTIFY delivers in commit order).
 */
async function settle(): Promise<void> {
  const cache = t.app.inventoryCache;
  if (!cache) throw new Error('no cache');
  await until(async () => {
    await inventory(marker);
    return cache.holds(marker.id);
  });
  await sql.query('UPDATE players SET gold = gold + 1 WHERE id = $1', [marker.id]);
  await until(() => !cache.holds(marker.id));
}

/**
 * Reads twice and asserts the second read was a cache hit (first waiting for earlier writes' notifications, unless
 * they are off).
 */
async function cached(player: Player, query = '', notifications = true) {
  if (notifications) await settle();
  await inventory(player, query);
  const before = stats();
  const body = await inventory(player, query);
  expect(stats().hits).toBe((before.hits ?? 0) + 1);
  return body;
}

const TRIGGERS = [
  ['players', 'players_inventory_change'],
  ['resources', 'resources_inventory_change'],
  ['card_instances', 'card_instances_inventory_change'],
] as const;
/** Runs `body` with the change-feed triggers off: the cache then learns only of the player's own writes. */
async function withoutNotifications(body: () => Promise<void>): Promise<void> {
  await settle();
  for (const [table, trigger] of TRIGGERS) await sql.query(`ALTER TABLE ${table} DISABLE TRIGGER ${trigger}`);
  try {
    await body();
  } finally {
    for (const [table, trigger] of TRIGGERS) await sql.query(`ALTER TABLE ${table} ENABLE TRIGGER ${trigger}`);
  }
}

describe('GET /v1/inventory read cache', () => {
  it('answers a hit with the same bytes and headers as the read that filled it, and shows in /metrics', async () => {
    const player = await newPlayer(t.app);
    const before = stats();
    const miss = await read(t.app, player, '?limit=5');
    const hit = await read(t.app, player, '?limit=5');
    expect(stats()).toMatchObject({ misses: (before.misses ?? 0) + 1, fills: (before.fills ?? 0) + 1, hits: (before.hits ?? 0) + 1 });
    expect(hit.body).toBe(miss.body);
    expect(hit.headers['content-type']).toBe(miss.headers['content-type']);
    expect(hit.headers['content-length']).toBe(miss.headers['content-length']);
    expect(miss.headers['content-type']).toBe('application/json; charset=utf-8');
    // The same bytes an app without a cache answers.
    const uncached = await createTestApp(database.db);
    try {
      expect((await read(uncached.app, player, '?limit=5')).body).toBe(hit.body);
    } finally {
      await uncached.close();
    }
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^game_api_inventory_cache_hits_total\{app="game-api"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^game_api_inventory_cache_ready\{app="game-api"\} 1$/m);
  });

  it('writes by another client (gold, resources, a card) show in the next reads within the bound', async () => {
    const player = await newPlayer(t.app);
    const start = await cached(player);
    await give(elsewhere, player.id, { gold: 7, items: { wood: 3 } });
    const goldMs = await visibleWithin(player, (body) => body.gold === start.gold + 7);
    expect(await inventory(player)).toMatchObject({
      resources: expect.arrayContaining([expect.objectContaining({ itemId: 'wood', quantity: 3 })]),
    });

    const card = start.cards[0].id as string;
    await cached(player);
    await sql.query("UPDATE card_instances SET state = 'minting' WHERE id = $1", [card]);
    const cardMs = await visibleWithin(player, (body) =>
      body.cards.some((c: { id: string; state: string }) => c.id === card && c.state === 'minting'),
    );
    expect(Math.max(goldMs, cardMs)).toBeLessThan(BOUND_MS);
  });

  it('a card that changes hands leaves the old owner’s inventory and enters the new owner’s (both notified)', async () => {
    const [from, to] = [await newPlayer(t.app), await newPlayer(t.app)];
    const fromBefore = await cached(from, '?limit=200');
    const toBefore = await cached(to, '?limit=200');
    const card = fromBefore.cards[0].id as string;
    await sql.query('UPDATE card_instances SET owner_id = $2 WHERE id = $1', [card, to.id]);
    await visibleWithin(from, (body) => body.cards.length === fromBefore.cards.length - 1, '?limit=200');
    await visibleWithin(to, (body) => body.cards.some((c: { id: string }) => c.id === card), '?limit=200');
    expect((await inventory(to, '?limit=200')).cards).toHaveLength(toBefore.cards.length + 1);
  });

  it('the player’s own writes through the API show in the very next read, with no notification to wait for', async () => {
    const player = await newPlayer(t.app);
    await give(elsewhere, player.id, { gold: 1_000, items: { wheat: 12 } });
    await visibleWithin(player, (body) => body.gold === GAME_DATA.rewards.starter.gold + 1_000);
    await withoutNotifications(async () => {
      // Proof the triggers are off: another client's write stays invisible to the cached reads.
      const start = await cached(player, '', false);
      await sql.query('UPDATE players SET gold = gold + 1 WHERE id = $1', [player.id]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await inventory(player)).gold).toBe(start.gold);

      const bought = await t.app.inject({
        method: 'POST',
        url: '/v1/shop/buy',
        headers: player.headers,
        payload: { itemId: 'carrot-seed', quantity: 2 },
      });
      expect(bought.statusCode, bought.body).toBe(200);
      const afterBuy = await inventory(player);
      expect(afterBuy.gold).toBe(bought.json().balances.gold);
      expect(afterBuy.resources).toContainEqual(expect.objectContaining({ itemId: 'carrot-seed', quantity: bought.json().balances.item }));

      await cached(player, '', false);
      const crafted = await t.app.inject({
        method: 'POST',
        url: '/v1/crafts',
        headers: { ...player.headers, 'idempotency-key': newKey() },
        payload: { recipeId: 'sun-seed-bundle' },
      });
      expect(crafted.statusCode, crafted.body).toBe(201);
      const afterCraft = await inventory(player, '?limit=200');
      expect(afterCraft.cards.map((c: { id: string }) => c.id)).toContain(crafted.json().card.id);
      expect(stats().ownWrites).toBeGreaterThanOrEqual(2);
    });
  });

  it('a killed feed connection clears the cache; reads stay correct while it is down; caching resumes after it reconnects', async () => {
    const player = await newPlayer(t.app);
    const start = await cached(player);
    const resets = stats().resets ?? 0;
    const killed = await sql.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
      [CHANGE_FEED_APPLICATION_NAME],
    );
    expect(killed.rowCount).toBe(1);
    await until(() => stats().resets === resets + 1);
    expect(t.app.inventoryCache?.players).toBe(0);

    // Down (or already back: the first retry is 100 ms away): either way the next read is fresh at once.
    await sql.query('UPDATE players SET gold = gold + 5 WHERE id = $1', [player.id]);
    const bypassesBefore = stats().bypasses ?? 0;
    expect((await inventory(player)).gold).toBe(start.gold + 5);
    const wasDown = !t.app.inventoryCache?.isReady;

    await until(() => t.app.inventoryCache?.isReady === true);
    if (wasDown) expect(stats().bypasses).toBeGreaterThan(bypassesBefore);
    const back = await cached(player);
    expect(back.gold).toBe(start.gold + 5);
    // And the new connection listens: a foreign write still invalidates.
    await sql.query('UPDATE players SET gold = gold + 1 WHERE id = $1', [player.id]);
    await visibleWithin(player, (body) => body.gold === start.gold + 6);
  });

  it('INVENTORY_CACHE_PLAYERS=0 turns it off: every read goes to the database', async () => {
    const env = parseEnv(envSchema, { DATABASE_URL: 'postgres://unused@127.0.0.1:5432/unused', INVENTORY_CACHE_PLAYERS: '0' });
    expect(env.INVENTORY_CACHE_PLAYERS).toBe(0);
    expect(() => parseEnv(envSchema, { DATABASE_URL: 'postgres://x@127.0.0.1/x', INVENTORY_CACHE_PLAYERS: '-1' })).toThrow(
      /INVENTORY_CACHE_PLAYERS/,
    );
    const off = await createTestApp(database.db, {
      inventoryCache: { players: env.INVENTORY_CACHE_PLAYERS, maxBytes: env.INVENTORY_CACHE_MB * 1024 * 1024 },
    });
    try {
      expect(off.app.inventoryCache).toBeNull();
      const player = await newPlayer(off.app);
      await withoutNotifications(async () => {
        // Nothing tells this app of the write, so only a database read can see it.
        for (let i = 1; i <= 3; i++) {
          await read(off.app, player);
          await sql.query('UPDATE players SET gold = gold + 1 WHERE id = $1', [player.id]);
          expect((await read(off.app, player)).json().gold).toBe(GAME_DATA.rewards.starter.gold + i);
        }
      });
      const metrics = (await off.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).not.toContain('game_api_inventory_cache');
    } finally {
      await off.close();
    }
  });
});
