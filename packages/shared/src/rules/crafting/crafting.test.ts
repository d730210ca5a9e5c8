import { describe, expect, it } from 'vitest';
import type { CardDef } from '../cards.ts';
import { createRngFromSeed } from '../core/rng.ts';
import { type CraftingState, createCraftingRules, type RecipeSpec } from './crafting.ts';

const card = (id: string, rarity: CardDef['rarity'], element: CardDef['element'], token = false): CardDef => ({
  id,
  kind: 'unit',
  rarity,
  element,
  cost: 1,
  attack: 1,
  health: 1,
  keywords: {},
  token,
});
const CARDS = [
  card('ember', 'common', 'sun'),
  card('drizzle', 'common', 'rain'),
  card('flare', 'rare', 'sun'),
  card('geyser', 'rare', 'rain'),
  card('phoenix', 'legendary', 'sun'),
  card('seedling', 'common', 'soil', true),
];
const RECIPES: RecipeSpec[] = [
  {
    id: 'forge-flare',
    inputs: {
      gold: 50,
      items: [{ item: 'wheat', quantity: 3 }],
      cards: [
        { def: 'ember', count: 1 },
        { rarity: 'rare', count: 1 },
      ],
    },
    output: { card: 'flare' },
    exclusive: false,
  },
  {
    id: 'sun-pack',
    inputs: { gold: 10, items: [], cards: [] },
    output: {
      table: [
        { rarity: 'common', weight: 3 },
        { element: 'sun', rarity: 'legendary', weight: 1 },
        { element: 'frost', weight: 5 },
      ],
    },
    exclusive: false,
  },
  { id: 'orchard-secret', inputs: { gold: 0, items: [], cards: [] }, output: { card: 'phoenix' }, exclusive: true },
];
const rules = createCraftingRules(RECIPES, CARDS);
const base: CraftingState = {
  gold: 100,
  inventory: { wheat: 5 },
  cards: [
    { id: 'c1', def: 'ember', state: 'in_game' },
    { id: 'c2', def: 'geyser', state: 'in_game' },
    { id: 'c3', def: 'flare', state: 'in_game' },
    { id: 'c4', def: 'ember', state: 'in_match' },
  ],
  unlockedRecipes: [],
};
const ctx = (seed = '12'.repeat(16)) => ({ rng: createRngFromSeed(seed), now: 1234 });
const code = (r: ReturnType<typeof rules.apply>) => (r.ok ? 'ok' : r.violation.code);

describe('craft', () => {
  it('consumes gold, items and the offered cards and names the output', () => {
    const r = rules.apply(base, { type: 'craft', recipe: 'forge-flare', cards: ['c2', 'c1'] }, ctx());
    if (!r.ok) throw new Error(r.violation.message);
    expect(r.state.gold).toBe(50);
    expect(r.state.inventory.wheat).toBe(2);
    expect(
      r.state.cards
        .filter((c) => c.state === 'consumed')
        .map((c) => c.id)
        .sort(),
    ).toEqual(['c1', 'c2']);
    expect(r.events).toEqual([
      {
        type: 'crafted',
        recipe: 'forge-flare',
        def: 'flare',
        at: 1234,
        consumed: { gold: 50, items: [{ item: 'wheat', quantity: 3 }], cards: ['c2', 'c1'] },
      },
    ]);
  });
  it('checks each input', () => {
    expect(code(rules.apply({ ...base, gold: 49 }, { type: 'craft', recipe: 'forge-flare', cards: ['c1', 'c2'] }, ctx()))).toBe(
      'INSUFFICIENT_GOLD',
    );
    expect(
      code(rules.apply({ ...base, inventory: { wheat: 2 } }, { type: 'craft', recipe: 'forge-flare', cards: ['c1', 'c2'] }, ctx())),
    ).toBe('INSUFFICIENT_ITEMS');
    expect(code(rules.apply(base, { type: 'craft', recipe: 'forge-flare', cards: ['c1', 'zz'] }, ctx()))).toBe('CARD_NOT_OWNED');
    expect(code(rules.apply(base, { type: 'craft', recipe: 'forge-flare', cards: ['c4', 'c2'] }, ctx()))).toBe('CARD_UNAVAILABLE');
    expect(code(rules.apply(base, { type: 'craft', recipe: 'forge-flare', cards: ['c1', 'c1'] }, ctx()))).toBe('DUPLICATE_CARD');
    expect(code(rules.apply(base, { type: 'craft', recipe: 'forge-flare', cards: ['c1'] }, ctx()))).toBe('CARD_INPUT_MISMATCH');
    expect(code(rules.apply(base, { type: 'craft', recipe: 'forge-flare', cards: ['c2', 'c3'] }, ctx()))).toBe('CARD_INPUT_MISMATCH');
    expect(code(rules.apply(base, { type: 'craft', recipe: 'forge-flare', cards: ['c1', 'c2', 'c3'] }, ctx()))).toBe('CARD_INPUT_MISMATCH');
    expect(code(rules.apply(base, { type: 'craft', recipe: 'nope', cards: [] }, ctx()))).toBe('UNKNOWN_RECIPE');
  });
  it('matches a rarity input with a card of another input definition only when that input is covered', () => {
    const twoRares: CraftingState = {
      ...base,
      cards: [
        { id: 'r1', def: 'flare', state: 'in_game' },
        { id: 'r2', def: 'flare', state: 'in_game' },
      ],
    };
    const needsFlareAndRare: RecipeSpec = {
      ...(RECIPES[0] as RecipeSpec),
      id: 'x',
      inputs: {
        gold: 0,
        items: [],
        cards: [
          { rarity: 'rare', count: 1 },
          { def: 'flare', count: 1 },
        ],
      },
    };
    const r = createCraftingRules([needsFlareAndRare], CARDS).apply(twoRares, { type: 'craft', recipe: 'x', cards: ['r1', 'r2'] }, ctx());
    expect(r.ok).toBe(true);
  });
  it('keeps exclusive recipes for land owners with the perk', () => {
    expect(code(rules.apply(base, { type: 'craft', recipe: 'orchard-secret', cards: [] }, ctx()))).toBe('RECIPE_LOCKED');
    expect(
      code(rules.apply({ ...base, unlockedRecipes: ['orchard-secret'] }, { type: 'craft', recipe: 'orchard-secret', cards: [] }, ctx())),
    ).toBe('ok');
  });
});

describe('weighted outputs', () => {
  it('skip entries with no candidates and never yield tokens', () => {
    // frost has no cards: its weight drops out; commons (3) vs the sun legendary (1).
    expect(rules.outcomes('sun-pack').sort((a, b) => a.def.localeCompare(b.def))).toEqual([
      { def: 'drizzle', probability: 0.375 },
      { def: 'ember', probability: 0.375 },
      { def: 'phoenix', probability: 0.25 },
    ]);
  });
  it('draw with the seeded RNG in those proportions, the same for the same seed', () => {
    const counts = new Map<string, number>();
    const rng = createRngFromSeed('77'.repeat(16));
    for (let i = 0; i < 8000; i++) {
      const r = rules.apply(base, { type: 'craft', recipe: 'sun-pack', cards: [] }, { rng, now: 0 });
      if (!r.ok) throw new Error(r.violation.message);
      const def = r.events[0]?.def as string;
      counts.set(def, (counts.get(def) ?? 0) + 1);
    }
    expect(Math.abs((counts.get('phoenix') ?? 0) / 8000 - 0.25)).toBeLessThan(0.02);
    expect(counts.has('seedling')).toBe(false);
    const a = rules.apply(base, { type: 'craft', recipe: 'sun-pack', cards: [] }, ctx('01'.repeat(16)));
    const b = rules.apply(base, { type: 'craft', recipe: 'sun-pack', cards: [] }, ctx('01'.repeat(16)));
    expect(a).toEqual(b);
  });
});
