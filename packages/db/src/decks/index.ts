/**
 * Saved decks. A deck lists card instances; its legality is computed whenever it is read, from the deck rules
 * (size, copies, legendary limit, no tokens) plus the cards' current owner and state. A deck may be saved while
 * incomplete or illegal (a deck under construction), but only with cards its player holds at that moment; a card
 * that later leaves the player (sold on chain, consumed by a craft, being minted) stays listed and the deck reports
 * why it is illegal until it is edited.
 */
import { AppError } from '@harvest/shared/errors';
import { checkDeck, type DeckEntry, type Violation } from '@harvest/shared/rules';
import type { CardState } from '../generated/prisma/enums.ts';
import type { Db, DbTransaction } from '../index.ts';
import type { GameContent } from '../inventory/content.ts';
import { isUuid, lockPlayerInTx } from '../ledger/index.ts';

/** Most decks a player may keep. */
export const MAX_DECKS = 50;
/** Most cards a saved deck may list (the legal size comes from the game data). */
export const MAX_DECK_CARDS = 60;

/** A deck problem, as the deck rules name it. */
export type DeckProblem = Violation<string>;

/** A deck with its legality now. */
export interface DeckView {
  id: string;
  name: string;
  cards: Array<{ cardId: string; definitionId: string; state: CardState; owned: boolean }>;
  legal: boolean;
  /** Every problem, empty when legal. */
  problems: DeckProblem[];
  createdAt: Date;
  updatedAt: Date;
}

interface DeckRow {
  id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
  cards: Array<{ cardId: string; definitionId: string; ownerId: string | null; state: CardState }> | null;
}

function deckView(row: DeckRow, playerId: string, content: GameContent): DeckView {
  const cards = row.cards ?? [];
  const entries: DeckEntry[] = cards.map((c) => ({ instanceId: c.cardId, def: c.definitionId, owner: c.ownerId ?? '', state: c.state }));
  const check = checkDeck(entries, { playerId, cards: content.rules.cards, rules: content.rules.deck });
  return {
    id: row.id,
    name: row.name,
    cards: cards.map((c) => ({ cardId: c.cardId, definitionId: c.definitionId, state: c.state, owned: c.ownerId === playerId })),
    legal: check.ok,
    problems: check.ok ? [] : check.violations,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

async function readDecks(db: Pick<DbTransaction, '$queryRaw'>, playerId: string, deckId: string | null): Promise<DeckRow[]> {
  return db.$queryRaw<DeckRow[]>`
    SELECT d.id::text, d.name, d.created_at, d.updated_at,
      (SELECT json_agg(json_build_object('cardId', c.id, 'definitionId', c.definition_id, 'ownerId', c.owner_id, 'state', c.state)
               ORDER BY dc.position)
       FROM deck_cards dc JOIN card_instances c ON c.id = dc.card_id WHERE dc.deck_id = d.id) AS cards
    FROM decks d
    WHERE d.player_id = ${playerId}::uuid AND (${deckId}::uuid IS NULL OR d.id = ${deckId}::uuid)
    ORDER BY d.created_at, d.id`;
}

const notFound = (deckId: string) => new AppError('DECK_NOT_FOUND', `no deck ${deckId}`, { deckId });

/** The player's decks, oldest first, each with its legality now. */
export async function listDecks(db: Pick<Db, '$queryRaw'>, playerId: string, content: GameContent): Promise<DeckView[]> {
  if (!isUuid(playerId)) throw new AppError('NOT_FOUND', 'no such player');
  return (await readDecks(db, playerId, null)).map((row) => deckView(row, playerId, content));
}

/** One of the player's decks; another player's deck is DECK_NOT_FOUND like a missing one. */
export async function getDeck(db: Pick<Db, '$queryRaw'>, playerId: string, deckId: string, content: GameContent): Promise<DeckView> {
  if (!isUuid(deckId) || !isUuid(playerId)) throw notFound(deckId);
  const row = (await readDecks(db, playerId, deckId))[0];
  if (!row) throw notFound(deckId);
  return deckView(row, playerId, content);
}

/** Checks a deck's cards: distinct, at most {@link MAX_DECK_CARDS}, each held by the player now (else CARD_NOT_FOUND). */
async function checkCardsInTx(tx: DbTransaction, playerId: string, cardIds: readonly string[]): Promise<void> {
  cardIds = cardIds.map((id) => id.toLowerCase());
  if (cardIds.length > MAX_DECK_CARDS) throw new AppError('VALIDATION_FAILED', `a deck lists at most ${MAX_DECK_CARDS} cards`);
  if (new Set(cardIds).size !== cardIds.length) throw new AppError('VALIDATION_FAILED', 'a card is listed twice');
  const malformed = cardIds.find((id) => !isUuid(id));
  if (malformed !== undefined) throw new AppError('CARD_NOT_FOUND', `no card ${malformed}`, { cardId: malformed });
  if (cardIds.length === 0) return;
  const owned = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id::text FROM card_instances WHERE id = ANY(${cardIds}::uuid[]) AND owner_id = ${playerId}::uuid`;
  const ids = new Set(owned.map((r) => r.id));
  const missing = cardIds.find((id) => !ids.has(id));
  if (missing !== undefined) throw new AppError('CARD_NOT_FOUND', `no card ${missing}`, { cardId: missing });
}

async function writeCardsInTx(tx: DbTransaction, deckId: string, cardIds: readonly string[]): Promise<void> {
  await tx.$executeRaw`DELETE FROM deck_cards WHERE deck_id = ${deckId}::uuid`;
  if (cardIds.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO deck_cards (deck_id, card_id, position)
    SELECT ${deckId}::uuid, card_id, (ord - 1)::int FROM unnest(${[...cardIds]}::uuid[]) WITH ORDINALITY AS c(card_id, ord)`;
}

function checkName(name: string): void {
  if (name.length < 1 || name.length > 40) throw new AppError('VALIDATION_FAILED', 'a deck name has 1 to 40 characters');
}

/** Saves a new deck. DECK_LIMIT past {@link MAX_DECKS}; CARD_NOT_FOUND for a card the player does not hold. */
export async function createDeck(
  db: Db,
  input: { playerId: string; name: string; cardIds: readonly string[]; content: GameContent },
): Promise<DeckView> {
  checkName(input.name);
  const id = await db.$transaction(async (tx) => {
    await lockPlayerInTx(tx, input.playerId);
    const [count] = await tx.$queryRaw<
      Array<{ n: number }>
    >`SELECT count(*)::int AS n FROM decks WHERE player_id = ${input.playerId}::uuid`;
    if ((count?.n ?? 0) >= MAX_DECKS) throw new AppError('DECK_LIMIT', `at most ${MAX_DECKS} decks`, { max: MAX_DECKS });
    await checkCardsInTx(tx, input.playerId, input.cardIds);
    const [deck] = await tx.$queryRaw<Array<{ id: string }>>`
      INSERT INTO decks (player_id, name) VALUES (${input.playerId}::uuid, ${input.name}) RETURNING id::text`;
    if (!deck) throw new AppError('INTERNAL', 'the deck was not created');
    await writeCardsInTx(tx, deck.id, input.cardIds);
    return deck.id;
  });
  return getDeck(db, input.playerId, id, input.content);
}

/** Renames a deck and/or replaces its cards. DECK_NOT_FOUND for a deck that is not the player's. */
export async function updateDeck(
  db: Db,
  input: { playerId: string; deckId: string; name?: string | undefined; cardIds?: readonly string[] | undefined; content: GameContent },
): Promise<DeckView> {
  if (!isUuid(input.deckId)) throw notFound(input.deckId);
  if (input.name !== undefined) checkName(input.name);
  await db.$transaction(async (tx) => {
    await lockPlayerInTx(tx, input.playerId);
    const updated = await tx.$queryRaw<Array<{ id: string }>>`
      UPDATE decks SET name = coalesce(${input.name ?? null}::text, name), updated_at = now()
      WHERE id = ${input.deckId}::uuid AND player_id = ${input.playerId}::uuid RETURNING id::text`;
    if (updated.length === 0) throw notFound(input.deckId);
    if (input.cardIds !== undefined) {
      await checkCardsInTx(tx, input.playerId, input.cardIds);
      await writeCardsInTx(tx, input.deckId, input.cardIds);
    }
  });
  return getDeck(db, input.playerId, input.deckId, input.content);
}

/** Deletes a deck. DECK_NOT_FOUND for a deck that is not the player's. */
export async function deleteDeck(db: Db, input: { playerId: string; deckId: string }): Promise<void> {
  if (!isUuid(input.deckId) || !isUuid(input.playerId)) throw notFound(input.deckId);
  const deleted = await db.$executeRaw`DELETE FROM decks WHERE id = ${input.deckId}::uuid AND player_id = ${input.playerId}::uuid`;
  if (deleted === 0) throw notFound(input.deckId);
}
