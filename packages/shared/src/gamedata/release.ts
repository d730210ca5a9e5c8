/**
 * Releases: the numbered, hashed, attributed versions of game data that `publish` stores and servers load.
 *
 * The history is append-only. Publishing makes version `previous + 1`; a rollback is also a new version whose
 * content equals an earlier one (`restores` names it), so every match and craft can keep pointing at the exact
 * version it used and the audit trail never loses a step.
 */

import type { Violation } from '../rules/core/result.ts';
import { type GameData, gameDataSchema } from '../schemas/gamedata/file.ts';
import { canonicalJson, contentHash } from './content.ts';
import { type DiffSummary, diffGameData, type GameDataDiff, summarizeDiff } from './diff.ts';

/** The identity of a release: its number and content hash. */
export interface ReleaseHead {
  readonly version: number;
  readonly contentHash: string;
}

/**
 * A release as the database stores it (one row per version; `content` as JSON) and as the publish event carries
 * it (without `content`).
 */
export interface GameDataRelease extends ReleaseHead {
  /** Record format version. */
  readonly format: 1;
  /** The release this one follows; null for the first. */
  readonly parent: ReleaseHead | null;
  /** For a rollback: the earlier version whose content this restores. */
  readonly restores: number | null;
  /** Who published: the designer's account id (or e-mail for CLI publishes before accounts exist). */
  readonly author: string;
  /** Why, in the designer's words (required). */
  readonly message: string;
  /** ISO 8601 time of publishing, from the caller's clock. */
  readonly createdAt: string;
  /** Counts of added/removed/changed entries per section against the parent. */
  readonly summary: DiffSummary;
  /** The full canonical content (lists sorted by id). */
  readonly content: GameData;
}

/** Release violation codes. */
export const RELEASE_VIOLATIONS = ['AUTHOR_REQUIRED', 'MESSAGE_REQUIRED', 'NO_CHANGES', 'BAD_RESTORE'] as const;
/** A release violation code. */
export type ReleaseViolationCode = (typeof RELEASE_VIOLATIONS)[number];

/** Input for {@link createRelease}. */
export interface ReleaseInput {
  readonly content: GameData;
  /** The current head release (with content, to compute the summary), or null before the first publish. */
  readonly previous: { readonly head: ReleaseHead; readonly content: GameData } | null;
  readonly author: string;
  readonly message: string;
  /** Milliseconds since the epoch (the caller's clock; the rules have none). */
  readonly now: number;
  /** Set for a rollback: the version being restored (must be older than the head). */
  readonly restores?: number;
}

/**
 * Builds the next release, or refuses: an author and a message are required, and publishing content identical to
 * the head is refused (`NO_CHANGES`) so versions always mean something.
 */
export function createRelease(
  input: ReleaseInput,
): { ok: true; release: GameDataRelease; diff: GameDataDiff } | { ok: false; violation: Violation<ReleaseViolationCode> } {
  const author = input.author.trim();
  const message = input.message.trim();
  if (author === '') return { ok: false, violation: { code: 'AUTHOR_REQUIRED', message: 'a release needs an author' } };
  if (message === '') return { ok: false, violation: { code: 'MESSAGE_REQUIRED', message: 'a release needs a message' } };
  const hash = contentHash(input.content);
  const prev = input.previous;
  if (prev && prev.head.contentHash === hash) {
    return { ok: false, violation: { code: 'NO_CHANGES', message: `content equals version ${prev.head.version}` } };
  }
  const restores = input.restores ?? null;
  if (restores !== null && (!prev || !Number.isInteger(restores) || restores < 1 || restores >= prev.head.version)) {
    return { ok: false, violation: { code: 'BAD_RESTORE', message: 'a rollback restores an earlier version than the head' } };
  }
  const diff = diffGameData(prev?.content ?? null, input.content);
  return {
    ok: true,
    diff,
    release: {
      format: 1,
      version: prev ? prev.head.version + 1 : 1,
      contentHash: hash,
      parent: prev ? { version: prev.head.version, contentHash: prev.head.contentHash } : null,
      restores,
      author,
      message,
      createdAt: new Date(input.now).toISOString(),
      summary: summarizeDiff(diff),
      content: input.content,
    },
  };
}

/**
 * Checks a release read back from storage: the content still validates and still hashes to `contentHash`.
 * @returns the re-validated content, or a reason.
 */
export function verifyRelease(release: {
  readonly contentHash: string;
  readonly content: unknown;
}): { ok: true; content: GameData } | { ok: false; reason: string } {
  const parsed = gameDataSchema.safeParse(release.content);
  if (!parsed.success) return { ok: false, reason: `content does not validate: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  const hash = contentHash(parsed.data);
  if (hash !== release.contentHash) return { ok: false, reason: `content hashes to ${hash}, release says ${release.contentHash}` };
  return { ok: true, content: parsed.data };
}

/** The JSON text to store for a release's content (canonical, so the stored bytes hash to `contentHash`). */
export function releaseContentJson(release: GameDataRelease): string {
  return canonicalJson(release.content);
}
