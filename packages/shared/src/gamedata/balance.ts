/**
 * A rough stat-budget model for spotting outlier cards before any simulation: Hearthstone's vanilla curve
 * (cost c buys about 2c + 1 points of attack + health), keyword prices, and a little extra allowance for rarity.
 * It only raises warnings; the simulator is the real balance check.
 */

import type { CardDef, Rarity } from '../rules/cards.ts';

/** Stat points a keyword is worth (numbered keywords: per point). */
export const KEYWORD_VALUE = {
  guard: 1,
  swift: 1,
  bloom: 2,
  drain: 1.5,
  sprout: 1,
  shield: 1.5,
  rally: 1.5,
  thorns: 1,
  volley: 1,
} as const;

/** Extra stat points a rarity may carry above the curve. */
export const RARITY_ALLOWANCE: Readonly<Record<Rarity, number>> = { common: 0, uncommon: 0.5, rare: 1, epic: 1.5, legendary: 2 };

/** How far a card sits from the curve. */
export interface CurveEstimate {
  /** What the card gives, in stat points (units) or the energy its effect is worth (spells). */
  readonly value: number;
  /** What its cost and rarity buy. */
  readonly expected: number;
  /** `value - expected` in stat points (units) or energy (spells): positive is stronger than the curve. */
  readonly delta: number;
  /** Outside the tolerance: `above` (too strong) or `below` (too weak), null if inside. */
  readonly outlier: 'above' | 'below' | null;
}

/** Tolerances before a card is flagged. */
export const CURVE_TOLERANCE = { unit: { above: 3, below: 3.5 }, spell: { above: 1.5, below: 2 } } as const;

/**
 * Estimates a card against the curve. Spells are priced in energy: damage 0.6 per point, heal a third per point,
 * draw 1.3 per card, buffs half a point per stat, summons half the token's stats per token.
 * @param tokens - definitions that summon effects may name (for their stats).
 */
export function estimateCard(def: CardDef, tokens: Readonly<Record<string, CardDef>>): CurveEstimate {
  const allowance = RARITY_ALLOWANCE[def.rarity];
  if (def.kind === 'unit') {
    let kw = 0;
    for (const [k, v] of Object.entries(def.keywords)) {
      const price = KEYWORD_VALUE[k as keyof typeof KEYWORD_VALUE] ?? 0;
      kw += typeof v === 'number' ? price * v : price;
    }
    const value = def.attack + def.health + kw;
    const expected = 2 * def.cost + 1 + allowance;
    const delta = value - expected;
    const tol = CURVE_TOLERANCE.unit;
    return { value, expected, delta, outlier: delta > tol.above ? 'above' : delta < -tol.below ? 'below' : null };
  }
  const e = def.effect;
  let worth: number;
  switch (e.type) {
    case 'damage':
      worth = 0.6 * e.amount;
      break;
    case 'heal':
      worth = e.amount / 3;
      break;
    case 'draw':
      worth = 1.3 * e.count;
      break;
    case 'buff':
      worth = (e.attack + e.health) / 2;
      break;
    case 'summon': {
      const t = tokens[e.token];
      worth = t && t.kind === 'unit' ? (e.count * (t.attack + t.health)) / 2 : 0;
      break;
    }
  }
  const value = worth + allowance / 2;
  const delta = value - def.cost;
  const tol = CURVE_TOLERANCE.spell;
  return { value, expected: def.cost, delta, outlier: delta > tol.above ? 'above' : delta < -tol.below ? 'below' : null };
}
