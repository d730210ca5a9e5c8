/**
 * The read cache of `GET /v1/inventory`: per player, the response bodies (serialized JSON as sent, UTF-8 bytes) of
 * the queries they asked for, each with the game-data version it was built with. Bytes rather than strings: a hit
 * then writes them to the socket as they are, where a string would be encoded again on every response (a quarter
 * of the server's CPU in a profile of the bench's hits). Pure bookkeeping (no I/O): who invalidates it
 * and when is in {@link registerInventoryCache} and the route.
 *
 * Why it can be trusted:
 * - It serves only while the change feed listens ({@link InventoryCache.ready}); a lost feed connection clears it
 *   ({@link InventoryCache.reset}) and reads go to the database until the feed listens again.
 * - Every committed change to a player's gold, resources or cards invalidates that player: through the change feed
 *   (PostgreSQL NOTIFY after commit, from any process), and, for the player's own state-changing requests through
 *   this process, before their response is sent (read-your-writes without waiting for the notification).
 * - A fill is accepted only if nothing invalidated the player since the read STARTED: the read takes a
 *   {@link FillTicket} before it queries, holding the player's entry object, and an invalidation or a reset replaces
 *   that object. So a read that began before a write committed can never store what it saw after the write's
 *   invalidation has passed (the entry object is the player's generation; the epoch counts resets and readies).
 */
import type { Db } from '@harvest/db';
import { startPlayerChangeFeed } from '@harvest/db';
import type { FastifyInstance, onSendHookHandler } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Bounds of an {@link InventoryCache}. */
export interface InventoryCacheOptions {
  /** Players held at most (least recently used go first). */
  maxPlayers: number;
  /** Bytes of cached bodies held at most, over all players. */
  maxBytes: number;
  /** Distinct queries (limit, state, cursor) held per player at most; the oldest goes first. */
  maxQueriesPerPlayer?: number;
}

/** What a read took before querying; hand it back to {@link InventoryCache.fill}. */
export interface FillTicket {
  readonly playerId: string;
  readonly entry: Entry;
  readonly epoch: number;
}

interface Body {
  bytes: Buffer;
  contentVersion: number;
}

interface Entry {
  bodies: Map<string, Body>;
  bytes: number;
}

/** Counters since start (the /metrics counters read them). */
export interface InventoryCacheStats {
  /** Answered from the cache. */
  hits: number;
  /** Looked up while ready and not found (or built with another game-data version). */
  misses: number;
  /** Not looked up because the feed was not listening. */
  bypasses: number;
  /** Bodies stored. */
  fills: number;
  /** Bodies refused because the player was invalidated (or the cache reset) after their read started. */
  staleFills: number;
  /** Invalidations by change notification (whether or not the player had an entry). */
  notified: number;
  /** Invalidations by the player's own state-changing request through this process. */
  ownWrites: number;
  /** Feed connection losses (everything dropped). */
  resets: number;
  /** Entries dropped to stay within the bounds. */
  evictions: number;
}

/** See the module comment. */
export interface InventoryCache {
  /** Whether it serves and fills (the change feed listens). */
  readonly isReady: boolean;
  readonly players: number;
  readonly bytes: number;
  readonly stats: Readonly<InventoryCacheStats>;
  /** Whether the player has an entry (possibly still empty, while their first read is in flight). */
  holds(playerId: string): boolean;
  /** The cached body of this player's query, built with `contentVersion`; undefined on a miss or when not ready. */
  lookup(playerId: string, key: string, contentVersion: number): Buffer | undefined;
  /** Call before the read's query is sent. Undefined when not ready (then do not fill). */
  begin(playerId: string): FillTicket | undefined;
  /** Stores a body read under `ticket`, unless the player was invalidated since; returns whether it was stored. */
  fill(ticket: FillTicket, key: string, contentVersion: number, body: Buffer): boolean;
  /** Drops a player's bodies and refuses fills of reads already started. */
  invalidate(playerId: string, source: 'notified' | 'ownWrites'): void;
  /** The feed lost its connection: drop everything, serve and fill nothing until {@link ready}. */
  reset(): void;
  /** The feed listens (again): serve and fill from now on. */
  ready(): void;
}

/** Creates an empty cache, not ready until {@link InventoryCache.ready}. */
export function createInventoryCache(options: InventoryCacheOptions): InventoryCache {
  const maxQueries = options.maxQueriesPerPlayer ?? 8;
  // Map order is recency order: a hit moves the player to the end, eviction takes from the front.
  const entries = new Map<string, Entry>();
  let bytes = 0;
  let epoch = 0;
  let isReady = false;
  const stats: InventoryCacheStats = {
    hits: 0,
    misses: 0,
    bypasses: 0,
    fills: 0,
    staleFills: 0,
    notified: 0,
    ownWrites: 0,
    resets: 0,
    evictions: 0,
  };

  const drop = (playerId: string) => {
    const entry = entries.get(playerId);
    if (!entry) return;
    bytes -= entry.bytes;
    entries.delete(playerId);
  };
  const shrink = () => {
    for (const [playerId] of entries) {
      if (entries.size <= options.maxPlayers && bytes <= options.maxBytes) return;
      drop(playerId);
      stats.evictions++;
    }
  };

  return {
    get isReady() {
      return isReady;
    },
    get players() {
      return entries.size;
    },
    get bytes() {
      return bytes;
    },
    stats,
    holds: (playerId) => entries.has(playerId),
    lookup(playerId, key, contentVersion) {
      if (!isReady) {
        stats.bypasses++;
        return undefined;
      }
      const entry = entries.get(playerId);
      const body = entry?.bodies.get(key);
      if (!entry || !body || body.contentVersion !== contentVersion) {
        stats.misses++;
        return undefined;
      }
      entries.delete(playerId);
      entries.set(playerId, entry);
      stats.hits++;
      return body.bytes;
    },
    begin(playerId) {
      if (!isReady) return undefined;
      let entry = entries.get(playerId);
      if (!entry) {
        entry = { bodies: new Map(), bytes: 0 };
        entries.set(playerId, entry);
        shrink();
      }
      return { playerId, entry, epoch };
    },
    fill(ticket, key, contentVersion, body) {
      // Same epoch (no reset or ready since) and the same entry object (no invalidation or eviction since).
      if (!isReady || ticket.epoch !== epoch || entries.get(ticket.playerId) !== ticket.entry) {
        stats.staleFills++;
        return false;
      }
      if (body.length > options.maxBytes) return false;
      const entry = ticket.entry;
      const previous = entry.bodies.get(key);
      if (previous) {
        entry.bodies.delete(key);
        entry.bytes -= previous.bytes.length;
        bytes -= previous.bytes.length;
      } else if (entry.bodies.size >= maxQueries) {
        const [oldestKey, oldest] = entry.bodies.entries().next().value as [string, Body];
        entry.bodies.delete(oldestKey);
        entry.bytes -= oldest.bytes.length;
        bytes -= oldest.bytes.length;
      }
      entry.bodies.set(key, { bytes: body, contentVersion });
      entry.bytes += body.length;
      bytes += body.length;
      entries.delete(ticket.playerId);
      entries.set(ticket.playerId, entry);
      stats.fills++;
      shrink();
      return true;
    },
    invalidate(playerId, source) {
      stats[source]++;
      drop(playerId);
    },
    reset() {
      isReady = false;
      epoch++;
      entries.clear();
      bytes = 0;
      stats.resets++;
    },
    ready() {
      epoch++;
      isReady = true;
    },
  };
}

/** Options of {@link registerInventoryCache}. */
export interface InventoryCacheWiring extends InventoryCacheOptions {
  db: Db;
  registry: Registry;
  /** Change feed heartbeat (ms); see packages/db/src/changes. */
  heartbeatMs?: number;
}

/**
 * Creates the cache and wires it into the app: the change feed starts when the app is ready and closes with it,
 * every non-GET request of an authenticated player invalidates that player before its response is sent, and
 * /metrics shows the counters.
 */
export function registerInventoryCache(app: FastifyInstance, options: InventoryCacheWiring): InventoryCache {
  const cache = createInventoryCache(options);
  let feed: ReturnType<typeof startPlayerChangeFeed> | undefined;
  app.addHook('onReady', async () => {
    feed = startPlayerChangeFeed(
      options.db,
      {
        onChange: (playerId) => cache.invalidate(playerId, 'notified'),
        onReset: () => {
          cache.reset();
          app.log.warn('inventory change feed lost its connection: inventory cache cleared, reads go to the database');
        },
        onReady: () => {
          cache.ready();
          app.log.info('inventory change feed listening: inventory cache on');
        },
        onError: (error) => app.log.warn({ err: error }, 'inventory change feed error'),
      },
      options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs },
    );
  });
  app.addHook('onClose', async () => {
    await feed?.close();
  });
  // onSend runs after the handler and before the response is written: the player's next read, which the client can
  // only send after this response, finds no stale entry. Failed writes invalidate too (harmless). Added to each
  // route that is not a GET when the route is declared, so reads (the hot path) run no hook for it.
  const invalidateOwn: onSendHookHandler = (request, _reply, payload, done) => {
    if (request.auth) cache.invalidate(request.auth.sub, 'ownWrites');
    done(null, payload);
  };
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.every((method) => method === 'GET' || method === 'HEAD')) return;
    route.onSend = [...(route.onSend === undefined ? [] : Array.isArray(route.onSend) ? route.onSend : [route.onSend]), invalidateOwn];
  });

  const registers = [options.registry];
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  counter('game_api_inventory_cache_hits_total', 'GET /v1/inventory answered from the cache', () => cache.stats.hits);
  counter(
    'game_api_inventory_cache_misses_total',
    'GET /v1/inventory read from the database while the cache was on',
    () => cache.stats.misses,
  );
  counter(
    'game_api_inventory_cache_bypasses_total',
    'GET /v1/inventory read from the database because the change feed was not listening',
    () => cache.stats.bypasses,
  );
  counter('game_api_inventory_cache_fills_total', 'Inventory bodies stored in the cache', () => cache.stats.fills);
  counter(
    'game_api_inventory_cache_stale_fills_total',
    'Inventory bodies refused because the player changed while they were read',
    () => cache.stats.staleFills,
  );
  counter('game_api_inventory_cache_notified_total', 'Inventory invalidations by change notification', () => cache.stats.notified);
  counter(
    'game_api_inventory_cache_own_writes_total',
    "Inventory invalidations by the player's own state-changing request",
    () => cache.stats.ownWrites,
  );
  counter('game_api_inventory_cache_resets_total', 'Inventory change feed connection losses (cache cleared)', () => cache.stats.resets);
  counter(
    'game_api_inventory_cache_evictions_total',
    'Players dropped from the inventory cache to stay within its bounds',
    () => cache.stats.evictions,
  );
  new Gauge({
    name: 'game_api_inventory_cache_players',
    help: 'Players in the inventory cache',
    registers,
    collect() {
      this.set(cache.players);
    },
  });
  new Gauge({
    name: 'game_api_inventory_cache_bytes',
    help: 'Bytes of inventory bodies in the cache',
    registers,
    collect() {
      this.set(cache.bytes);
    },
  });
  new Gauge({
    name: 'game_api_inventory_cache_ready',
    help: '1 while the inventory change feed listens and the cache serves, else 0',
    registers,
    collect() {
      this.set(cache.isReady ? 1 : 0);
    },
  });
  return cache;
}
