/**
 * Crafting: one transaction locks the player, the input resources and the offered cards, checks the recipe with
 * the pure crafting rules, then consumes the inputs, creates the card with its provenance (crafted by, recipe,
 * crafted at, content version), writes the ledger rows and appends `crafted` (and `gold_changed`), or writes
 * nothing at all. Also the recipe list a player sees: land perks unlock exclusive recipes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AppError, type ErrorCode } from '@harvest/shared/errors';
import { type CraftViolationCode, createRngFromState, type Rng } from '@harvest/shared/rules';
import type { RecipeDefinition } from '@harvest/shared/schemas';
import { consumeCardsInTx, type LockedCard, lockCardsInTx } from '../cards/index.ts';
import type { Db, DbTransaction } from '../index.ts';
import { contentIndex, type GameContent } from '../inventory/content.ts';
import type { CardView } from '../inventory/index.ts';
import { isUuid, sendLockedChangesInTx } from '../ledger/index.ts';
import { appendEvents, type OutboxEventInput } from '../outbox/index.ts';
import { type StatementIssuer, sequentialIssuer } from '../sql/index.ts';

const VIOLATION_CODES: Record<CraftViolationCode, ErrorCode> = {
  UNKNOWN_RECIPE: 'RECIPE_NOT_FOUND',
  RECIPE_LOCKED: 'RECIPE_LOCKED',
  INSUFFICIENT_GOLD: 'INSUFFICIENT_GOLD',
  INSUFFICIENT_ITEMS: 'INSUFFICIENT_RESOURCES',
  CARD_NOT_OWNED: 'CARD_NOT_FOUND',
  CARD_UNAVAILABLE: 'CARD_UNAVAILABLE',
  DUPLICATE_CARD: 'CRAFT_INPUT_MISMATCH',
  CARD_INPUT_MISMATCH: 'CRAFT_INPUT_MISMATCH',
  NO_OUTPUT: 'RECIPE_NO_OUTPUT',
  UNKNOWN_ACTION: 'VALIDATION_FAILED',
};

/** A server random source for crafting draws (fresh crypto entropy per craft). */
export function serverRng(): Rng {
  const words = new Uint32Array(randomBytes(16).buffer.slice(0, 16));
  if (words.every((w) => w === 0)) words[0] = 1;
  return createRngFromState([words[0] as number, words[1] as number, words[2] as number, words[3] as number]);
}

/** Exclusive recipe ids unlocked for the player by the perks of the land parcels they hold. */
export async function unlockedRecipesInTx(
  db: Pick<DbTransaction, '$queryRaw'>,
  playerId: string,
  content: GameContent,
): Promise<Map<string, string>> {
  const index = contentIndex(content);
  const parcels = await db.$queryRaw<Array<{ id: string }>>`SELECT id FROM land_parcels WHERE owner_id = ${playerId}::uuid`;
  const unlocked = new Map<string, string>();
  for (const { id } of parcels) {
    const perk = index.parcels.get(id)?.perk;
    if (perk?.kind === 'exclusive_recipe' && !unlocked.has(perk.recipe)) unlocked.set(perk.recipe, id);
  }
  return unlocked;
}

/** A craft request. */
export interface CraftInput {
  playerId: string;
  recipeId: string;
  /** Card instances offered for the recipe's card inputs (exactly what it needs). */
  cardIds: readonly string[];
  content: GameContent;
  /** Server time (ms) stamped as the craft time. */
  now: number;
  /** Draws table outputs; default {@link serverRng}. */
  rng?: Rng;
}

/** What a craft did. */
export interface CraftOutcome {
  craftId: string;
  recipeId: string;
  card: CardView;
  consumed: { gold: number; items: Array<{ itemId: string; quantity: number }>; cardIds: string[] };
  balances: { gold: number; items: Array<{ itemId: string; quantity: number }> };
}

/** What {@link prepareCraftInTx} read and decided: everything {@link sendCraftInTx} writes. */
export interface PreparedCraft {
  input: CraftInput;
  recipe: RecipeDefinition;
  /** The rules' craft event: the definition drawn and what is consumed. */
  crafted: { def: string; consumed: { gold: number; items: ReadonlyArray<{ item: string; quantity: number }>; cards: string[] } };
  gold: number;
  held: Map<string, number>;
  cards: LockedCard[];
  /** The transaction's start time at the column precision: the card's created_at. */
  createdAt: Date;
  /** Drawn for the gold ledger row (null when the recipe costs no gold). */
  goldLedgerId: bigint | string | null;
}

/** What a craft consumes and draws: the rules' `crafted` event. */
export type CraftDecision = PreparedCraft['crafted'];

/**
 * Checks a craft with the pure crafting rules against locked values (gold, held items, the offered cards, the
 * unlocked exclusive recipes) and draws its output. Throws the typed refusal (INSUFFICIENT_GOLD with `required` and
 * `balance`, INSUFFICIENT_RESOURCES...). Pure: both the single craft and a batch of crafts decide here.
 */
export function decideCraft(
  input: CraftInput,
  recipe: RecipeDefinition,
  state: { gold: number; held: ReadonlyMap<string, number>; cards: readonly LockedCard[]; unlocked: ReadonlyMap<string, string> },
): CraftDecision {
  const result = input.content.rules.crafting.apply(
    {
      gold: state.gold,
      inventory: Object.fromEntries(state.held),
      cards: state.cards.map((c) => ({ id: c.id, def: c.definitionId, state: c.state })),
      unlockedRecipes: [...state.unlocked.keys()],
    },
    { type: 'craft', recipe: recipe.id, cards: input.cardIds },
    { rng: input.rng ?? serverRng(), now: input.now },
  );
  if (!result.ok) {
    const code = VIOLATION_CODES[result.violation.code];
    const details: Record<string, unknown> = { recipeId: recipe.id };
    if (code === 'INSUFFICIENT_GOLD') Object.assign(details, { required: recipe.inputs.gold, balance: state.gold });
    throw new AppError(code, result.violation.message, details);
  }
  const crafted = result.events[0];
  if (!crafted) throw new AppError('INTERNAL', 'the crafting rules reported no craft');
  return {
    def: crafted.def,
    consumed: { gold: crafted.consumed.gold, items: crafted.consumed.items, cards: [...crafted.consumed.cards] },
  };
}

/** What {@link lockCraftInputsInTx} read under its locks. */
export interface LockedCraftInputs {
  gold: number;
  items: Array<{ item_id: string; quantity: number }>;
  /** The transaction's start time at the column precision (crafted cards' created_at). */
  created_at: Date;
  /** Fresh ledger row ids, ascending (text: int8). */
  ledger_ids: string[];
}

/**
 * One statement for a craft (or a batch of crafts) of one player: locks the player row, then the input resource
 * rows in item order (the lock order every service keeps), reads them, and draws `ledgerIds` ledger row ids in
 * ascending order (so `gold_changed` can name its row and rows keep craft order). No row when the player does not
 * exist. Sent at once: on a pipelined connection it shares a round trip with what was sent beside it.
 */
export function lockCraftInputsInTx(
  tx: Pick<DbTransaction, '$queryRaw'>,
  playerId: string,
  itemIds: readonly string[],
  ledgerIds: number,
): Promise<LockedCraftInputs[]> {
  return tx.$queryRaw<LockedCraftInputs[]>`
    WITH p AS (SELECT gold FROM players WHERE id = ${playerId}::uuid FOR NO KEY UPDATE),
    r AS (
      SELECT item_id, quantity FROM resources
      WHERE player_id = ${playerId}::uuid AND item_id = ANY(${[...itemIds].sort()}::text[]) ORDER BY item_id FOR UPDATE
    )
    SELECT p.gold, coalesce((SELECT json_agg(json_build_object('item_id', item_id, 'quantity', quantity)) FROM r), '[]'::json) AS items,
      now()::timestamptz(3) AS created_at,
      (SELECT coalesce(array_agg(id::text ORDER BY id), '{}') FROM (
        SELECT nextval(pg_get_serial_sequence('ledger_entries', 'id')) AS id FROM generate_series(1, ${ledgerIds}::int)) ids) AS ledger_ids
    FROM p`;
}

/**
 * The first half of a craft: locks the player row, the input resource rows and the offered cards (in that order,
 * the lock order), reads them and checks the recipe with the pure crafting rules. Writes nothing; every refusal is
 * a typed error thrown here. The statements are sent together, so on a pipelined connection (../sql) this is one
 * round trip.
 */
export async function prepareCraftInTx(tx: DbTransaction, issuer: StatementIssuer, input: CraftInput): Promise<PreparedCraft> {
  const { playerId, content } = input;
  if (!isUuid(playerId)) throw new AppError('NOT_FOUND', 'no such player');
  const recipe: RecipeDefinition | undefined = contentIndex(content).recipes.get(input.recipeId);
  if (!recipe) throw new AppError('RECIPE_NOT_FOUND', `no recipe "${input.recipeId}"`, { recipeId: input.recipeId });
  // lockCardsInTx refuses malformed ids before sending anything; refused here first, so it always sends when issued.
  const malformed = input.cardIds.map((id) => id.toLowerCase()).find((id) => !isUuid(id));
  if (malformed !== undefined) throw new AppError('CARD_NOT_FOUND', `no card ${malformed}`, { cardId: malformed });
  const itemIds = recipe.inputs.items.map((i) => i.item).sort();
  const needsLedgerId = recipe.inputs.gold > 0;
  // The player's row lock and the input resources' row locks, and, when gold is spent, its ledger row's id.
  const locked = issuer.issue(() => lockCraftInputsInTx(tx, playerId, itemIds, needsLedgerId ? 1 : 0));
  const unlocked = recipe.exclusive
    ? issuer.issue(() => unlockedRecipesInTx(tx, playerId, content))
    : Promise.resolve(new Map<string, string>());
  const cards =
    input.cardIds.length > 0 ? issuer.issue(() => lockCardsInTx(tx, input.cardIds, { ownerId: playerId })) : Promise.resolve([]);
  const [rows, unlockedBy, lockedCards] = await Promise.all([locked, unlocked, cards]);
  const player = rows[0];
  if (!player) throw new AppError('NOT_FOUND', 'no such player');
  const { gold } = player;
  const held = new Map(player.items.map((r) => [r.item_id, r.quantity]));
  const crafted = decideCraft(input, recipe, { gold, held, cards: lockedCards, unlocked: unlockedBy });
  const goldLedgerId = player.ledger_ids[0] ?? null;
  if (crafted.consumed.gold > 0 && goldLedgerId === null) throw new AppError('INTERNAL', 'no ledger id was drawn');
  return {
    input,
    recipe,
    crafted,
    gold,
    held,
    cards: lockedCards,
    createdAt: new Date(player.created_at),
    goldLedgerId,
  };
}

/**
 * The second half of a craft: sends its writes (the card with its provenance, gold and resources with their ledger
 * rows, the consumed cards, `gold_changed` and `crafted` in the outbox) without waiting for them, and returns what
 * the craft did (computed from the locked values) with the pending statements, which the caller awaits or commits
 * behind. On a pipelined connection the writes and COMMIT go in one round trip.
 */
export function sendCraftInTx(
  tx: DbTransaction,
  issuer: StatementIssuer,
  prepared: PreparedCraft,
): { outcome: CraftOutcome; written: Array<Promise<unknown>> } {
  const { input, recipe, crafted, createdAt } = prepared;
  const { playerId, content } = input;
  const craftedAt = new Date(input.now);
  // The card id is drawn here, so the events and the response need no answer from the database.
  const cardId = randomUUID();
  const written: Array<Promise<unknown>> = [
    issuer.issue(
      () => tx.$queryRaw`
        INSERT INTO card_instances (id, definition_id, owner_id, origin, crafted_by_id, recipe_id, crafted_at, state, content_version, created_at)
        VALUES (${cardId}::uuid, ${crafted.def}, ${playerId}::uuid, 'crafted', ${playerId}::uuid, ${recipe.id}, ${craftedAt}, 'in_game',
          ${content.version}::int, ${createdAt})`,
    ),
  ];
  const events: OutboxEventInput[] = [];
  const context = { playerId, reason: 'craft', referenceId: `craft:${cardId}`, events };
  const consumedItems = new Map<string, number>();
  for (const i of crafted.consumed.items) consumedItems.set(i.item, (consumedItems.get(i.item) ?? 0) + i.quantity);
  const balances = sendLockedChangesInTx(tx, issuer, context, {
    ...(crafted.consumed.gold > 0 && prepared.goldLedgerId !== null
      ? { gold: { before: prepared.gold, delta: -crafted.consumed.gold, ledgerId: prepared.goldLedgerId } }
      : {}),
    items: [...consumedItems].map(([itemId, quantity]) => ({ itemId, before: prepared.held.get(itemId) ?? 0, delta: -quantity })),
  });
  written.push(balances.written);
  const consumedCards = prepared.cards.filter((c) => crafted.consumed.cards.includes(c.id));
  if (consumedCards.length > 0) written.push(issuer.issue(() => consumeCardsInTx(tx, consumedCards)));
  events.push({
    type: 'crafted',
    key: playerId,
    payload: { playerId, recipeId: recipe.id, cardId, definitionId: crafted.def, contentVersion: content.version },
    occurredAt: craftedAt,
  });
  written.push(issuer.issue(() => appendEvents(tx, events)));
  return {
    written,
    outcome: {
      craftId: cardId,
      recipeId: recipe.id,
      card: {
        id: cardId,
        definitionId: crafted.def,
        state: 'in_game',
        origin: 'crafted',
        crafted: { byPlayerId: playerId, recipeId: recipe.id, at: craftedAt },
        contentVersion: content.version,
        tokenId: null,
        createdAt,
      },
      consumed: {
        gold: crafted.consumed.gold,
        items: crafted.consumed.items.map((i) => ({ itemId: i.item, quantity: i.quantity })),
        cardIds: [...crafted.consumed.cards],
      },
      balances: { gold: balances.gold ?? prepared.gold, items: balances.items },
    },
  };
}

/** Crafts once inside the caller's transaction (see the module comment). Typed errors for every refusal. */
export async function craftInTx(tx: DbTransaction, input: CraftInput): Promise<CraftOutcome> {
  const issuer = sequentialIssuer();
  const prepared = await prepareCraftInTx(tx, issuer, input);
  const { outcome, written } = sendCraftInTx(tx, issuer, prepared);
  await Promise.all(written);
  return outcome;
}

/** {@link craftInTx} in its own transaction. */
export function craft(db: Db, input: CraftInput): Promise<CraftOutcome> {
  return db.$transaction((tx) => craftInTx(tx, input), { maxWait: 10_000, timeout: 20_000 });
}

/** A recipe as a player sees it. */
export interface RecipeView {
  recipe: RecipeDefinition;
  /** Definitions it can produce, with probabilities. */
  outcomes: Array<{ def: string; probability: number }>;
  /** Not exclusive, or unlocked by a parcel the player holds. */
  unlocked: boolean;
  /** The parcel whose perk unlocks it (exclusive recipes the player can craft). */
  unlockedBy: string | null;
  /** Perks that unlock it (exclusive recipes). */
  perks: readonly string[];
  /** What the player lacks right now (gold, items; card inputs are counted among in_game cards). */
  missing: { gold: number; items: Array<{ itemId: string; quantity: number }>; cards: Array<{ input: string; count: number }> };
  /** Unlocked and nothing missing. */
  craftable: boolean;
}

/** Every recipe of the content with what this player needs to craft it now. */
export async function listRecipesFor(db: Db, playerId: string, content: GameContent): Promise<RecipeView[]> {
  const index = contentIndex(content);
  const [unlocked, player, resources, cards] = await Promise.all([
    unlockedRecipesInTx(db, playerId, content),
    db.$queryRaw<Array<{ gold: number }>>`SELECT gold FROM players WHERE id = ${playerId}::uuid`,
    db.$queryRaw<Array<{ item_id: string; quantity: number }>>`SELECT item_id, quantity FROM resources WHERE player_id = ${playerId}::uuid`,
    db.$queryRaw<Array<{ definition_id: string; n: number }>>`
      SELECT definition_id, count(*)::int AS n FROM card_instances WHERE owner_id = ${playerId}::uuid AND state = 'in_game' GROUP BY definition_id`,
  ]);
  if (!player[0]) throw new AppError('NOT_FOUND', 'no such player');
  const gold = player[0].gold;
  const have = new Map(resources.map((r) => [r.item_id, r.quantity]));
  const byDef = new Map(cards.map((c) => [c.definition_id, c.n]));
  const byRarity = new Map<string, number>();
  for (const [def, n] of byDef) {
    const rarity = content.rules.cards[def]?.rarity;
    if (rarity) byRarity.set(rarity, (byRarity.get(rarity) ?? 0) + n);
  }
  return content.data.recipes.map((recipe) => {
    const isUnlocked = !recipe.exclusive || unlocked.has(recipe.id);
    const missingItems = recipe.inputs.items
      .map((i) => ({ itemId: i.item, quantity: Math.max(0, i.quantity - (have.get(i.item) ?? 0)) }))
      .filter((i) => i.quantity > 0);
    // Definition inputs first, then rarity inputs from what is left (the rules' matching order).
    const left = new Map(byDef);
    const missingCards: Array<{ input: string; count: number }> = [];
    for (const input of recipe.inputs.cards) {
      if ('def' in input) {
        const n = left.get(input.def) ?? 0;
        left.set(input.def, Math.max(0, n - input.count));
        if (n < input.count) missingCards.push({ input: input.def, count: input.count - n });
      }
    }
    const rarityLeft = new Map(byRarity);
    for (const [def, n] of byDef) {
      const used = n - (left.get(def) ?? 0);
      const rarity = content.rules.cards[def]?.rarity;
      if (rarity && used > 0) rarityLeft.set(rarity, (rarityLeft.get(rarity) ?? 0) - used);
    }
    for (const input of recipe.inputs.cards) {
      if ('rarity' in input) {
        const n = Math.max(0, rarityLeft.get(input.rarity) ?? 0);
        rarityLeft.set(input.rarity, n - Math.min(n, input.count));
        if (n < input.count) missingCards.push({ input: `${input.rarity} card`, count: input.count - n });
      }
    }
    const missing = { gold: Math.max(0, recipe.inputs.gold - gold), items: missingItems, cards: missingCards };
    return {
      recipe,
      outcomes: content.rules.crafting.outcomes(recipe.id),
      unlocked: isUnlocked,
      unlockedBy: recipe.exclusive ? (unlocked.get(recipe.id) ?? null) : null,
      perks: index.recipePerks.get(recipe.id) ?? [],
      missing,
      craftable: isUnlocked && missing.gold === 0 && missingItems.length === 0 && missingCards.length === 0,
    };
  });
}
