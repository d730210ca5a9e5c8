/**
 * The inventory cache's bookkeeping (pure): what it serves, when it refuses a fill (the read-vs-invalidation race),
 * and its bounds. The route and the change feed around it are tested in inventory-cache.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createInventoryCache } from '../../../src/routes/inventory/cache.ts';

/** A cached body as text (undefined on a miss). */
const text = (body: Buffer | undefined) => body?.toString('utf8');

const ready = (options: Partial<Parameters<typeof createInventoryCache>[0]> = {}) => {
  const cache = createInventoryCache({ maxPlayers: 100, maxBytes: 1_000_000, ...options });
  cache.ready();
  return cache;
};

/**
 * A reader whose result the test releases: the database read of a cache miss, started before and finished after
 * whatever the test does in between (as a query in flight while a write commits).
 */
function controllableRead(cache: ReturnType<typeof createInventoryCache>, playerId: string, key: string) {
  const ticket = cache.begin(playerId);
  return {
    finish: (json: string) => (ticket ? cache.fill(ticket, key, 1, Buffer.from(json)) : false),
  };
}

describe('inventory cache', () => {
  it('serves what was filled, for the same query and game-data version only', () => {
    const cache = ready();
    expect(cache.lookup('p', 'q', 1)).toBeUndefined();
    expect(controllableRead(cache, 'p', 'q').finish('{"gold":1}')).toBe(true);
    expect(text(cache.lookup('p', 'q', 1))).toBe('{"gold":1}');
    expect(cache.lookup('p', 'other query', 1)).toBeUndefined();
    expect(cache.lookup('p', 'q', 2)).toBeUndefined();
    expect(cache.lookup('someone else', 'q', 1)).toBeUndefined();
    expect(cache.stats).toMatchObject({ hits: 1, misses: 4, fills: 1 });
  });

  it('the fill race: a read that started before an invalidation does not fill, one started after does', () => {
    const cache = ready();
    const before = controllableRead(cache, 'p', 'q');
    // The write commits and its notification arrives while the read is in flight.
    cache.invalidate('p', 'notified');
    const after = controllableRead(cache, 'p', 'q');
    expect(before.finish('{"gold":1}')).toBe(false);
    expect(cache.lookup('p', 'q', 1)).toBeUndefined();
    expect(after.finish('{"gold":2}')).toBe(true);
    expect(text(cache.lookup('p', 'q', 1))).toBe('{"gold":2}');
    expect(cache.stats.staleFills).toBe(1);
  });

  it('an invalidation of a cached player refuses fills of reads already in flight, even of another query', () => {
    const cache = ready();
    controllableRead(cache, 'p', 'a').finish('A');
    const inFlight = controllableRead(cache, 'p', 'b');
    cache.invalidate('p', 'ownWrites');
    expect(cache.lookup('p', 'a', 1)).toBeUndefined();
    expect(inFlight.finish('B')).toBe(false);
    expect(cache.stats.ownWrites).toBe(1);
  });

  it('an invalidation of another player changes nothing', () => {
    const cache = ready();
    const read = controllableRead(cache, 'p', 'q');
    cache.invalidate('someone else', 'notified');
    expect(read.finish('{}')).toBe(true);
  });

  it('reset drops everything and serves nothing until ready; reads started before a reset or a ready never fill', () => {
    const cache = ready();
    controllableRead(cache, 'p', 'q').finish('old');
    const beforeReset = controllableRead(cache, 'p', 'q');
    cache.reset();
    expect(cache.isReady).toBe(false);
    expect(cache.players).toBe(0);
    expect(cache.lookup('p', 'q', 1)).toBeUndefined();
    expect(cache.stats.bypasses).toBe(1);
    // While not ready, reads get no ticket: nothing read then is kept.
    expect(cache.begin('p')).toBeUndefined();
    cache.ready();
    expect(beforeReset.finish('stale')).toBe(false);
    expect(cache.lookup('p', 'q', 1)).toBeUndefined();
    // Started before a reset and a ready, with nothing else happening to the player in between.
    const straddling = controllableRead(cache, 'p', 'q');
    cache.reset();
    cache.ready();
    expect(straddling.finish('stale')).toBe(false);
    expect(cache.stats.resets).toBe(2);
  });

  it('is not ready until told', () => {
    const cache = createInventoryCache({ maxPlayers: 10, maxBytes: 1_000 });
    expect(cache.begin('p')).toBeUndefined();
    expect(cache.lookup('p', 'q', 1)).toBeUndefined();
    expect(cache.stats.bypasses).toBe(1);
  });

  it('keeps at most maxPlayers players, dropping the least recently used, and a dropped player’s read does not fill', () => {
    const cache = ready({ maxPlayers: 2 });
    controllableRead(cache, 'a', 'q').finish('A');
    controllableRead(cache, 'b', 'q').finish('B');
    expect(text(cache.lookup('a', 'q', 1))).toBe('A');
    const late = controllableRead(cache, 'b', 'q2');
    controllableRead(cache, 'c', 'q').finish('C');
    expect(cache.lookup('b', 'q', 1)).toBeUndefined();
    expect(text(cache.lookup('a', 'q', 1))).toBe('A');
    expect(text(cache.lookup('c', 'q', 1))).toBe('C');
    expect(late.finish('B2')).toBe(false);
    expect(cache.players).toBe(2);
  });

  it('keeps at most maxBytes of bodies and maxQueriesPerPlayer queries per player', () => {
    const cache = ready({ maxBytes: 10, maxQueriesPerPlayer: 2 });
    controllableRead(cache, 'a', 'q').finish('12345');
    controllableRead(cache, 'b', 'q').finish('12345');
    expect(cache.bytes).toBe(10);
    controllableRead(cache, 'c', 'q').finish('123');
    expect(cache.lookup('a', 'q', 1)).toBeUndefined();
    expect(cache.bytes).toBe(8);
    expect(controllableRead(cache, 'd', 'q').finish('12345678901')).toBe(false);

    controllableRead(cache, 'c', 'q2').finish('1');
    controllableRead(cache, 'c', 'q3').finish('2');
    expect(cache.lookup('c', 'q', 1)).toBeUndefined();
    expect([text(cache.lookup('c', 'q2', 1)), text(cache.lookup('c', 'q3', 1))]).toEqual(['1', '2']);
    // A refill of the same query replaces its body.
    controllableRead(cache, 'c', 'q3').finish('22');
    expect(text(cache.lookup('c', 'q3', 1))).toBe('22');
    expect(cache.bytes).toBe(5 + 1 + 2);
  });
});
