/**
 * The inventory change feed: which players' inventories changed, as PostgreSQL tells it, for read caches.
 *
 * Triggers on `players` (gold, starter grant), `resources` and `card_instances` (both the old and the new owner)
 * run `pg_notify('inventory_changes', player_id)` (migration 20261121200000_inventory_change_feed). NOTIFY is
 * transactional: a notification is delivered after its transaction commits, never for one rolled back, so every
 * change any process commits (this one, instance servers, the marketplace, the minter, the indexer, psql) reaches
 * every listener. A listener cannot learn what it missed while it was not connected; the feed therefore reports
 * the loss of its connection ({@link PlayerChangeFeedHandlers.onReset}) before anything else, and readiness
 * ({@link PlayerChangeFeedHandlers.onReady}) only once LISTEN is in effect again: a cache must drop everything
 * on reset and serve nothing until ready.
 *
 * A connection that dies without a word (a half-open TCP connection after a network partition or a failover) is
 * found by a heartbeat query: one that does not answer in time counts as lost.
 */
import pg from 'pg';
import type { Db } from '../index.ts';

/** The channel the triggers notify on; the payload is the player id (lower-case UUID text). */
export const INVENTORY_CHANGES_CHANNEL = 'inventory_changes';

/** `application_name` of the listening connection (find it in `pg_stat_activity`). */
export const CHANGE_FEED_APPLICATION_NAME = 'harvest-inventory-feed';

/** What the feed calls. Each runs synchronously inside the pg client's event handler: keep them short. */
export interface PlayerChangeFeedHandlers {
  /** A committed transaction changed what this player's inventory shows. */
  onChange(playerId: string): void;
  /** The connection was lost: changes from now until the next {@link onReady} may never be reported. */
  onReset(): void;
  /** LISTEN is in effect (first connection or a reconnection): every change committed from now on is reported. */
  onReady(): void;
  /** A connection attempt or the heartbeat failed (for logs; the feed retries by itself). */
  onError?(error: unknown): void;
}

/** Options of {@link startPlayerChangeFeed}. */
export interface PlayerChangeFeedOptions {
  /** First wait before reconnecting (ms, default 100); doubles per failed attempt up to {@link maxRetryMs}. */
  retryMs?: number;
  /** Longest wait between reconnection attempts (ms, default 5,000). */
  maxRetryMs?: number;
  /** How often the heartbeat query runs (ms, default 5,000). */
  heartbeatMs?: number;
  /** How long a heartbeat or connection attempt may take before the connection counts as lost (ms, default 5,000). */
  timeoutMs?: number;
}

/** A running feed. */
export interface PlayerChangeFeed {
  /** Whether LISTEN is in effect now (between {@link PlayerChangeFeedHandlers.onReady} and the next reset). */
  readonly listening: boolean;
  /** Stops listening and closes the connection; no handler is called afterwards. */
  close(): Promise<void>;
}

const connectionStrings = new WeakMap<Db, string>();

/** Records the connection string of a client made by `createDb`, so a feed can open its own connection. */
export function registerChangeFeedConnection(db: Db, connectionString: string): void {
  connectionStrings.set(db, connectionString);
}

/**
 * Starts listening for inventory changes on a dedicated connection to the database of `db` (a client made by
 * `createDb`), reconnecting with backoff until {@link PlayerChangeFeed.close}. Resolves at once; readiness comes
 * through `onReady`.
 */
export function startPlayerChangeFeed(db: Db, handlers: PlayerChangeFeedHandlers, options: PlayerChangeFeedOptions = {}): PlayerChangeFeed {
  const connectionString = connectionStrings.get(db);
  if (connectionString === undefined) throw new Error('this client was not made by createDb: the change feed cannot connect');
  const retryMs = options.retryMs ?? 100;
  const maxRetryMs = options.maxRetryMs ?? 5_000;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 5_000;

  let closed = false;
  let listening = false;
  /** The connection in use (connecting or listening); events of any other are stale. */
  let current: pg.Client | null = null;
  let retryTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let failures = 0;

  const report = (error: unknown) => {
    try {
      handlers.onError?.(error);
    } catch {
      // a logging handler that throws must not stop the feed
    }
  };

  /** Forgets `client` (once), tells the handlers if it was listening, and schedules the next attempt. */
  const lose = (client: pg.Client, error?: unknown) => {
    if (client !== current) return;
    current = null;
    clearInterval(heartbeatTimer);
    // Destroy rather than end: a half-open connection would never answer the termination message.
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    client.end().catch(() => undefined);
    if (error !== undefined) report(error);
    if (listening) {
      listening = false;
      handlers.onReset();
    }
    if (closed) return;
    const wait = Math.min(maxRetryMs, retryMs * 2 ** failures) * (0.5 + Math.random() / 2);
    failures++;
    retryTimer = setTimeout(connect, wait);
    retryTimer.unref();
  };

  /** Runs `run` on `client`, counting the connection lost when it fails or takes longer than `timeoutMs`. */
  const within = async (client: pg.Client, run: () => Promise<unknown>): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from PostgreSQL within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([run(), timeout]);
      return true;
    } catch (error) {
      lose(client, error);
      return false;
    } finally {
      clearTimeout(timer);
    }
  };

  function connect(): void {
    if (closed) return;
    const client = new pg.Client({ connectionString, application_name: CHANGE_FEED_APPLICATION_NAME, keepAlive: true });
    current = client;
    client.on('notification', (message) => {
      // Also before onReady: harmless (a cache is empty then), and no change is dropped.
      if (client !== current || message.channel !== INVENTORY_CHANGES_CHANNEL || !message.payload) return;
      try {
        handlers.onChange(message.payload);
      } catch (error) {
        report(error);
      }
    });
    client.on('error', (error) => lose(client, error));
    client.on('end', () => lose(client, new Error('the change feed connection ended')));
    void (async () => {
      if (!(await within(client, () => client.connect()))) return;
      if (!(await within(client, () => client.query(`LISTEN ${pg.escapeIdentifier(INVENTORY_CHANGES_CHANNEL)}`)))) return;
      if (client !== current || closed) return;
      failures = 0;
      listening = true;
      heartbeatTimer = setInterval(() => {
        void within(client, () => client.query('SELECT 1'));
      }, heartbeatMs);
      heartbeatTimer.unref();
      handlers.onReady();
    })();
  }

  connect();
  return {
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      clearInterval(heartbeatTimer);
      listening = false;
      const client = current;
      current = null;
      await client?.end().catch(() => undefined);
    },
  };
}
