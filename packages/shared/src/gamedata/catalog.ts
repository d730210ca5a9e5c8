/** Binds validated game data to the rules: the objects servers and tools construct once per content version. */

import type { BattleConfig } from '../rules/battle/types.ts';
import type { CardDef } from '../rules/cards.ts';
import { type CraftingRules, createCraftingRules } from '../rules/crafting/crafting.ts';
import type { DeckRules } from '../rules/deck/deck.ts';
import { createFarmRules, type FarmParcel, type FarmRules, type LandPerk } from '../rules/farming/farming.ts';
import type { GameData } from '../schemas/gamedata/file.ts';

/** Card definitions by id (including tokens). */
export function cardCatalog(data: GameData): Record<string, CardDef> {
  const out: Record<string, CardDef> = {};
  for (const c of data.cards) out[c.id] = c;
  return out;
}

/** The battle tunables in the shape the engine takes. */
export function battleConfigOf(data: GameData): BattleConfig {
  const b = data.battle;
  return {
    heroHealth: b.heroHealth,
    handLimit: b.handLimit,
    boardLimit: b.boardLimit,
    maxEnergy: b.maxEnergy,
    turnLimit: b.turnLimit,
    turnSeconds: b.turnSeconds,
    timeoutsToForfeit: b.timeoutsToForfeit,
    openingHand: [b.openingHand[0], b.openingHand[1]],
    sproutToken: b.sproutToken,
  };
}

/** The deck-building limits. */
export function deckRulesOf(data: GameData): DeckRules {
  return { deckSize: data.battle.deckSize, maxCopies: data.battle.maxCopies, maxLegendaryCopies: data.battle.maxLegendaryCopies };
}

/** Parcels as farming sees them, perks resolved; all parcels when `ids` is omitted. Unknown ids are skipped. */
export function farmParcelsOf(data: GameData, ids?: readonly string[]): FarmParcel[] {
  const perks = new Map<string, LandPerk>(data.perks.map((p) => [p.id, p]));
  const wanted = ids ? new Set(ids) : null;
  return data.parcels
    .filter((p) => wanted === null || wanted.has(p.id))
    .map((p) => ({ id: p.id, plots: p.plots, fertility: p.fertility, perk: p.perk === null ? null : (perks.get(p.perk) ?? null) }));
}

/** Every rule set bound to one content version. */
export interface GameRules {
  readonly cards: Readonly<Record<string, CardDef>>;
  readonly battle: BattleConfig;
  readonly deck: DeckRules;
  readonly farming: FarmRules;
  readonly crafting: CraftingRules;
}

/** Builds the rule sets for a content version. */
export function createGameRules(data: GameData): GameRules {
  return {
    cards: cardCatalog(data),
    battle: battleConfigOf(data),
    deck: deckRulesOf(data),
    farming: createFarmRules(data.crops),
    crafting: createCraftingRules(data.recipes, data.cards),
  };
}
