/**
 * Publishing game data: every publish, rollback and first seed is one transaction that
 *
 * 1. takes the game-data advisory lock (so publishes run one at a time, the very first one included, when there is
 *    no row yet to lock with SELECT … FOR UPDATE),
 * 2. reads the head (the highest version) and builds the next release with `createRelease` (refusing content equal
 *    to the head: `GAMEDATA_NO_CHANGES`),
 * 3. inserts the new version and makes it the only active one,
 * 4. upserts the derived tables (card definitions, recipes, land parcels),
 * 5. appends `gamedata_published` to the outbox,
 *
 * or does nothing at all. Versions are never edited or deleted; a rollback is a new version whose content equals an
 * earlier one (`restores_version` names it).
 */
import { AppError } from '@harvest/shared/errors';
import {
  createRelease,
  type DiffSummary,
  type GameData,
  type GameDataDiff,
  type ReleaseHead,
  releaseContentJson,
} from '@harvest/shared/gamedata';
import type { Db, DbTransaction } from '../index.ts';
import { appendEvent } from '../outbox/index.ts';
import { checkPublishableContent, verifyStoredContent } from './content.ts';
import { type DerivedChanges, syncDerivedTablesInTx } from './derived.ts';

/**
 * The advisory lock serialising publishes: two-key form, first key `'HGDV'`; no other code uses it. Transaction
 * scoped, so it is released by the commit or rollback of the publish holding it.
 */
export const GAMEDATA_LOCK: readonly [number, number] = [0x48474456, 1];

/** The outbox key of `gamedata_published` (one key: versions are delivered in order). */
export const GAMEDATA_EVENT_KEY = 'gamedata';

/** Longest a publish transaction may take, waiting for a concurrent publish included (ms). */
const PUBLISH_TIMEOUT_MS = 60_000;

/** Input of {@link publishGameData}. */
export interface PublishGameDataInput {
  /** The whole game data, as `loadGameData` returns it (validated again here). */
  content: GameData;
  /** Who publishes: the designer's account id, or a name/e-mail for CLI publishes. Required. */
  author: string;
  /** Why, in the designer's words. Required. */
  message: string;
  /** Time recorded in the release (default: now). */
  now?: Date;
}

/** Input of {@link rollbackGameData}. */
export interface RollbackGameDataInput {
  /** The earlier version whose content becomes active again (as a new version). */
  version: number;
  author: string;
  message: string;
  now?: Date;
}

/** What a publish or rollback stored. */
export interface PublishedGameData {
  version: number;
  contentHash: string;
  /** The head this version follows; null for version 1. */
  parent: ReleaseHead | null;
  /** For a rollback: the version whose content this one restores. */
  restoresVersion: number | null;
  author: string;
  message: string;
  publishedAt: Date;
  /** Added/removed/changed counts per section against the parent. */
  summary: DiffSummary;
  /** The differences against the parent, field by field. */
  diff: GameDataDiff;
  /** Rows the derived tables gained, changed or retired. */
  derived: DerivedChanges;
}

/** Takes the publish lock for the rest of the transaction (waits while another publish holds it). */
export async function lockGameDataInTx(tx: DbTransaction): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${GAMEDATA_LOCK[0]}::int, ${GAMEDATA_LOCK[1]}::int)`;
}

/** The head of the history (the highest version) with its verified content, or null before the first publish. */
export async function readGameDataHeadInTx(tx: DbTransaction): Promise<{ head: ReleaseHead; content: GameData } | null> {
  const row = await tx.gameDataVersion.findFirst({
    orderBy: { version: 'desc' },
    select: { version: true, contentHash: true, content: true },
  });
  if (!row) return null;
  return { head: { version: row.version, contentHash: row.contentHash }, content: verifyStoredContent(row) };
}

/**
 * Stores the next version after the head: the release record, the active flag moved to it, the derived tables and
 * the `gamedata_published` event. The caller holds the publish lock ({@link lockGameDataInTx}).
 * @throws AppError `GAMEDATA_NO_CHANGES` when `content` equals the head's, `VALIDATION_FAILED` without an author or
 * a message.
 */
export async function storeReleaseInTx(
  tx: DbTransaction,
  input: { content: GameData; author: string; message: string; now: Date; restores?: number },
): Promise<PublishedGameData> {
  const previous = await readGameDataHeadInTx(tx);
  const built = createRelease({
    content: input.content,
    previous,
    author: input.author,
    message: input.message,
    now: input.now.getTime(),
    ...(input.restores === undefined ? {} : { restores: input.restores }),
  });
  if (!built.ok) {
    const { code, message } = built.violation;
    if (code === 'NO_CHANGES') {
      throw new AppError('GAMEDATA_NO_CHANGES', `nothing to publish: the content equals the active version ${previous?.head.version}`, {
        version: previous?.head.version,
        contentHash: previous?.head.contentHash,
      });
    }
    if (code === 'BAD_RESTORE') throw new AppError('GAMEDATA_VERSION_NOT_FOUND', message, { restores: input.restores });
    throw new AppError('VALIDATION_FAILED', message, { field: code === 'AUTHOR_REQUIRED' ? 'author' : 'message' });
  }
  const { release, diff } = built;
  await tx.gameDataVersion.updateMany({ where: { active: true }, data: { active: null } });
  await tx.gameDataVersion.create({
    data: {
      version: release.version,
      contentHash: release.contentHash,
      author: release.author,
      message: release.message,
      content: JSON.parse(releaseContentJson(release)),
      summary: release.summary,
      restoresVersion: release.restores,
      createdAt: input.now,
      publishedAt: input.now,
      active: true,
    },
  });
  const derived = await syncDerivedTablesInTx(tx, release.content, release.version);
  await appendEvent(tx, {
    type: 'gamedata_published',
    key: GAMEDATA_EVENT_KEY,
    occurredAt: input.now,
    payload: { version: release.version, contentHash: release.contentHash, author: release.author, message: release.message },
  });
  return {
    version: release.version,
    contentHash: release.contentHash,
    parent: release.parent,
    restoresVersion: release.restores,
    author: release.author,
    message: release.message,
    publishedAt: input.now,
    summary: release.summary,
    diff,
    derived,
  };
}

/**
 * Publishes game data as the next version and makes it active, in one transaction (see the module comment).
 * Servers learn of it through the `gamedata_published` event ({@link gameDataReloadHandler}).
 * @throws AppError `GAMEDATA_INVALID` (schema or cross-reference errors), `GAMEDATA_NO_CHANGES` (content equals the
 * active version; nothing is written), `VALIDATION_FAILED` (no author or message).
 */
export async function publishGameData(db: Db, input: PublishGameDataInput): Promise<PublishedGameData> {
  const content = checkPublishableContent(input.content);
  const now = input.now ?? new Date();
  return db.$transaction(
    async (tx) => {
      await lockGameDataInTx(tx);
      return storeReleaseInTx(tx, { content, author: input.author, message: input.message, now });
    },
    { timeout: PUBLISH_TIMEOUT_MS, maxWait: PUBLISH_TIMEOUT_MS },
  );
}

/**
 * Makes an earlier version's content active again as a new version (`restoresVersion` = that version), in one
 * transaction like a publish. History is never rewritten, so matches and cards keep pointing at what they used.
 * @throws AppError `GAMEDATA_VERSION_NOT_FOUND` (no such version, or not older than the head),
 * `GAMEDATA_NO_CHANGES` (its content equals the active version's), `VALIDATION_FAILED` (no author or message).
 */
export async function rollbackGameData(db: Db, input: RollbackGameDataInput): Promise<PublishedGameData> {
  if (!Number.isInteger(input.version) || input.version < 1) {
    throw new AppError('GAMEDATA_VERSION_NOT_FOUND', `no game data version ${input.version}`, { version: input.version });
  }
  const now = input.now ?? new Date();
  return db.$transaction(
    async (tx) => {
      await lockGameDataInTx(tx);
      const row = await tx.gameDataVersion.findUnique({
        where: { version: input.version },
        select: { version: true, contentHash: true, content: true },
      });
      if (!row) throw new AppError('GAMEDATA_VERSION_NOT_FOUND', `no game data version ${input.version}`, { version: input.version });
      const content = verifyStoredContent(row);
      return storeReleaseInTx(tx, { content, author: input.author, message: input.message, now, restores: input.version });
    },
    { timeout: PUBLISH_TIMEOUT_MS, maxWait: PUBLISH_TIMEOUT_MS },
  );
}

/** Input of {@link seedGameData}. */
export interface SeedGameDataInput {
  content: GameData;
  /** Default `seed`. */
  author?: string;
  /** Default `initial game data`. */
  message?: string;
  now?: Date;
}

/** What {@link seedGameData} did: published version 1, or found a history and left it alone. */
export type SeedGameDataResult = { seeded: true; version: number; contentHash: string } | { seeded: false; version: number | null };

/**
 * Publishes `content` as version 1 when the database has no game data version yet, and does nothing otherwise
 * (whatever the stored content is: designers may have published since). Safe to run on every start and from
 * several processes at once: the publish lock makes the check and the insert one step.
 * @throws AppError `GAMEDATA_INVALID` when the content does not validate (only checked when it would be published).
 */
export async function seedGameData(db: Db, input: SeedGameDataInput): Promise<SeedGameDataResult> {
  const now = input.now ?? new Date();
  return db.$transaction(
    async (tx): Promise<SeedGameDataResult> => {
      await lockGameDataInTx(tx);
      const existing = await tx.gameDataVersion.findFirst({ orderBy: { version: 'desc' }, select: { version: true } });
      if (existing) {
        const active = await tx.gameDataVersion.findUnique({ where: { active: true }, select: { version: true } });
        return { seeded: false, version: active?.version ?? null };
      }
      const content = checkPublishableContent(input.content);
      const stored = await storeReleaseInTx(tx, {
        content,
        author: input.author ?? 'seed',
        message: input.message ?? 'initial game data',
        now,
      });
      return { seeded: true, version: stored.version, contentHash: stored.contentHash };
    },
    { timeout: PUBLISH_TIMEOUT_MS, maxWait: PUBLISH_TIMEOUT_MS },
  );
}
