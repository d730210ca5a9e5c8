/**
 * Game effects of the ownership mirror: each card and parcel token is held in game by the player whose linked wallet
 * holds it on chain ("external": no player, owner null). The moves go through the card state machine (../cards):
 * transfer, burn, and after a reorg the same moves backwards (a transfer back to the earlier holder, revert_burn);
 * a parcel's owner changes with its plots (farm plots follow the parcel). Decks need no write: their legality is
 * computed when read (../decks), so a card that left its player makes the deck report it at once.
 */
import { burnCardInTx, revertBurnInTx, transferCardInTx } from '../cards/index.ts';
import type { Db, DbTransaction } from '../index.ts';
import { type ChainContracts, ZERO_ADDRESS } from './events.ts';

/** A move the mirror caused in game. */
export interface HolderMove {
  asset: 'card' | 'land';
  /** Card instance id or parcel id. */
  id: string;
  tokenId: string;
  move: 'transfer' | 'burn' | 'revert_burn';
  fromPlayer: string | null;
  toPlayer: string | null;
}

interface CardHolderRow {
  id: string;
  state: string;
  owner_id: string | null;
  token_id: string;
  holder: string;
  holder_player: string | null;
}

interface LandHolderRow {
  id: string;
  owner_id: string | null;
  token_id: string;
  holder: string;
  holder_player: string | null;
}

/**
 * A parcel changes hands in game: its owner (and so its plots and the crops on them, which follow the parcel) goes
 * to `ownerId` (null: a wallet no player linked). Locks the parcel row; returns the previous owner.
 */
export async function transferLandInTx(tx: DbTransaction, input: { parcelId: string; ownerId: string | null }): Promise<string | null> {
  const rows = await tx.$queryRaw<Array<{ owner_id: string | null }>>`
    SELECT owner_id::text FROM land_parcels WHERE id = ${input.parcelId} FOR UPDATE`;
  const before = rows[0]?.owner_id ?? null;
  await tx.$executeRaw`UPDATE land_parcels SET owner_id = ${input.ownerId}::uuid, updated_at = now() WHERE id = ${input.parcelId}`;
  return before;
}

async function applyCardRows(tx: DbTransaction, rows: readonly CardHolderRow[]): Promise<HolderMove[]> {
  const moves: HolderMove[] = [];
  for (const row of rows) {
    const burned = row.holder === ZERO_ADDRESS;
    const base = { asset: 'card' as const, id: row.id, tokenId: row.token_id, fromPlayer: row.owner_id };
    if (row.state === 'on_chain' && burned) {
      await burnCardInTx(tx, { tokenId: row.token_id });
      moves.push({ ...base, move: 'burn', toPlayer: null });
    } else if (row.state === 'burned' && !burned) {
      await revertBurnInTx(tx, { tokenId: row.token_id, ownerId: row.holder_player });
      moves.push({ ...base, move: 'revert_burn', toPlayer: row.holder_player });
    } else if (row.state === 'on_chain' && row.owner_id !== row.holder_player) {
      await transferCardInTx(tx, { tokenId: row.token_id, ownerId: row.holder_player });
      moves.push({ ...base, move: 'transfer', toPlayer: row.holder_player });
    }
  }
  return moves;
}

async function applyLandRows(tx: DbTransaction, rows: readonly LandHolderRow[]): Promise<HolderMove[]> {
  const moves: HolderMove[] = [];
  for (const row of rows) {
    const to = row.holder === ZERO_ADDRESS ? null : row.holder_player;
    if (row.owner_id === to) continue;
    await transferLandInTx(tx, { parcelId: row.id, ownerId: to });
    moves.push({ asset: 'land', id: row.id, tokenId: row.token_id, move: 'transfer', fromPlayer: row.owner_id, toPlayer: to });
  }
  return moves;
}

/**
 * Brings the game holders of the given tokens in line with the ownership mirror, inside the caller's transaction.
 * Tokens without a game card or parcel (minted outside the game, or a mint not yet confirmed) are left alone; so
 * is a card in any state other than on_chain or burned. Idempotent: a second call finds nothing to move.
 */
export async function syncHoldersInTx(
  tx: DbTransaction,
  input: { chainId: number; contracts: ChainContracts; cardTokens: readonly string[]; landTokens: readonly string[] },
): Promise<HolderMove[]> {
  const moves: HolderMove[] = [];
  if (input.cardTokens.length > 0) {
    const rows = await tx.$queryRaw<CardHolderRow[]>`
      SELECT c.id::text, c.state::text AS state, c.owner_id::text, c.token_id::text, o.owner AS holder, w.player_id::text AS holder_player
      FROM card_instances c
      JOIN chain_token_owners o ON o.chain_id = ${input.chainId}::int AND o.contract = ${input.contracts.cards} AND o.token_id = c.token_id
      LEFT JOIN wallets w ON w.address = o.owner
      WHERE c.token_id = ANY(${[...new Set(input.cardTokens)]}::numeric[])
      ORDER BY c.id`;
    moves.push(...(await applyCardRows(tx, rows)));
  }
  if (input.landTokens.length > 0) {
    const rows = await tx.$queryRaw<LandHolderRow[]>`
      SELECT p.id, p.owner_id::text, p.token_id::text, o.owner AS holder, w.player_id::text AS holder_player
      FROM land_parcels p
      JOIN chain_token_owners o ON o.chain_id = ${input.chainId}::int AND o.contract = ${input.contracts.land} AND o.token_id = p.token_id
      LEFT JOIN wallets w ON w.address = o.owner
      WHERE p.token_id = ANY(${[...new Set(input.landTokens)]}::numeric[])
      ORDER BY p.id`;
    moves.push(...(await applyLandRows(tx, rows)));
  }
  return moves;
}

/**
 * Finds every card and parcel whose game holder differs from the mirror (a wallet linked or unlinked since the
 * token last moved, or a move an earlier run could not make) and fixes up to `limit` of each in one transaction.
 * The indexer runs it at start and then periodically, which is how a newly linked wallet's tokens reach its player.
 */
export async function syncAllHolders(db: Db, input: { chainId: number; contracts: ChainContracts; limit?: number }): Promise<HolderMove[]> {
  const limit = input.limit ?? 500;
  return db.$transaction(
    async (tx) => {
      const cards = await tx.$queryRaw<Array<{ token_id: string }>>`
        SELECT c.token_id::text FROM card_instances c
        JOIN chain_token_owners o ON o.chain_id = ${input.chainId}::int AND o.contract = ${input.contracts.cards} AND o.token_id = c.token_id
        LEFT JOIN wallets w ON w.address = o.owner
        WHERE (c.state = 'on_chain' AND (o.owner = ${ZERO_ADDRESS} OR c.owner_id IS DISTINCT FROM w.player_id))
           OR (c.state = 'burned' AND o.owner <> ${ZERO_ADDRESS})
        LIMIT ${limit}::int`;
      const land = await tx.$queryRaw<Array<{ token_id: string }>>`
        SELECT p.token_id::text FROM land_parcels p
        JOIN chain_token_owners o ON o.chain_id = ${input.chainId}::int AND o.contract = ${input.contracts.land} AND o.token_id = p.token_id
        LEFT JOIN wallets w ON w.address = o.owner
        WHERE p.owner_id IS DISTINCT FROM (CASE WHEN o.owner = ${ZERO_ADDRESS} THEN NULL ELSE w.player_id END)
        LIMIT ${limit}::int`;
      return syncHoldersInTx(tx, {
        chainId: input.chainId,
        contracts: input.contracts,
        cardTokens: cards.map((r) => r.token_id),
        landTokens: land.map((r) => r.token_id),
      });
    },
    { maxWait: 10_000, timeout: 60_000 },
  );
}
