/** Player profiles (display name, avatar) and roles. */
import { AppError } from '@harvest/shared/errors';
import { Prisma } from '../generated/prisma/client.ts';
import type { Role } from '../generated/prisma/enums.ts';
import type { Db } from '../index.ts';
import { normalizeAddress } from './accounts.ts';

/** What `GET /v1/me` shows. */
export interface Profile {
  id: string;
  displayName: string | null;
  avatarId: string | null;
  isGuest: boolean;
  roles: Role[];
  createdAt: Date;
  wallets: Array<{ address: string; linkedAt: Date }>;
}

const PROFILE_SELECT = {
  id: true,
  displayName: true,
  avatarId: true,
  isGuest: true,
  roles: true,
  createdAt: true,
  wallets: { select: { address: true, linkedAt: true }, orderBy: { linkedAt: 'asc' } },
} as const;

/** The profile of a player; NOT_FOUND when there is none. */
export async function getProfile(db: Db, playerId: string): Promise<Profile> {
  const profile = await db.player.findUnique({ where: { id: playerId }, select: PROFILE_SELECT });
  if (!profile) throw new AppError('NOT_FOUND', 'no such player');
  return profile;
}

/**
 * Changes the display name and/or avatar. The caller validates both (shape, allowed characters, avatar ids from
 * game data). Names are unique regardless of case: DISPLAY_NAME_TAKEN otherwise.
 */
export async function updateProfile(db: Db, playerId: string, changes: { displayName?: string; avatarId?: string }): Promise<Profile> {
  const data: Prisma.PlayerUpdateInput = {};
  if (changes.displayName !== undefined) {
    data.displayName = changes.displayName;
    data.displayNameKey = changes.displayName.toLowerCase();
  }
  if (changes.avatarId !== undefined) data.avatarId = changes.avatarId;
  try {
    return await db.player.update({ where: { id: playerId }, data, select: PROFILE_SELECT });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new AppError('DISPLAY_NAME_TAKEN', 'this display name is taken', { displayName: changes.displayName });
    }
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025') throw new AppError('NOT_FOUND', 'no such player');
    throw error;
  }
}

/** A player named by id or by one of its wallets. */
export type PlayerRef = { playerId: string } | { address: string };

/** The id of the player a reference names; NOT_FOUND when none. */
export async function resolvePlayer(db: Pick<Db, 'player' | 'wallet'>, ref: PlayerRef): Promise<string> {
  if ('playerId' in ref) {
    const player = await db.player.findUnique({ where: { id: ref.playerId }, select: { id: true } });
    if (!player) throw new AppError('NOT_FOUND', `no player ${ref.playerId}`);
    return player.id;
  }
  const wallet = await db.wallet.findUnique({ where: { address: normalizeAddress(ref.address) }, select: { playerId: true } });
  if (!wallet) throw new AppError('NOT_FOUND', `no player holds wallet ${ref.address}`);
  return wallet.playerId;
}

/**
 * Grants or revokes `designer` or `admin` (every account keeps `player`). Takes effect on the player's next
 * access token (at the latest at its next refresh, within 15 minutes). Returns the roles after the change.
 */
export async function setRole(
  db: Db,
  input: { ref: PlayerRef; role: 'designer' | 'admin'; grant: boolean },
): Promise<{ playerId: string; roles: Role[] }> {
  return db.$transaction(async (tx) => {
    const playerId = await resolvePlayer(tx, input.ref);
    const rows = await tx.$queryRaw<
      Array<{ roles: Role[] }>
    >`SELECT roles::text[] AS roles FROM players WHERE id = ${playerId}::uuid FOR UPDATE`;
    const current = new Set(rows[0]?.roles ?? []);
    current.add('player');
    if (input.grant) current.add(input.role);
    else current.delete(input.role);
    const order: Role[] = ['player', 'designer', 'admin'];
    const roles = order.filter((role) => current.has(role));
    await tx.player.update({ where: { id: playerId }, data: { roles: { set: roles } } });
    return { playerId, roles };
  });
}
