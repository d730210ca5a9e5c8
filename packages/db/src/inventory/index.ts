/**
 * A player's holdings: gold, resources and card instances (with state and provenance), read a page at a time, and
 * the one-time starter grant (starter deck, seeds, gold from `rewards.starter` of the published game data).
 */
import { AppError } from '@harvest/shared/errors';
import { rewardsSchema } from '@harvest/shared/schemas';
import type { CardOrigin, CardState } from '../generated/prisma/enums.ts';
import type { Db, DbTransaction } from '../index.ts';
import { changeGoldInTx, changeItemsInTx, isUuid } from '../ledger/index.ts';
import { appendEvents, type OutboxEventInput } from '../outbox/index.ts';

export { type ContentIndex, contentIndex, type GameContent } from './content.ts';

/** A card instance as its owner sees it. */
export interface CardView {
  id: string;
  definitionId: string;
  state: CardState;
  origin: CardOrigin;
  /** Who crafted it, with which recipe and when (crafted cards only): its provenance in NFT metadata. */
  crafted: { byPlayerId: string | null; recipeId: string; at: Date } | null;
  /** Game data version the card was created under. */
  contentVersion: number;
  tokenId: string | null;
  createdAt: Date;
}

/** One page of a player's inventory. */
export interface InventoryPage {
  gold: number;
  /** Every resource with a positive quantity, by item id. */
  resources: Array<{ itemId: string; quantity: number }>;
  cards: CardView[];
  /** Pass as `cursor` for the next page of cards; null on the last page. */
  nextCursor: string | null;
}

/** Options of {@link getInventory}. */
export interface InventoryOptions {
  /** Cards per page (1-200). */
  limit: number;
  cursor?: string | undefined;
  /** Only cards in this state. */
  state?: CardState | undefined;
}

interface CardCursor {
  createdAt: string;
  id: string;
}

function encodeCursor(card: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([card.createdAt.toISOString(), card.id])).toString('base64url');
}

function decodeCursor(cursor: string): CardCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2) {
      const [createdAt, id] = value as unknown[];
      if (typeof createdAt === 'string' && typeof id === 'string' && isUuid(id) && !Number.isNaN(Date.parse(createdAt))) {
        return { createdAt: new Date(createdAt).toISOString(), id };
      }
    }
  } catch {
    // fall through
  }
  throw new AppError('CURSOR_INVALID', 'not an inventory cursor');
}

interface CardRow {
  id: string;
  definition_id: string;
  state: CardState;
  origin: CardOrigin;
  crafted_by_id: string | null;
  recipe_id: string | null;
  /** ISO text from json_agg, a Date from a plain column. */
  crafted_at: string | Date | null;
  content_version: number;
  token_id: string | null;
  created_at: string | Date;
}

function cardView(r: CardRow): CardView {
  return {
    id: r.id,
    definitionId: r.definition_id,
    state: r.state,
    origin: r.origin,
    crafted:
      r.recipe_id !== null && r.crafted_at !== null
        ? { byPlayerId: r.crafted_by_id, recipeId: r.recipe_id, at: new Date(r.crafted_at) }
        : null,
    contentVersion: r.content_version,
    tokenId: r.token_id,
    createdAt: new Date(r.created_at),
  };
}

/**
 * Gold, resources and one page of cards (oldest first, keyset pagination on creation time and id), in one query.
 * NOT_FOUND when the player does not exist; CURSOR_INVALID for a cursor this function did not issue.
 * `starterGranted` tells the caller whether the starter grant is still owed ({@link ensureStarterGrant}).
 */
export async function getInventory(
  db: Pick<Db, '$queryRaw'>,
  playerId: string,
  options: InventoryOptions,
): Promise<InventoryPage & { starterGranted: boolean }> {
  if (!isUuid(playerId)) throw new AppError('NOT_FOUND', 'no such player');
  const after = options.cursor === undefined ? null : decodeCursor(options.cursor);
  const state = options.state ?? null;
  const rows = await db.$queryRaw<
    Array<{ gold: number; starter_granted: boolean; resources: Array<{ itemId: string; quantity: number }>; cards: CardRow[] }>
  >`
    SELECT p.gold, p.starter_granted_at IS NOT NULL AS starter_granted,
      coalesce((SELECT json_agg(json_build_object('itemId', r.item_id, 'quantity', r.quantity) ORDER BY r.item_id)
        FROM resources r WHERE r.player_id = p.id AND r.quantity > 0), '[]'::json) AS resources,
      coalesce((SELECT json_agg(c ORDER BY c.created_at, c.id) FROM (
        SELECT id, definition_id, state, origin, crafted_by_id, recipe_id, crafted_at, content_version, token_id::text AS token_id, created_at
        FROM card_instances
        WHERE owner_id = p.id
          AND (${state}::text IS NULL OR state::text = ${state}::text)
          AND (${after?.createdAt ?? null}::timestamptz IS NULL OR (created_at, id) > (${after?.createdAt ?? null}::timestamptz, ${after?.id ?? null}::uuid))
        ORDER BY created_at, id LIMIT ${options.limit + 1}) c), '[]'::json) AS cards
    FROM players p WHERE p.id = ${playerId}::uuid`;
  const row = rows[0];
  if (!row) throw new AppError('NOT_FOUND', 'no such player');
  const cards = row.cards.slice(0, options.limit).map(cardView);
  const last = cards[cards.length - 1];
  return {
    gold: row.gold,
    resources: row.resources,
    cards,
    nextCursor: row.cards.length > options.limit && last ? encodeCursor(last) : null,
    starterGranted: row.starter_granted,
  };
}

/** One of the player's cards; another player's card is CARD_NOT_FOUND like a missing one. */
export async function getCard(db: Pick<Db, '$queryRaw'>, playerId: string, cardId: string): Promise<CardView> {
  if (!isUuid(cardId) || !isUuid(playerId)) throw new AppError('CARD_NOT_FOUND', `no card ${cardId}`, { cardId });
  const rows = await db.$queryRaw<CardRow[]>`
    SELECT id::text, definition_id, state::text AS state, origin::text AS origin, crafted_by_id::text, recipe_id, crafted_at,
      content_version, token_id::text, created_at
    FROM card_instances WHERE id = ${cardId}::uuid AND owner_id = ${playerId}::uuid`;
  const row = rows[0];
  if (!row) throw new AppError('CARD_NOT_FOUND', `no card ${cardId}`, { cardId });
  return cardView(row);
}

const starterSchema = rewardsSchema.shape.starter;

/** What the starter grant gave. */
export type StarterGrant =
  | { granted: true; version: number; cardIds: string[]; gold: number; items: Array<{ itemId: string; quantity: number }> }
  | { granted: false; reason: 'already_granted' | 'no_game_data' };

/**
 * Gives the player the starter grant of the active game data (`rewards.starter`: a starter deck as new card
 * instances of origin `starter`, gold and seeds, with ledger rows and `gold_changed`), exactly once: the grant sets
 * `players.starter_granted_at` in the same transaction, under the player's row lock, and does nothing when it is
 * already set. Call it from the transaction that creates the player (sign-in); {@link ensureStarterGrant} catches
 * up players created while no game data was published (`reason: 'no_game_data'`, nothing written).
 */
export async function grantStarterInTx(tx: DbTransaction, playerId: string): Promise<StarterGrant> {
  if (!isUuid(playerId)) throw new AppError('NOT_FOUND', 'no such player');
  const active = await tx.$queryRaw<Array<{ version: number; starter: unknown }>>`
    SELECT version, content #> '{rewards,starter}' AS starter FROM game_data_versions WHERE active IS TRUE`;
  const published = active[0];
  if (!published) return { granted: false, reason: 'no_game_data' };
  const starter = starterSchema.parse(published.starter);
  const marked = await tx.$queryRaw<Array<{ id: string }>>`
    UPDATE players SET starter_granted_at = now() WHERE id = ${playerId}::uuid AND starter_granted_at IS NULL RETURNING id::text`;
  if (marked.length === 0) {
    const exists = await tx.$queryRaw<Array<{ id: string }>>`SELECT id::text FROM players WHERE id = ${playerId}::uuid`;
    if (exists.length === 0) throw new AppError('NOT_FOUND', 'no such player');
    return { granted: false, reason: 'already_granted' };
  }
  const cards = await tx.$queryRaw<Array<{ id: string }>>`
    INSERT INTO card_instances (definition_id, owner_id, origin, state, content_version)
    SELECT def, ${playerId}::uuid, 'starter', 'in_game', ${published.version}::int
    FROM unnest(${starter.deck}::text[]) WITH ORDINALITY AS d(def, ord) ORDER BY ord
    RETURNING id::text`;
  const events: OutboxEventInput[] = [];
  const context = { playerId, reason: 'starter_grant', referenceId: `starter:${playerId}`, events };
  await changeGoldInTx(tx, context, starter.gold);
  const items = starter.items.map((i) => ({ itemId: i.item, quantity: i.quantity }));
  await changeItemsInTx(
    tx,
    context,
    items.map((i) => ({ itemId: i.itemId, delta: i.quantity })),
  );
  await appendEvents(tx, events);
  return { granted: true, version: published.version, cardIds: cards.map((c) => c.id), gold: starter.gold, items };
}

/** {@link grantStarterInTx} in its own transaction, for players who have not had it yet (a no-op otherwise). */
export function ensureStarterGrant(db: Db, playerId: string): Promise<StarterGrant> {
  return db.$transaction((tx) => grantStarterInTx(tx, playerId));
}
