/**
 * The card state machine (ARCHITECTURE.md "The card: one state machine"). Every move is one function that runs in
 * one transaction, locks the cards it moves (`SELECT … FOR UPDATE`, in id order), and refuses an illegal move with
 * ILLEGAL_CARD_TRANSITION naming the card, its state and the move. Each move also has an `…InTx` form so battles,
 * minting, crafting and the indexer compose it into their own transactions (the indexer's reorg rollback runs the
 * reverse moves).
 *
 * ```
 * in_game --join_match--> in_match --leave_match--> in_game
 * in_game --request_mint--> minting --confirm_mint--> on_chain      minting --fail_mint--> in_game
 * on_chain --transfer--> on_chain (new owner, or null for a wallet no player linked)
 * in_game --consume--> consumed                       on_chain --burn--> burned
 * reorg: on_chain --revert_mint--> minting            burned --revert_burn--> on_chain
 * ```
 * A card in a match cannot be minted, listed or consumed; a card being minted cannot be played or crafted: both
 * follow from the table, since only `in_game` cards leave for a match, a mint or a craft.
 */
import { AppError } from '@harvest/shared/errors';
import type { CardState } from '../generated/prisma/enums.ts';
import type { Db, DbTransaction } from '../index.ts';
import { isUuid } from '../ledger/index.ts';

/** The moves of the card state machine. */
export const CARD_MOVES = {
  join_match: { from: ['in_game'], to: 'in_match' },
  leave_match: { from: ['in_match'], to: 'in_game' },
  request_mint: { from: ['in_game'], to: 'minting' },
  confirm_mint: { from: ['minting'], to: 'on_chain' },
  fail_mint: { from: ['minting'], to: 'in_game' },
  transfer: { from: ['on_chain'], to: 'on_chain' },
  consume: { from: ['in_game'], to: 'consumed' },
  burn: { from: ['on_chain'], to: 'burned' },
  revert_mint: { from: ['on_chain'], to: 'minting' },
  revert_burn: { from: ['burned'], to: 'on_chain' },
} as const satisfies Record<string, { from: readonly CardState[]; to: CardState }>;

/** A move of the card state machine. */
export type CardMove = keyof typeof CARD_MOVES;

/** Whether `move` may start from `state`. */
export function canMove(state: CardState, move: CardMove): boolean {
  return (CARD_MOVES[move].from as readonly CardState[]).includes(state);
}

/** A card row as the state machine sees it. */
export interface LockedCard {
  id: string;
  definitionId: string;
  ownerId: string | null;
  state: CardState;
  tokenId: string | null;
  matchId: string | null;
}

interface CardRow {
  id: string;
  definition_id: string;
  owner_id: string | null;
  state: CardState;
  token_id: string | null;
  match_id: string | null;
}

const toLocked = (r: CardRow): LockedCard => ({
  id: r.id,
  definitionId: r.definition_id,
  ownerId: r.owner_id,
  state: r.state,
  tokenId: r.token_id,
  matchId: r.match_id,
});

/**
 * Locks cards for update, in id order, and returns them in that order. With `ownerId`, a card that is not that
 * player's is CARD_NOT_FOUND exactly like a missing one (no existence leaks); without it (indexer, minter), a
 * missing card is CARD_NOT_FOUND. Duplicate ids are locked once.
 */
export async function lockCardsInTx(
  tx: DbTransaction,
  cardIds: readonly string[],
  options: { ownerId?: string } = {},
): Promise<LockedCard[]> {
  const ids = [...new Set(cardIds.map((id) => id.toLowerCase()))].sort();
  if (ids.length === 0) return [];
  const malformed = ids.find((id) => !isUuid(id));
  if (malformed !== undefined) throw new AppError('CARD_NOT_FOUND', `no card ${malformed}`, { cardId: malformed });
  const rows = await tx.$queryRaw<CardRow[]>`
    SELECT id::text, definition_id, owner_id::text, state::text AS state, token_id::text, match_id::text
    FROM card_instances WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR UPDATE`;
  const found = new Map(rows.map((r) => [r.id, r]));
  for (const id of ids) {
    const row = found.get(id);
    if (!row || (options.ownerId !== undefined && row.owner_id !== options.ownerId)) {
      throw new AppError('CARD_NOT_FOUND', `no card ${id}`, { cardId: id });
    }
  }
  return rows.map(toLocked);
}

/** Refuses the move unless every card may make it. */
function assertMove(cards: readonly LockedCard[], move: CardMove): void {
  for (const card of cards) {
    if (!canMove(card.state, move)) {
      throw new AppError('ILLEGAL_CARD_TRANSITION', `card ${card.id} is ${card.state}: ${move} is not allowed`, {
        cardId: card.id,
        state: card.state,
        move,
      });
    }
  }
}

/** What a move writes besides the state. */
interface MoveUpdate {
  matchId?: string | null;
  ownerId?: string | null;
  tokenId?: string | null;
}

async function applyMoveInTx(
  tx: DbTransaction,
  cards: readonly LockedCard[],
  move: CardMove,
  update: MoveUpdate = {},
): Promise<LockedCard[]> {
  assertMove(cards, move);
  if (cards.length === 0) return [];
  const to = CARD_MOVES[move].to;
  const ids = cards.map((c) => c.id);
  const setMatch = update.matchId !== undefined;
  const setOwner = update.ownerId !== undefined;
  const setToken = update.tokenId !== undefined;
  const rows = await tx.$queryRaw<CardRow[]>`
    UPDATE card_instances SET
      state = ${to}::card_state,
      match_id = CASE WHEN ${setMatch} THEN ${update.matchId ?? null}::uuid ELSE match_id END,
      owner_id = CASE WHEN ${setOwner} THEN ${update.ownerId ?? null}::uuid ELSE owner_id END,
      token_id = CASE WHEN ${setToken} THEN ${update.tokenId ?? null}::numeric ELSE token_id END,
      updated_at = now()
    WHERE id = ANY(${ids}::uuid[])
    RETURNING id::text, definition_id, owner_id::text, state::text AS state, token_id::text, match_id::text`;
  return rows.map(toLocked).sort((a, b) => (a.id < b.id ? -1 : 1));
}

function checkMatchId(matchId: string): void {
  if (!isUuid(matchId)) throw new AppError('VALIDATION_FAILED', 'a match id is a UUID');
}

function checkTokenId(tokenId: string): void {
  if (!/^(0|[1-9][0-9]{0,77})$/.test(tokenId)) throw new AppError('VALIDATION_FAILED', 'a token id is a decimal uint256');
}

/** in_game -> in_match: the player's cards join a match (the battle server, at match start). */
export async function joinMatchInTx(
  tx: DbTransaction,
  input: { playerId: string; matchId: string; cardIds: readonly string[] },
): Promise<LockedCard[]> {
  checkMatchId(input.matchId);
  return joinLockedCardsInTx(tx, await lockCardsInTx(tx, input.cardIds, { ownerId: input.playerId }), input);
}

/**
 * {@link joinMatchInTx} for cards this transaction already locked (with {@link lockCardsInTx}): one statement, sent
 * at once, so a caller may send it with others without waiting (match creation locks the decks to check them).
 * CARD_NOT_FOUND for a card the player does not own, as the lock would have refused it.
 */
export async function joinLockedCardsInTx(
  tx: DbTransaction,
  cards: readonly LockedCard[],
  input: { playerId: string; matchId: string },
): Promise<LockedCard[]> {
  checkMatchId(input.matchId);
  const foreign = cards.find((c) => c.ownerId !== input.playerId);
  if (foreign) throw new AppError('CARD_NOT_FOUND', `no card ${foreign.id}`, { cardId: foreign.id });
  return applyMoveInTx(tx, cards, 'join_match', { matchId: input.matchId });
}

/** {@link joinMatchInTx} in its own transaction. */
export function joinMatch(db: Db, input: { playerId: string; matchId: string; cardIds: readonly string[] }): Promise<LockedCard[]> {
  return db.$transaction((tx) => joinMatchInTx(tx, input));
}

/**
 * in_match -> in_game for every card locked in `matchId` (the battle server, when the match ends or is aborted).
 * Idempotent: a second call finds no card left in the match.
 */
export async function leaveMatchInTx(tx: DbTransaction, input: { matchId: string }): Promise<LockedCard[]> {
  checkMatchId(input.matchId);
  // One statement, sent at once (settlement issues it with its other writes): the match's cards locked in id order,
  // as lockCardsInTx locks, then moved. A card that left the match while this waited for its lock no longer matches
  // the lock's condition and is left alone. Only in_match cards have a match (card_instances_match_iff_in_match), so
  // every locked card makes the leave_match move.
  const rows = await tx.$queryRaw<CardRow[]>`
    WITH locked AS (
      SELECT id FROM card_instances WHERE match_id = ${input.matchId}::uuid ORDER BY id FOR UPDATE
    )
    UPDATE card_instances c SET state = ${CARD_MOVES.leave_match.to}::card_state, match_id = NULL, updated_at = now()
    FROM locked WHERE c.id = locked.id
    RETURNING c.id::text, c.definition_id, c.owner_id::text, c.state::text AS state, c.token_id::text, c.match_id::text`;
  return rows.map(toLocked).sort((x, y) => (x.id < y.id ? -1 : 1));
}

/** {@link leaveMatchInTx} in its own transaction. */
export function leaveMatch(db: Db, input: { matchId: string }): Promise<LockedCard[]> {
  return db.$transaction((tx) => leaveMatchInTx(tx, input));
}

/** in_game -> minting: the player asks for the card to become a token (mint requests). */
export async function requestMintInTx(tx: DbTransaction, input: { playerId: string; cardId: string }): Promise<LockedCard> {
  const cards = await lockCardsInTx(tx, [input.cardId], { ownerId: input.playerId });
  return (await applyMoveInTx(tx, cards, 'request_mint'))[0] as LockedCard;
}

/** {@link requestMintInTx} in its own transaction. */
export function requestMint(db: Db, input: { playerId: string; cardId: string }): Promise<LockedCard> {
  return db.$transaction((tx) => requestMintInTx(tx, input));
}

/**
 * minting -> on_chain: the indexer saw the mint. `ownerId` is the player whose linked wallet holds the token, or
 * null when no player linked it ("external").
 */
export async function confirmMintInTx(
  tx: DbTransaction,
  input: { cardId: string; tokenId: string; ownerId: string | null },
): Promise<LockedCard> {
  checkTokenId(input.tokenId);
  const cards = await lockCardsInTx(tx, [input.cardId]);
  return (await applyMoveInTx(tx, cards, 'confirm_mint', { tokenId: input.tokenId, ownerId: input.ownerId }))[0] as LockedCard;
}

/** {@link confirmMintInTx} in its own transaction. */
export function confirmMint(db: Db, input: { cardId: string; tokenId: string; ownerId: string | null }): Promise<LockedCard> {
  return db.$transaction((tx) => confirmMintInTx(tx, input));
}

/** minting -> in_game: the mint failed for good; the card is playable again. */
export async function failMintInTx(tx: DbTransaction, input: { cardId: string }): Promise<LockedCard> {
  const cards = await lockCardsInTx(tx, [input.cardId]);
  return (await applyMoveInTx(tx, cards, 'fail_mint', { tokenId: null }))[0] as LockedCard;
}

/** {@link failMintInTx} in its own transaction. */
export function failMint(db: Db, input: { cardId: string }): Promise<LockedCard> {
  return db.$transaction((tx) => failMintInTx(tx, input));
}

async function lockByTokenInTx(tx: DbTransaction, tokenId: string): Promise<LockedCard[]> {
  checkTokenId(tokenId);
  const rows = await tx.$queryRaw<Array<{ id: string }>>`SELECT id::text FROM card_instances WHERE token_id = ${tokenId}::numeric`;
  if (rows.length === 0) throw new AppError('CARD_NOT_FOUND', `no card with token ${tokenId}`, { tokenId });
  return lockCardsInTx(
    tx,
    rows.map((r) => r.id),
  );
}

/** on_chain -> on_chain with a new owner (the indexer saw a transfer; null: a wallet no player linked). */
export async function transferCardInTx(tx: DbTransaction, input: { tokenId: string; ownerId: string | null }): Promise<LockedCard> {
  const cards = await lockByTokenInTx(tx, input.tokenId);
  return (await applyMoveInTx(tx, cards, 'transfer', { ownerId: input.ownerId }))[0] as LockedCard;
}

/** {@link transferCardInTx} in its own transaction. */
export function transferCard(db: Db, input: { tokenId: string; ownerId: string | null }): Promise<LockedCard> {
  return db.$transaction((tx) => transferCardInTx(tx, input));
}

/** on_chain -> burned (the indexer saw a burn); the owner is cleared. */
export async function burnCardInTx(tx: DbTransaction, input: { tokenId: string }): Promise<LockedCard> {
  const cards = await lockByTokenInTx(tx, input.tokenId);
  return (await applyMoveInTx(tx, cards, 'burn', { ownerId: null }))[0] as LockedCard;
}

/** {@link burnCardInTx} in its own transaction. */
export function burnCard(db: Db, input: { tokenId: string }): Promise<LockedCard> {
  return db.$transaction((tx) => burnCardInTx(tx, input));
}

/** Reorg: on_chain -> minting (the block with the mint was dropped). The token id stays until re-confirmed or failed. */
export async function revertMintInTx(tx: DbTransaction, input: { tokenId: string; ownerId: string }): Promise<LockedCard> {
  const cards = await lockByTokenInTx(tx, input.tokenId);
  return (await applyMoveInTx(tx, cards, 'revert_mint', { ownerId: input.ownerId }))[0] as LockedCard;
}

/** {@link revertMintInTx} in its own transaction. */
export function revertMint(db: Db, input: { tokenId: string; ownerId: string }): Promise<LockedCard> {
  return db.$transaction((tx) => revertMintInTx(tx, input));
}

/** Reorg: burned -> on_chain (the block with the burn was dropped), back with the holder before the burn. */
export async function revertBurnInTx(tx: DbTransaction, input: { tokenId: string; ownerId: string | null }): Promise<LockedCard> {
  const cards = await lockByTokenInTx(tx, input.tokenId);
  return (await applyMoveInTx(tx, cards, 'revert_burn', { ownerId: input.ownerId }))[0] as LockedCard;
}

/** {@link revertBurnInTx} in its own transaction. */
export function revertBurn(db: Db, input: { tokenId: string; ownerId: string | null }): Promise<LockedCard> {
  return db.$transaction((tx) => revertBurnInTx(tx, input));
}

/**
 * in_game -> consumed: crafting inputs. Takes cards already locked by the caller (crafting checks them against
 * the recipe first); the owner is kept, so the card stays in its crafter's history.
 */
export async function consumeCardsInTx(tx: DbTransaction, cards: readonly LockedCard[]): Promise<LockedCard[]> {
  return applyMoveInTx(tx, cards, 'consume');
}
