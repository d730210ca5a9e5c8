/**
 * Reading game data on servers: the active version, and any earlier version a running match or a replay needs.
 *
 * Each `Db` client gets a small in-process cache: parsed content and bound rules by version (the few most recently
 * used), and a pointer to the active version. {@link getActiveGameData} answers from the cache while the pointer is
 * younger than `maxAgeMs`, so a request or a room tick costs no query; the pointer is refreshed
 *
 * - at once when the process's consumer of `gamedata_published` runs {@link gameDataReloadHandler} (the reload hook),
 * - and, as a safety net for a consumer that is down or lagging, by a one-row query once it is older than `maxAgeMs`.
 *
 * Versions only grow (a rollback is a new version), so a late or repeated event never moves the pointer back.
 * Whoever starts a match or a craft reads the version once and stores `version` in the row it writes
 * (`matches.content_version`, `card_instances.content_version`), then keeps using that version's rules
 * ({@link getGameDataVersion}) until it ends, whatever is published meanwhile.
 */
import { AppError } from '@harvest/shared/errors';
import { createGameRules, type GameData, type GameRules } from '@harvest/shared/gamedata';
import type { Db, DbTransaction } from '../index.ts';
import { verifyStoredContent } from './content.ts';

/** One version of the game data, ready to use. */
export interface LoadedGameData {
  version: number;
  contentHash: string;
  author: string;
  message: string;
  /** For a rollback: the version whose content this one restores. */
  restoresVersion: number | null;
  publishedAt: Date | null;
  /** The validated content. Shared by every caller: never mutate it. */
  data: GameData;
  /** The rules bound to this content (`createGameRules`). */
  rules: GameRules;
}

/** Options of {@link getActiveGameData}. */
export interface GetActiveGameDataOptions {
  /**
   * How long the cached active version is trusted without asking the database (ms, default 30 s). The reload hook
   * makes the cache current at once; this bounds the staleness when events do not arrive. 0 asks every time.
   */
  maxAgeMs?: number;
}

/** Versions kept parsed per client (the active one and the few that running matches still use). */
const CACHED_VERSIONS = 8;
const DEFAULT_MAX_AGE_MS = 30_000;

interface CacheState {
  /** Loaded versions, least recently used first (Map order). */
  versions: Map<number, Promise<LoadedGameData>>;
  active: { version: number; checkedAt: number } | null;
}

const caches = new WeakMap<object, CacheState>();

function cacheOf(db: Db): CacheState {
  let state = caches.get(db);
  if (!state) {
    state = { versions: new Map(), active: null };
    caches.set(db, state);
  }
  return state;
}

type VersionReader = Pick<DbTransaction, 'gameDataVersion'>;

async function loadVersion(reader: VersionReader, version: number): Promise<LoadedGameData> {
  const row = await reader.gameDataVersion.findUnique({
    where: { version },
    select: {
      version: true,
      contentHash: true,
      author: true,
      message: true,
      restoresVersion: true,
      publishedAt: true,
      content: true,
    },
  });
  if (!row) throw new AppError('GAMEDATA_VERSION_NOT_FOUND', `no game data version ${version}`, { version });
  const data = verifyStoredContent(row);
  return {
    version: row.version,
    contentHash: row.contentHash,
    author: row.author,
    message: row.message,
    restoresVersion: row.restoresVersion,
    publishedAt: row.publishedAt,
    data,
    rules: createGameRules(data),
  };
}

/** The cached load of `version` (started with `reader` when missing); a failed load is not kept. */
function cachedVersion(state: CacheState, reader: VersionReader, version: number): Promise<LoadedGameData> {
  let loading = state.versions.get(version);
  if (loading) {
    state.versions.delete(version);
  } else {
    loading = loadVersion(reader, version);
    loading.catch(() => {
      if (state.versions.get(version) === loading) state.versions.delete(version);
    });
  }
  state.versions.set(version, loading);
  while (state.versions.size > CACHED_VERSIONS) {
    const oldest = state.versions.keys().next().value as number;
    state.versions.delete(oldest);
  }
  return loading;
}

/**
 * One game-data version (for a match or craft that recorded it, or a replay), from the cache when loaded before.
 * @throws AppError `GAMEDATA_VERSION_NOT_FOUND`, `GAMEDATA_CORRUPT` (stored content no longer verifies).
 */
export function getGameDataVersion(db: Db, version: number): Promise<LoadedGameData> {
  return cachedVersion(cacheOf(db), db, version);
}

/**
 * The active game-data version, from the in-process cache (see the module comment for when it refreshes).
 * @throws AppError `GAMEDATA_NOT_PUBLISHED` before the first publish (run the seed), `GAMEDATA_CORRUPT`.
 */
export async function getActiveGameData(db: Db, options: GetActiveGameDataOptions = {}): Promise<LoadedGameData> {
  const state = cacheOf(db);
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const now = performance.now();
  if (state.active && now - state.active.checkedAt < maxAgeMs) return cachedVersion(state, db, state.active.version);
  // findFirst, not findUnique: Prisma batches concurrent findUnique calls into one query it then rejects for this key.
  const active = await db.gameDataVersion.findFirst({ where: { active: true }, select: { version: true } });
  if (!active)
    throw new AppError('GAMEDATA_NOT_PUBLISHED', 'no game data has been published yet (run prisma/seed.ts or `gamedata publish`)');
  // An event handled while this query ran may already have moved the pointer further.
  if (!state.active || state.active.version <= active.version) state.active = { version: active.version, checkedAt: now };
  return cachedVersion(state, db, state.active.version);
}

/**
 * The reload hook: the handler of `gamedata_published` for the event bus's consumer framework. It loads the
 * published version into `db`'s cache (through the consumer's transaction) and makes it the active one, so the
 * next {@link getActiveGameData} returns it without waiting for `maxAgeMs`.
 *
 * Every server process must receive the event, so give each process its own consumer name (group):
 *
 * ```ts
 * const reload = createConsumer({
 *   name: `gamedata-reload-${hostname()}-${process.pid}`,
 *   handlers: { gamedata_published: gameDataReloadHandler(db) },
 *   transport, db, log,
 * });
 * await reload.start();
 * ```
 */
export function gameDataReloadHandler(db: Db): (tx: DbTransaction, event: { payload: { version: number } }) => Promise<void> {
  return async (tx, event) => {
    const state = cacheOf(db);
    const { version } = event.payload;
    if (state.active && state.active.version > version) return;
    // Loaded through the consumer's transaction; an error leaves the cache as it was and the event is retried.
    const loaded = await loadVersion(tx, version);
    state.versions.delete(version);
    state.versions.set(version, Promise.resolve(loaded));
    if (state.versions.size > CACHED_VERSIONS) state.versions.delete(state.versions.keys().next().value as number);
    if (!state.active || state.active.version <= version) state.active = { version, checkedAt: performance.now() };
  };
}
