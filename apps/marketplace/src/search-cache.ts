/**
 * A short-lived cache of search answers (the JSON text), shared by every request of the process. An answer is
 * reused only while the market version (packages/db `getMarketVersion`: the indexer's head, final block and epoch,
 * and the newest feed row) is the one it was computed under, and for at most `ttlMs` (expiry is a matter of time).
 * The version is polled every `pollMs`, so a search is at most about that much behind the chain and the listings;
 * listing detail and the buy flow never use it. Identical concurrent misses share one query (single flight). Past
 * `ttlMs` with the version unchanged, the old answer is still served while one request refreshes it (only expiry
 * can have changed it), so a popular search never waits on the database. `ttlMs: 0` turns it off.
 */
import { type Db, getMarketVersion } from '@harvest/db';
import type { Logger } from '@harvest/service';

export interface SearchCache {
  /** The cached answer for `key`, or `load()`'s (then cached). */
  get(key: string, load: () => Promise<string>): Promise<string>;
  /** Forgets every answer (this process changed the listings). */
  invalidate(): void;
  /** The market version answers are cached under (null: not read yet, or the last read failed). */
  version(): string | null;
  stop(): void;
}

/** Starts the version poller; `stop` ends it. */
export function createSearchCache(input: {
  db: Db;
  chainId: number;
  ttlMs: number;
  pollMs: number;
  maxEntries?: number;
  log: Logger;
  now?: () => number;
}): SearchCache {
  const now = input.now ?? Date.now;
  const maxEntries = input.maxEntries ?? 2000;
  const entries = new Map<string, { version: string; expires: number; value: Promise<string> }>();
  let version: string | null = null;
  let stopped = input.ttlMs <= 0;
  let timer: NodeJS.Timeout | undefined;

  const poll = async () => {
    try {
      const next = await getMarketVersion(input.db, input.chainId);
      if (next !== version) {
        entries.clear();
        version = next;
      }
    } catch (error) {
      // Without a version nothing is served from the cache until the next poll succeeds.
      version = null;
      entries.clear();
      input.log.warn({ err: error }, 'search cache: market version poll failed');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void poll().finally(schedule), input.pollMs);
    timer.unref();
  };
  if (!stopped) void poll().finally(schedule);

  return {
    get(key, load) {
      const current = version;
      if (stopped || current === null) return load();
      const hit = entries.get(key);
      if (hit && hit.version === current) {
        if (hit.expires > now()) return hit.value;
        // Stale by time only: refresh once in the background, keep serving the old answer meanwhile.
        hit.expires = now() + input.ttlMs;
        const fresh = load();
        fresh.then(
          () => {
            if (entries.get(key) === hit) hit.value = fresh;
          },
          () => undefined,
        );
        return hit.value;
      }
      const value = load();
      const entry = { version: current, expires: now() + input.ttlMs, value };
      entries.delete(key);
      entries.set(key, entry);
      value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      return value;
    },
    invalidate() {
      entries.clear();
    },
    version: () => version,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      entries.clear();
    },
  };
}
