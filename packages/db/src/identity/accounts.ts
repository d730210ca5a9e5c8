/**
 * Players and how they sign in: wallets proved by SIWE, device-bound guests, and the upgrade of a guest to a
 * wallet account in place (same player row, so every card, resource, ledger row and match stays). Each public
 * function is one transaction that also starts the session and appends the `user_login` event.
 */
import { AppError } from '@harvest/shared/errors';
import { EVENTS } from '@harvest/shared/events';
import { Prisma } from '../generated/prisma/client.ts';
import type { Db } from '../index.ts';
import { grantStarterInTx } from '../inventory/index.ts';
import { appendEvent, appendEvents, OUTBOX_KEY_LOCK_SPACE, type OutboxEventInput } from '../outbox/index.ts';
import { createSessionInTx, type NewRefreshToken, revokePlayerSessionsInTx, type SessionPlayer } from './sessions.ts';

/** A started session and the player it belongs to. */
export interface SignedIn {
  player: SessionPlayer;
  sessionId: string;
  /** The player row was created by this sign-in. */
  created: boolean;
  /** A guest became a wallet account by this sign-in. */
  upgraded: boolean;
  /** Sessions revoked by this sign-in (a guest's sessions on upgrade). */
  revokedSessionIds: string[];
}

const PLAYER_SELECT = { id: true, isGuest: true, roles: true } as const;

interface PlayerRow {
  id: string;
  is_guest: boolean;
  roles: SessionPlayer['roles'];
}

const toSessionPlayer = (row: PlayerRow): SessionPlayer => ({ id: row.id, isGuest: row.is_guest, roles: row.roles });

/** Wallet addresses are stored lowercase (CHECK on the table). */
export const normalizeAddress = (address: string) => address.toLowerCase();

/** A unique-key violation, from the query builder (P2002) or from raw SQL (P2010 with PostgreSQL's 23505). */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  const cause = (error.meta as { driverAdapterError?: { cause?: { originalCode?: string } } } | undefined)?.driverAdapterError?.cause;
  return error.code === 'P2002' || (error.code === 'P2010' && cause?.originalCode === '23505');
}

/** Retries `run` once when it lost a race on a unique key (two first sign-ins of one wallet at once). */
async function retryOnUniqueRace<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isUniqueViolation(error)) return run();
    throw error;
  }
}

async function lockPlayerInTx(tx: Prisma.TransactionClient, playerId: string): Promise<{ id: string; is_guest: boolean } | undefined> {
  const rows = await tx.$queryRaw<Array<{ id: string; is_guest: boolean }>>`
    SELECT id, is_guest FROM players WHERE id = ${playerId}::uuid FOR UPDATE`;
  return rows[0];
}

interface ReturningRow extends PlayerRow {
  family_id: string;
}

/**
 * The sign-in of a wallet that already has a player, as one statement (one round trip, its own transaction): find
 * the player, start the refresh-token family with its first token, append `user_login`. The outbox row follows
 * the protocol of `appendEvents` (../outbox): the per-key advisory lock is taken before the row draws its id, so
 * per-key publication order holds. Undefined when the wallet has no player yet.
 */
async function signInReturning(db: Db, address: string, refresh: NewRefreshToken, now: Date): Promise<SignedIn | undefined> {
  const login = EVENTS.user_login;
  const rows = await db.$queryRaw<ReturningRow[]>`
    WITH found AS (
      SELECT p.id, p.is_guest, p.roles FROM wallets w JOIN players p ON p.id = w.player_id WHERE w.address = ${address}
    ), f AS (
      INSERT INTO refresh_token_families (player_id, expires_at) SELECT id, ${refresh.expiresAt} FROM found RETURNING id
    ), t AS (
      INSERT INTO refresh_tokens (family_id, token_hash, expires_at) SELECT id, ${refresh.tokenHash}, ${refresh.expiresAt} FROM f
    ), key_lock AS (
      SELECT count(pg_advisory_xact_lock(${OUTBOX_KEY_LOCK_SPACE}::int, hashtext(id::text))) AS n FROM found
    ), o AS (
      INSERT INTO outbox (event_id, type, version, key, payload, occurred_at)
      SELECT gen_random_uuid(), ${login.type}, ${login.version}::int, found.id::text,
             jsonb_build_object('playerId', found.id, 'method', 'siwe', 'address', ${address}::text, 'guest', false), ${now}
      FROM found CROSS JOIN key_lock
    )
    SELECT found.id, found.is_guest, found.roles::text[] AS roles, f.id AS family_id FROM found CROSS JOIN f`;
  const row = rows[0];
  if (!row) return undefined;
  return { player: toSessionPlayer(row), sessionId: row.family_id, created: false, upgraded: false, revokedSessionIds: [] };
}

/**
 * The first sign-in of a wallet: one statement creates the player and its wallet, starts the session and appends
 * `wallet_linked` then `user_login` (ids drawn in that order after the key lock, as `appendEvents` does); the
 * starter grant follows in the same transaction. Two first sign-ins of one wallet at once: the loser fails on the
 * wallet's unique key and is retried as a returning login.
 */
async function signInNew(db: Db, address: string, chainId: number, refresh: NewRefreshToken, now: Date): Promise<SignedIn> {
  const linked = EVENTS.wallet_linked;
  const login = EVENTS.user_login;
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<ReturningRow[]>`
    WITH p AS (
      INSERT INTO players DEFAULT VALUES RETURNING id, is_guest, roles
    ), w AS (
      INSERT INTO wallets (address, player_id) SELECT ${address}, id FROM p
    ), f AS (
      INSERT INTO refresh_token_families (player_id, expires_at) SELECT id, ${refresh.expiresAt} FROM p RETURNING id
    ), t AS (
      INSERT INTO refresh_tokens (family_id, token_hash, expires_at) SELECT id, ${refresh.tokenHash}, ${refresh.expiresAt} FROM f
    ), key_lock AS (
      SELECT count(pg_advisory_xact_lock(${OUTBOX_KEY_LOCK_SPACE}::int, hashtext(id::text))) AS n FROM p
    ), o AS (
      INSERT INTO outbox (event_id, type, version, key, payload, occurred_at)
      SELECT gen_random_uuid(), e.type, e.version, p.id::text, e.payload, ${now}
      FROM p CROSS JOIN key_lock CROSS JOIN LATERAL (VALUES
        (1, ${linked.type}, ${linked.version}::int, jsonb_build_object('playerId', p.id, 'address', ${address}::text, 'chainId', ${chainId}::int)),
        (2, ${login.type}, ${login.version}::int, jsonb_build_object('playerId', p.id, 'method', 'siwe', 'address', ${address}::text, 'guest', false))
      ) AS e(ord, type, version, payload)
      ORDER BY e.ord
    )
    SELECT p.id, p.is_guest, p.roles::text[] AS roles, f.id AS family_id FROM p CROSS JOIN f`;
    const row = rows[0] as ReturningRow;
    // The starter deck, seeds and gold, exactly once per player (economy; a no-op before game data is published).
    await grantStarterInTx(tx, row.id);
    return { player: toSessionPlayer(row), sessionId: row.family_id, created: true, upgraded: false, revokedSessionIds: [] };
  });
}

/**
 * Signs in with a proved wallet. The wallet's player when it has one, else a new player. With `guestPlayerId`
 * (the request carried a guest's access token) a wallet that no one holds is linked to that guest, who stops being
 * a guest: the upgrade in place. A wallet that already belongs to someone else cannot absorb the guest
 * (WALLET_ALREADY_LINKED): progress is never merged silently.
 */
export async function signInWithWallet(
  db: Db,
  input: { address: string; chainId: number; guestPlayerId?: string; refresh: NewRefreshToken; now: Date },
): Promise<SignedIn> {
  const address = normalizeAddress(input.address);
  if (!input.guestPlayerId) {
    return retryOnUniqueRace(
      async () =>
        (await signInReturning(db, address, input.refresh, input.now)) ??
        (await signInNew(db, address, input.chainId, input.refresh, input.now)),
    );
  }
  return retryOnUniqueRace(() =>
    db.$transaction(async (tx) => {
      let player: SessionPlayer | undefined;
      let created = false;
      let upgraded = false;
      let revokedSessionIds: string[] = [];
      const events: OutboxEventInput[] = [];
      // Hot path (every wallet sign-in): plain SQL keeps it to one round trip per step.
      const found = await tx.$queryRaw<PlayerRow[]>`
        SELECT p.id, p.is_guest, p.roles::text[] AS roles FROM wallets w JOIN players p ON p.id = w.player_id WHERE w.address = ${address}`;
      const wallet = found[0] ? { player: toSessionPlayer(found[0]) } : undefined;

      if (input.guestPlayerId) {
        const guest = await lockPlayerInTx(tx, input.guestPlayerId);
        if (guest?.is_guest) {
          if (wallet) {
            throw new AppError('WALLET_ALREADY_LINKED', 'this wallet already has an account; sign in without the guest token to use it', {
              address,
            });
          }
          await tx.wallet.create({ data: { address, playerId: guest.id } });
          player = await tx.player.update({ where: { id: guest.id }, data: { isGuest: false }, select: PLAYER_SELECT });
          await tx.guestDevice.deleteMany({ where: { playerId: guest.id } });
          revokedSessionIds = await revokePlayerSessionsInTx(tx, guest.id, 'upgrade', input.now);
          events.push({
            type: 'wallet_linked',
            key: guest.id,
            payload: { playerId: guest.id, address, chainId: input.chainId },
            occurredAt: input.now,
          });
          upgraded = true;
        }
      }
      if (!player && wallet) player = wallet.player;
      if (!player) {
        const rows = await tx.$queryRaw<PlayerRow[]>`
          WITH p AS (INSERT INTO players DEFAULT VALUES RETURNING id, is_guest, roles),
               w AS (INSERT INTO wallets (address, player_id) SELECT ${address}, id FROM p)
          SELECT id, is_guest, roles::text[] AS roles FROM p`;
        player = toSessionPlayer(rows[0] as PlayerRow);
        events.push({
          type: 'wallet_linked',
          key: player.id,
          payload: { playerId: player.id, address, chainId: input.chainId },
          occurredAt: input.now,
        });
        created = true;
        // The starter deck, seeds and gold, exactly once per player (economy; a no-op before game data is published).
        await grantStarterInTx(tx, player.id);
      }
      const sessionId = await createSessionInTx(tx, player.id, input.refresh);
      events.push({
        type: 'user_login',
        key: player.id,
        payload: { playerId: player.id, method: 'siwe', address, guest: false },
        occurredAt: input.now,
      });
      await appendEvents(tx, events);
      return { player, sessionId, created, upgraded, revokedSessionIds };
    }),
  );
}

/** Creates a guest player bound to a device credential (its secret's hash) and starts its session. */
export async function createGuest(
  db: Db,
  input: { deviceSecretHash: string; refresh: NewRefreshToken; now: Date },
): Promise<SignedIn & { deviceId: string }> {
  return db.$transaction(async (tx) => {
    const player = await tx.player.create({ data: { isGuest: true }, select: PLAYER_SELECT });
    // The starter deck, seeds and gold, exactly once per player (economy; a no-op before game data is published).
    await grantStarterInTx(tx, player.id);
    const device = await tx.guestDevice.create({ data: { playerId: player.id, secretHash: input.deviceSecretHash }, select: { id: true } });
    const sessionId = await createSessionInTx(tx, player.id, input.refresh);
    await appendEvent(tx, {
      type: 'user_login',
      key: player.id,
      payload: { playerId: player.id, method: 'guest', guest: true },
      occurredAt: input.now,
    });
    return { player, sessionId, created: true, upgraded: false, revokedSessionIds: [], deviceId: device.id };
  });
}

/**
 * Signs a guest in again with its device credential. `verifySecret` compares the stored hash (constant time, in
 * the caller). A credential of an upgraded guest no longer exists: the wallet signs in from then on.
 */
export async function signInGuest(
  db: Db,
  input: { deviceId: string; verifySecret: (storedHash: string) => boolean; refresh: NewRefreshToken; now: Date },
): Promise<SignedIn> {
  return db.$transaction(async (tx) => {
    const device = await tx.guestDevice.findUnique({
      where: { id: input.deviceId },
      select: { id: true, secretHash: true, player: { select: PLAYER_SELECT } },
    });
    if (!device?.player.isGuest || !input.verifySecret(device.secretHash)) {
      throw new AppError('GUEST_CREDENTIALS_INVALID', 'unknown device or wrong device secret');
    }
    await tx.guestDevice.update({ where: { id: device.id }, data: { lastUsedAt: input.now } });
    const sessionId = await createSessionInTx(tx, device.player.id, input.refresh);
    await appendEvent(tx, {
      type: 'user_login',
      key: device.player.id,
      payload: { playerId: device.player.id, method: 'guest', guest: true },
      occurredAt: input.now,
    });
    return { player: device.player, sessionId, created: false, upgraded: false, revokedSessionIds: [] };
  });
}

/** A wallet linked to a player. */
export interface LinkedWallet {
  address: string;
  linkedAt: Date;
}

/** The wallets of a player, oldest first. */
export async function listWallets(db: Db, playerId: string): Promise<LinkedWallet[]> {
  return db.wallet.findMany({ where: { playerId }, orderBy: { linkedAt: 'asc' }, select: { address: true, linkedAt: true } });
}

/**
 * Links another proved wallet to a (non-guest) player. Linking a wallet the player already holds is a no-op
 * (`linked: false`); a wallet of another player is WALLET_ALREADY_LINKED.
 */
export async function linkWallet(
  db: Db,
  input: { playerId: string; address: string; chainId: number; now: Date },
): Promise<{ wallet: LinkedWallet; linked: boolean }> {
  const address = normalizeAddress(input.address);
  const run = () =>
    db.$transaction(async (tx) => {
      const player = await lockPlayerInTx(tx, input.playerId);
      if (!player) throw new AppError('NOT_FOUND', 'no such player');
      if (player.is_guest) throw new AppError('GUEST_NOT_ALLOWED', 'guests link a wallet by signing in with it (upgrade)');
      const existing = await tx.wallet.findUnique({ where: { address }, select: { playerId: true, address: true, linkedAt: true } });
      if (existing && existing.playerId !== input.playerId) {
        throw new AppError('WALLET_ALREADY_LINKED', 'this wallet belongs to another account', { address });
      }
      if (existing) return { wallet: { address: existing.address, linkedAt: existing.linkedAt }, linked: false };
      const wallet = await tx.wallet.create({ data: { address, playerId: input.playerId }, select: { address: true, linkedAt: true } });
      await appendEvent(tx, {
        type: 'wallet_linked',
        key: input.playerId,
        payload: { playerId: input.playerId, address, chainId: input.chainId },
        occurredAt: input.now,
      });
      return { wallet, linked: true };
    });
  try {
    return await run();
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('WALLET_ALREADY_LINKED', 'this wallet belongs to another account', { address });
    throw error;
  }
}

/**
 * Unlinks a wallet from its player. Another player's wallet, or an unknown one, is NOT_FOUND. Refused while it is
 * the player's only way to sign in (WALLET_LAST_CREDENTIAL) and while the player holds on-chain assets
 * (WALLET_HOLDS_ASSETS): which linked wallet holds a token is not recorded yet, so any on-chain card or land
 * parcel of the player blocks every unlink until the indexer records holders.
 */
export async function unlinkWallet(db: Db, input: { playerId: string; address: string }): Promise<void> {
  const address = normalizeAddress(input.address);
  await db.$transaction(async (tx) => {
    const player = await lockPlayerInTx(tx, input.playerId);
    const wallet = await tx.wallet.findUnique({ where: { address }, select: { id: true, playerId: true } });
    if (!player || !wallet || wallet.playerId !== input.playerId) throw new AppError('NOT_FOUND', 'no such wallet on this account');
    const wallets = await tx.wallet.count({ where: { playerId: input.playerId } });
    if (wallets <= 1) throw new AppError('WALLET_LAST_CREDENTIAL', 'this is the only wallet that signs in to this account');
    const onChainCards = await tx.cardInstance.count({ where: { ownerId: input.playerId, state: { in: ['on_chain', 'minting'] } } });
    const parcels = await tx.landParcel.count({ where: { ownerId: input.playerId, tokenId: { not: null } } });
    if (onChainCards + parcels > 0) {
      throw new AppError('WALLET_HOLDS_ASSETS', 'the account holds on-chain assets; move them before unlinking a wallet', {
        cards: onChainCards,
        parcels,
      });
    }
    await tx.wallet.delete({ where: { id: wallet.id } });
  });
}
