/**
 * The game data the economy services read: the published version's content and rules (what
 * `getActiveGameData(db)` returns), with lookup tables built once per version.
 */
import type { GameData, GameRules } from '@harvest/shared/gamedata';
import type { LandPerk } from '@harvest/shared/rules';
import type { CardDefinition, CropDefinition, ItemDefinition, RecipeDefinition } from '@harvest/shared/schemas';

/** A published game-data version as the economy services need it (a subset of `LoadedGameData`). */
export interface GameContent {
  readonly version: number;
  readonly data: GameData;
  readonly rules: GameRules;
}

/** Lookup tables over one content version. */
export interface ContentIndex {
  readonly cards: ReadonlyMap<string, CardDefinition>;
  readonly items: ReadonlyMap<string, ItemDefinition>;
  /** Crops by the seed item that plants them. */
  readonly cropsBySeed: ReadonlyMap<string, CropDefinition>;
  readonly recipes: ReadonlyMap<string, RecipeDefinition>;
  /** Parcels by id, perk resolved. */
  readonly parcels: ReadonlyMap<string, { plots: number; fertility: number; perk: LandPerk | null }>;
  /** Exclusive recipe id -> perk ids that unlock it. */
  readonly recipePerks: ReadonlyMap<string, readonly string[]>;
}

const indexes = new WeakMap<GameData, ContentIndex>();

/** The lookup tables of a content version (built on first use, then cached with the content object). */
export function contentIndex(content: GameContent): ContentIndex {
  const cached = indexes.get(content.data);
  if (cached) return cached;
  const data = content.data;
  const perks = new Map<string, LandPerk>(data.perks.map((p) => [p.id, p]));
  const recipePerks = new Map<string, string[]>();
  for (const perk of data.perks) {
    if (perk.kind === 'exclusive_recipe') recipePerks.set(perk.recipe, [...(recipePerks.get(perk.recipe) ?? []), perk.id]);
  }
  const index: ContentIndex = {
    cards: new Map(data.cards.map((c) => [c.id, c])),
    items: new Map(data.items.map((i) => [i.id, i])),
    cropsBySeed: new Map(data.crops.map((c) => [c.seed, c])),
    recipes: new Map(data.recipes.map((r) => [r.id, r])),
    parcels: new Map(
      data.parcels.map((p) => [
        p.id,
        { plots: p.plots, fertility: p.fertility, perk: p.perk === null ? null : (perks.get(p.perk) ?? null) },
      ]),
    ),
    recipePerks,
  };
  indexes.set(content.data, index);
  return index;
}
