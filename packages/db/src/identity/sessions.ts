/**
 * Login sessions as refresh-token families. A family is one sign-in; each refresh spends its token and adds the
 * next one. Presenting a spent token again means it was copied: the whole family is revoked (the thief and the
 * owner both sign in again). Only SHA-256 hashes of tokens are stored.
 */
import type { Prisma } from '../generated/prisma/client.ts';
import type { Db } from '../index.ts';
import { appendEvent } from '../outbox/index.ts';

/** Refresh-token lifetime: 30 days from each rotation. */
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** A new refresh token as the caller minted it: only its hash reaches the database. */
export interface NewRefreshToken {
  tokenHash: string;
  expiresAt: Date;
}

/** Who a session is for, as the access token needs it. */
export interface SessionPlayer {
  id: string;
  isGuest: boolean;
  roles: Array<'player' | 'designer' | 'admin'>;
}

/** Starts a family with its first token; returns the family (session) id. */
export async function createSessionInTx(tx: Prisma.TransactionClient, playerId: string, token: NewRefreshToken): Promise<string> {
  // One statement for both rows: sign-in is the hot path.
  const rows = await tx.$queryRaw<Array<{ family_id: string }>>`
    WITH f AS (INSERT INTO refresh_token_families (player_id, expires_at) VALUES (${playerId}::uuid, ${token.expiresAt}) RETURNING id)
    INSERT INTO refresh_tokens (family_id, token_hash, expires_at) SELECT id, ${token.tokenHash}, ${token.expiresAt} FROM f
    RETURNING family_id`;
  const row = rows[0];
  if (!row) throw new Error('the session was not created');
  return row.family_id;
}

/** Revokes every live family of a player (e.g. its guest sessions on upgrade); returns their ids. */
export async function revokePlayerSessionsInTx(
  tx: Prisma.TransactionClient,
  playerId: string,
  reason: string,
  now: Date,
): Promise<string[]> {
  const live = await tx.refreshTokenFamily.findMany({ where: { playerId, revokedAt: null }, select: { id: true } });
  if (live.length === 0) return [];
  const ids = live.map((f) => f.id);
  await tx.refreshTokenFamily.updateMany({ where: { id: { in: ids } }, data: { revokedAt: now, revokedReason: reason } });
  await tx.refreshToken.updateMany({ where: { familyId: { in: ids }, revoked: false }, data: { revoked: true } });
  return ids;
}

async function revokeFamilyInTx(tx: Prisma.TransactionClient, familyId: string, reason: string, now: Date): Promise<void> {
  await tx.refreshTokenFamily.updateMany({ where: { id: familyId, revokedAt: null }, data: { revokedAt: now, revokedReason: reason } });
  await tx.refreshToken.updateMany({ where: { familyId, revoked: false }, data: { revoked: true } });
}

/** The outcome of presenting a refresh token. */
export type RefreshOutcome =
  | { ok: true; sessionId: string; player: SessionPlayer }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked'; sessionId?: string }
  | { ok: false; reason: 'reused'; sessionId: string };

interface TokenRow {
  token_id: string;
  family_id: string;
  used_at: Date | null;
  revoked: boolean;
  expires_at: Date;
  family_revoked_at: Date | null;
  player_id: string;
}

/**
 * Exchanges a refresh token for the next one of its family. In one transaction, with the token and family rows
 * locked so two concurrent exchanges of one token cannot both succeed: the second one is a reuse. A reuse revokes
 * the family and commits that before reporting it.
 */
export async function rotateRefreshToken(db: Db, input: { tokenHash: string; next: NewRefreshToken; now: Date }): Promise<RefreshOutcome> {
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<TokenRow[]>`
      SELECT t.id AS token_id, t.family_id, t.used_at, t.revoked, t.expires_at, f.revoked_at AS family_revoked_at, f.player_id
      FROM refresh_tokens t JOIN refresh_token_families f ON f.id = t.family_id
      WHERE t.token_hash = ${input.tokenHash}
      FOR UPDATE OF t, f`;
    const row = rows[0];
    if (!row) return { ok: false, reason: 'unknown' };
    if (row.family_revoked_at) return { ok: false, reason: 'revoked', sessionId: row.family_id };
    if (row.used_at || row.revoked) {
      await revokeFamilyInTx(tx, row.family_id, 'reuse', input.now);
      return { ok: false, reason: 'reused', sessionId: row.family_id };
    }
    if (row.expires_at.getTime() <= input.now.getTime()) return { ok: false, reason: 'expired', sessionId: row.family_id };
    await tx.refreshToken.update({ where: { id: row.token_id }, data: { usedAt: input.now } });
    await tx.refreshToken.create({ data: { familyId: row.family_id, tokenHash: input.next.tokenHash, expiresAt: input.next.expiresAt } });
    await tx.refreshTokenFamily.update({ where: { id: row.family_id }, data: { expiresAt: input.next.expiresAt } });
    const player = await tx.player.findUniqueOrThrow({ where: { id: row.player_id }, select: { id: true, isGuest: true, roles: true } });
    await appendEvent(tx, {
      type: 'user_login',
      key: player.id,
      payload: { playerId: player.id, method: 'refresh', guest: player.isGuest },
      occurredAt: input.now,
    });
    return { ok: true, sessionId: row.family_id, player };
  });
}

/**
 * Signs a session out: revokes the family of `sessionId` when it belongs to `playerId`, or the family of a
 * refresh token. Returns the revoked family id, or undefined when nothing matched (already revoked counts).
 */
export async function revokeSession(
  db: Db,
  input: { playerId: string; sessionId: string; now: Date } | { tokenHash: string; now: Date },
): Promise<string | undefined> {
  return db.$transaction(async (tx) => {
    let familyId: string | undefined;
    if ('tokenHash' in input) {
      const token = await tx.refreshToken.findUnique({ where: { tokenHash: input.tokenHash }, select: { familyId: true } });
      familyId = token?.familyId;
    } else {
      const family = await tx.refreshTokenFamily.findFirst({
        where: { id: input.sessionId, playerId: input.playerId },
        select: { id: true },
      });
      familyId = family?.id;
    }
    if (!familyId) return undefined;
    await revokeFamilyInTx(tx, familyId, 'logout', input.now);
    return familyId;
  });
}

/** How long an expired or revoked family is kept (for audits and reuse forensics) before it is deleted. */
export const ENDED_SESSION_KEPT_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Deletes refresh-token families (and their tokens) that expired or were revoked more than
 * {@link ENDED_SESSION_KEPT_MS} before `now`, at most `limit` per call; returns how many. A spent token of a deleted
 * family is then simply unknown (REFRESH_TOKEN_INVALID) rather than a detected reuse, which is harmless: the family
 * it could have revoked is gone.
 */
export async function pruneEndedSessions(db: Db, now: Date, limit = 10_000): Promise<number> {
  const before = new Date(now.getTime() - ENDED_SESSION_KEPT_MS);
  return db.$executeRaw`
    DELETE FROM refresh_token_families WHERE id IN (
      SELECT id FROM refresh_token_families WHERE expires_at < ${before} OR revoked_at < ${before} LIMIT ${limit}
    )`;
}
