/**
 * Crafting rules: check a recipe's inputs against what the player offers and holds, consume them, and draw the
 * output card (fixed, or from a weighted table by rarity/element with the server RNG).
 *
 * The rule does not create the card instance: the `crafted` event names the definition, recipe and time, and the
 * `packages/db` service creates the instance (origin crafted, crafted by, recipe, at) in the same transaction that
 * consumes the inputs, so a craft is all or nothing.
 */

import type { CardDef, CardState, Element, Rarity } from '../cards.ts';
import { type RuleContext, type RuleResult, violation } from '../core/result.ts';
import { pickWeighted } from '../core/rng.ts';

/** A card input: `count` card instances of one definition, or of any definition of one rarity. */
export type CardInput = { readonly def: string; readonly count: number } | { readonly rarity: Rarity; readonly count: number };

/** One row of a weighted output table; a missing rarity or element matches any. */
export interface OutputTableEntry {
  readonly rarity?: Rarity;
  readonly element?: Element;
  readonly weight: number;
}

/** A recipe as the rules see it (validated from `gamedata/recipes.yaml`). */
export interface RecipeSpec {
  readonly id: string;
  readonly inputs: {
    readonly gold: number;
    readonly items: readonly { readonly item: string; readonly quantity: number }[];
    readonly cards: readonly CardInput[];
  };
  readonly output: { readonly card: string } | { readonly table: readonly OutputTableEntry[] };
  /** Only players whose land has the matching `exclusive_recipe` perk may craft it. */
  readonly exclusive: boolean;
}

/** A card instance the player owns, as far as crafting cares. */
export interface OwnedCard {
  readonly id: string;
  readonly def: string;
  readonly state: CardState;
}

/** What the caller loads for one craft: balances, the offered cards' owners' collection, unlocked recipes. */
export interface CraftingState {
  readonly gold: number;
  readonly inventory: Readonly<Record<string, number>>;
  /** The player's card instances (at least the ones offered). */
  readonly cards: readonly OwnedCard[];
  /** Exclusive recipe ids the player may craft (from the perks of land they hold or rent). */
  readonly unlockedRecipes: readonly string[];
}

/** Craft `recipe`, consuming the card instances in `cards` for the recipe's card inputs. */
export interface CraftAction {
  readonly type: 'craft';
  readonly recipe: string;
  readonly cards: readonly string[];
}

/** Crafting events; `consumed` lists exactly what the service must take. */
export type CraftEvent = {
  readonly type: 'crafted';
  readonly recipe: string;
  readonly def: string;
  readonly at: number;
  readonly consumed: {
    readonly gold: number;
    readonly items: readonly { readonly item: string; readonly quantity: number }[];
    readonly cards: readonly string[];
  };
};

/** Crafting violation codes. */
export const CRAFT_VIOLATIONS = [
  'UNKNOWN_RECIPE',
  'RECIPE_LOCKED',
  'INSUFFICIENT_GOLD',
  'INSUFFICIENT_ITEMS',
  'CARD_NOT_OWNED',
  'CARD_UNAVAILABLE',
  'DUPLICATE_CARD',
  'CARD_INPUT_MISMATCH',
  'NO_OUTPUT',
  'UNKNOWN_ACTION',
] as const;
/** A crafting violation code. */
export type CraftViolationCode = (typeof CRAFT_VIOLATIONS)[number];

/** Result of a craft. */
export type CraftResult = RuleResult<CraftingState, CraftEvent, CraftViolationCode>;

/** Crafting rules bound to a catalogue. */
export interface CraftingRules {
  /** Crafts once; `ctx.rng` draws table outputs, `ctx.now` stamps the provenance. */
  apply(state: CraftingState, action: CraftAction, ctx: RuleContext): CraftResult;
  /** Definitions a recipe can produce, each with its probability (fixed outputs: one entry with 1). */
  outcomes(recipeId: string): { readonly def: string; readonly probability: number }[];
}

/** Collectible (non-token) definitions matching a table entry, in catalogue order. */
export function tableCandidates(cards: readonly CardDef[], entry: OutputTableEntry): CardDef[] {
  return cards.filter(
    (c) =>
      !c.token && (entry.rarity === undefined || c.rarity === entry.rarity) && (entry.element === undefined || c.element === entry.element),
  );
}

/**
 * Assigns offered cards to card inputs: definition inputs first, then rarity inputs. Filling definition inputs
 * first is optimal: a card of that definition could fill only that input or its rarity's, and the cards of one
 * definition are interchangeable. Every offered card must be used (no silent extra consumption).
 */
function matchCardInputs(inputs: readonly CardInput[], offered: readonly OwnedCard[], byId: ReadonlyMap<string, CardDef>): string | null {
  const pool = offered.slice();
  const take = (pred: (c: OwnedCard) => boolean, count: number, label: string): string | null => {
    for (let i = 0; i < count; i++) {
      const at = pool.findIndex(pred);
      if (at < 0) return `needs ${count} × ${label}`;
      pool.splice(at, 1);
    }
    return null;
  };
  for (const input of inputs) {
    if ('def' in input) {
      const problem = take((c) => c.def === input.def, input.count, input.def);
      if (problem) return problem;
    }
  }
  for (const input of inputs) {
    if ('rarity' in input) {
      const problem = take((c) => byId.get(c.def)?.rarity === input.rarity, input.count, `${input.rarity} card`);
      if (problem) return problem;
    }
  }
  if (pool.length > 0) return `card ${pool[0]?.id} is not needed by this recipe`;
  return null;
}

/** Creates crafting rules for recipes and the card catalogue (from game data). */
export function createCraftingRules(recipes: readonly RecipeSpec[], cards: readonly CardDef[]): CraftingRules {
  const recipeById = new Map(recipes.map((r) => [r.id, r]));
  const cardById = new Map(cards.map((c) => [c.id, c]));

  const outcomes = (recipeId: string): { def: string; probability: number }[] => {
    const recipe = recipeById.get(recipeId);
    if (recipe === undefined) return [];
    if ('card' in recipe.output) return [{ def: recipe.output.card, probability: 1 }];
    const table = recipe.output.table;
    const live = table.map((e) => ({ e, candidates: tableCandidates(cards, e) })).filter((x) => x.candidates.length > 0 && x.e.weight > 0);
    const total = live.reduce((sum, x) => sum + x.e.weight, 0);
    const acc = new Map<string, number>();
    for (const { e, candidates } of live) {
      for (const c of candidates) acc.set(c.id, (acc.get(c.id) ?? 0) + e.weight / total / candidates.length);
    }
    return [...acc].map(([def, probability]) => ({ def, probability }));
  };

  return {
    outcomes,
    apply(state, action, ctx) {
      if (action.type !== 'craft') return violation('UNKNOWN_ACTION', 'crafting knows only "craft"');
      const recipe = recipeById.get(action.recipe);
      if (recipe === undefined) return violation('UNKNOWN_RECIPE', `no recipe "${action.recipe}"`);
      if (recipe.exclusive && !state.unlockedRecipes.includes(recipe.id)) {
        return violation('RECIPE_LOCKED', `${recipe.id} needs land with its perk`);
      }
      if (state.gold < recipe.inputs.gold) return violation('INSUFFICIENT_GOLD', `needs ${recipe.inputs.gold} gold`);
      for (const { item, quantity } of recipe.inputs.items) {
        if ((state.inventory[item] ?? 0) < quantity) return violation('INSUFFICIENT_ITEMS', `needs ${quantity} × ${item}`);
      }
      const offered: OwnedCard[] = [];
      const seen = new Set<string>();
      for (const id of action.cards) {
        if (seen.has(id)) return violation('DUPLICATE_CARD', `card ${id} offered twice`);
        seen.add(id);
        const card = state.cards.find((c) => c.id === id);
        if (card === undefined) return violation('CARD_NOT_OWNED', `you do not own card ${id}`);
        if (card.state !== 'in_game') return violation('CARD_UNAVAILABLE', `card ${id} is ${card.state}`);
        offered.push(card);
      }
      const mismatch = matchCardInputs(recipe.inputs.cards, offered, cardById);
      if (mismatch) return violation('CARD_INPUT_MISMATCH', mismatch);

      let def: string;
      if ('card' in recipe.output) {
        def = recipe.output.card;
      } else {
        const table = recipe.output.table;
        const candidates = table.map((e) => tableCandidates(cards, e));
        const index = pickWeighted(
          table.map((e, i) => ((candidates[i] as CardDef[]).length > 0 ? e.weight : 0)),
          ctx.rng,
        );
        if (index < 0) return violation('NO_OUTPUT', `recipe ${recipe.id} has no card to produce`);
        const pool = candidates[index] as CardDef[];
        def = (pool[ctx.rng.int(pool.length)] as CardDef).id;
      }

      const inventory = { ...state.inventory };
      for (const { item, quantity } of recipe.inputs.items) inventory[item] = (inventory[item] ?? 0) - quantity;
      return {
        ok: true,
        state: {
          ...state,
          gold: state.gold - recipe.inputs.gold,
          inventory,
          cards: state.cards.map((c) => (seen.has(c.id) ? { ...c, state: 'consumed' as const } : c)),
        },
        events: [
          {
            type: 'crafted',
            recipe: recipe.id,
            def,
            at: ctx.now,
            consumed: { gold: recipe.inputs.gold, items: recipe.inputs.items.map((x) => ({ ...x })), cards: offered.map((c) => c.id) },
          },
        ],
      };
    },
  };
}
