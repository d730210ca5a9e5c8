/**
 * Friends: one row per pair of players (lower id first), `pending` while a request waits and `accepted` after. A
 * request to someone who already asked you accepts theirs. Every function is one statement or one transaction;
 * another player's ids answer FRIEND_REQUEST_NOT_FOUND like missing ones.
 */
import { AppError } from '@harvest/shared/errors';
import type { Db } from '../index.ts';
import { isUuid } from '../ledger/index.ts';

/** Friends plus pending requests one player may hold. */
export const MAX_FRIENDS = 200;

/** One friend or request, from the viewer's side. */
export interface FriendView {
  playerId: string;
  displayName: string | null;
  status: 'friends' | 'incoming' | 'outgoing';
  since: Date;
}

const pair = (a: string, b: string): [string, string] => (a < b ? [a, b] : [b, a]);

function checkIds(playerId: string, otherId: string): void {
  if (!isUuid(playerId) || !isUuid(otherId) || playerId.toLowerCase() === otherId.toLowerCase()) {
    throw new AppError('FRIEND_REQUEST_NOT_FOUND', 'no such player');
  }
}

/**
 * Sends a friend request, or accepts the other player's pending request to you (returns `accepted`). ALREADY_FRIENDS
 * when you are friends or your request is pending; FRIEND_LIMIT past {@link MAX_FRIENDS}; FRIEND_REQUEST_NOT_FOUND
 * for an unknown player.
 */
export async function requestFriend(db: Db, input: { playerId: string; otherId: string }): Promise<'requested' | 'accepted'> {
  checkIds(input.playerId, input.otherId);
  const me = input.playerId.toLowerCase();
  const other = input.otherId.toLowerCase();
  const [low, high] = pair(me, other);
  return db.$transaction(async (tx) => {
    const exists = await tx.$queryRaw<Array<{ id: string }>>`SELECT id::text FROM players WHERE id = ${other}::uuid`;
    if (exists.length === 0) throw new AppError('FRIEND_REQUEST_NOT_FOUND', 'no such player');
    const rows = await tx.$queryRaw<Array<{ status: string; requested_by: string }>>`
      SELECT status, requested_by::text FROM friendships WHERE player_low = ${low}::uuid AND player_high = ${high}::uuid FOR UPDATE`;
    const row = rows[0];
    if (row && (row.status === 'accepted' || row.requested_by === me))
      throw new AppError('ALREADY_FRIENDS', 'already friends or requested');
    if (row) {
      await tx.$executeRaw`
        UPDATE friendships SET status = 'accepted', accepted_at = now() WHERE player_low = ${low}::uuid AND player_high = ${high}::uuid`;
      return 'accepted';
    }
    const [count] = await tx.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM friendships WHERE player_low = ${me}::uuid OR player_high = ${me}::uuid`;
    if ((count?.n ?? 0) >= MAX_FRIENDS) throw new AppError('FRIEND_LIMIT', `at most ${MAX_FRIENDS} friends and requests`);
    await tx.$executeRaw`
      INSERT INTO friendships (player_low, player_high, requested_by, status) VALUES (${low}::uuid, ${high}::uuid, ${me}::uuid, 'pending')
      ON CONFLICT DO NOTHING`;
    return 'requested';
  });
}

/** Accepts the other player's pending request. FRIEND_REQUEST_NOT_FOUND when there is none from them. */
export async function acceptFriend(db: Db, input: { playerId: string; otherId: string }): Promise<void> {
  checkIds(input.playerId, input.otherId);
  const [low, high] = pair(input.playerId.toLowerCase(), input.otherId.toLowerCase());
  const updated = await db.$executeRaw`
    UPDATE friendships SET status = 'accepted', accepted_at = now()
    WHERE player_low = ${low}::uuid AND player_high = ${high}::uuid AND status = 'pending' AND requested_by = ${input.otherId.toLowerCase()}::uuid`;
  if (updated === 0) throw new AppError('FRIEND_REQUEST_NOT_FOUND', 'no pending request from this player');
}

/** Removes a friend, declines an incoming request or withdraws an outgoing one. FRIEND_REQUEST_NOT_FOUND otherwise. */
export async function removeFriend(db: Db, input: { playerId: string; otherId: string }): Promise<void> {
  checkIds(input.playerId, input.otherId);
  const [low, high] = pair(input.playerId.toLowerCase(), input.otherId.toLowerCase());
  const deleted = await db.$executeRaw`DELETE FROM friendships WHERE player_low = ${low}::uuid AND player_high = ${high}::uuid`;
  if (deleted === 0) throw new AppError('FRIEND_REQUEST_NOT_FOUND', 'no friendship or request with this player');
}

/** The player's friends and pending requests (both directions), names included, friends first then newest. */
export async function listFriends(db: Pick<Db, '$queryRaw'>, playerId: string): Promise<FriendView[]> {
  if (!isUuid(playerId)) return [];
  const me = playerId.toLowerCase();
  const rows = await db.$queryRaw<Array<{ other: string; display_name: string | null; status: string; requested_by: string; since: Date }>>`
    SELECT CASE WHEN f.player_low = ${me}::uuid THEN f.player_high ELSE f.player_low END::text AS other,
      p.display_name, f.status, f.requested_by::text, coalesce(f.accepted_at, f.created_at) AS since
    FROM friendships f JOIN players p ON p.id = CASE WHEN f.player_low = ${me}::uuid THEN f.player_high ELSE f.player_low END
    WHERE f.player_low = ${me}::uuid OR f.player_high = ${me}::uuid
    ORDER BY (f.status = 'accepted') DESC, since DESC`;
  return rows.map((r) => ({
    playerId: r.other,
    displayName: r.display_name,
    status: r.status === 'accepted' ? 'friends' : r.requested_by === me ? 'outgoing' : 'incoming',
    since: r.since,
  }));
}

/** Ids of the player's accepted friends. */
export async function friendIds(db: Pick<Db, '$queryRaw'>, playerId: string): Promise<string[]> {
  return (await listFriends(db, playerId)).filter((f) => f.status === 'friends').map((f) => f.playerId);
}

/** Whether two players are friends. */
export async function areFriends(db: Pick<Db, '$queryRaw'>, a: string, b: string): Promise<boolean> {
  if (!isUuid(a) || !isUuid(b) || a === b) return false;
  const [low, high] = pair(a.toLowerCase(), b.toLowerCase());
  const rows = await db.$queryRaw<Array<{ n: number }>>`
    SELECT count(*)::int AS n FROM friendships WHERE player_low = ${low}::uuid AND player_high = ${high}::uuid AND status = 'accepted'`;
  return (rows[0]?.n ?? 0) > 0;
}
