/** The search answer cache against a real database: reuse, single flight, invalidation by the market version, refresh when stale. */
import type { Db } from '@harvest/db';
import { createTestDatabase, type TestDatabase } from '@harvest/db/testing';
import { createLogger } from '@harvest/service';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSearchCache, type SearchCache } from '../src/search-cache.ts';
import { waitFor } from './support/world.ts';

let database: TestDatabase;
let db: Db;
const caches: SearchCache[] = [];
const log = createLogger('search-cache-test', 'silent');

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});

afterAll(async () => {
  for (const cache of caches) cache.stop();
  await database?.drop();
});

function cacheWith(options: { ttlMs: number; now?: () => number }): SearchCache {
  const cache = createSearchCache({ db, chainId: 31337, pollMs: 20, log, ...options });
  caches.push(cache);
  return cache;
}

const addActivity = () =>
  db.$executeRaw`INSERT INTO market_activity (chain_id, kind, collection, token_id) VALUES (31337, 'listed', ${`0x${'12'.repeat(20)}`}, 1)`;

it('reuses an answer until the market version changes, and shares one load between concurrent misses', async () => {
  const cache = cacheWith({ ttlMs: 60_000 });
  await waitFor('the first market version', async () => cache.version() !== null);
  const loads: string[] = [];
  const load = (value: string) => async () => {
    loads.push(value);
    return value;
  };
  expect(await cache.get('q', load('a'))).toBe('a');
  expect(await cache.get('q', load('b'))).toBe('a');
  let release: (value: string) => void = () => undefined;
  const slow = () => {
    loads.push('slow');
    return new Promise<string>((resolve) => {
      release = resolve;
    });
  };
  const both = Promise.all([cache.get('r', slow), cache.get('r', slow)]);
  release('s');
  expect(await both).toEqual(['s', 's']);
  expect(loads).toEqual(['a', 'slow']);

  const before = cache.version();
  await addActivity();
  await waitFor('a new market version', async () => cache.version() !== before);
  expect(await cache.get('q', load('c'))).toBe('c');
  cache.invalidate();
  expect(await cache.get('q', load('d'))).toBe('d');
});

it('serves a time-expired answer while one request refreshes it, and caches nothing with ttl 0', async () => {
  let clock = 1_000_000;
  const cache = cacheWith({ ttlMs: 100, now: () => clock });
  await waitFor('the first market version', async () => cache.version() !== null);
  expect(await cache.get('q', async () => 'old')).toBe('old');
  clock += 500;
  let refreshes = 0;
  const refresh = async () => {
    refreshes++;
    return 'new';
  };
  expect(await cache.get('q', refresh)).toBe('old');
  await new Promise((resolve) => setImmediate(resolve));
  expect(await cache.get('q', refresh)).toBe('new');
  expect(refreshes).toBe(1);

  const off = cacheWith({ ttlMs: 0 });
  let calls = 0;
  for (let i = 0; i < 3; i++)
    await off.get('q', async () => {
      calls++;
      return 'x';
    });
  expect(calls).toBe(3);
});
