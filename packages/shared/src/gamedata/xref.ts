/**
 * Cross-reference checks over merged game data: every id points at something of the right kind, the starter deck
 * is legal, every card and item can be obtained, and card costs sit near the curve.
 */

import type { CardDef } from '../rules/cards.ts';
import { tableCandidates } from '../rules/crafting/crafting.ts';
import { checkDeck } from '../rules/deck/deck.ts';
import type { GameData, ListSection, SingletonSection } from '../schemas/gamedata/file.ts';
import { estimateCard } from './balance.ts';
import type { Severity } from './diagnostics.ts';

/** Where a finding is: a list entry by id, or a singleton section, plus a path inside it. */
export type FindingPlace =
  | { readonly section: ListSection; readonly id: string; readonly sub?: readonly PropertyKey[] }
  | { readonly section: SingletonSection; readonly id?: undefined; readonly sub?: readonly PropertyKey[] };

/** A cross-reference finding before it is placed in a file. */
export interface Finding {
  readonly severity: Severity;
  readonly code: string;
  readonly at: FindingPlace;
  readonly message: string;
}

/** Runs every cross-reference check. */
export function crossCheck(data: GameData): Finding[] {
  const out: Finding[] = [];
  const error = (code: string, at: FindingPlace, message: string) => out.push({ severity: 'error', code, at, message });
  const warn = (code: string, at: FindingPlace, message: string) => out.push({ severity: 'warning', code, at, message });

  const cards = new Map(data.cards.map((c) => [c.id, c]));
  const items = new Map(data.items.map((i) => [i.id, i]));
  const crops = new Map(data.crops.map((c) => [c.id, c]));
  const recipes = new Map(data.recipes.map((r) => [r.id, r]));
  const perks = new Map(data.perks.map((p) => [p.id, p]));
  const biomes = new Map(data.biomes.map((b) => [b.id, b]));
  const avatars = new Map(data.avatars.map((a) => [a.id, a]));
  const collectible: CardDef[] = data.cards.filter((c) => !c.token);
  const catalog: Record<string, CardDef> = Object.fromEntries(data.cards.map((c) => [c.id, c]));

  const needToken = (id: string, at: FindingPlace, what: string) => {
    const t = cards.get(id);
    if (t === undefined) error('UNKNOWN_REF', at, `${what} "${id}" is not a card`);
    else if (t.kind !== 'unit' || !t.token) error('WRONG_KIND', at, `${what} "${id}" must be a unit with token: true`);
  };
  const needCollectible = (id: string, at: FindingPlace, what: string) => {
    const c = cards.get(id);
    if (c === undefined) error('UNKNOWN_REF', at, `${what} "${id}" is not a card`);
    else if (c.token) error('WRONG_KIND', at, `${what} "${id}" is a token and cannot be owned`);
  };
  const needItem = (id: string, at: FindingPlace, what: string) => {
    if (!items.has(id)) error('UNKNOWN_REF', at, `${what} "${id}" is not an item`);
  };

  // Cards and battle settings.
  needToken(data.battle.sproutToken, { section: 'battle', sub: ['sproutToken'] }, 'sprout token');
  for (const card of data.cards) {
    if (card.kind === 'spell' && card.effect.type === 'summon') {
      needToken(card.effect.token, { section: 'cards', id: card.id, sub: ['effect', 'token'] }, 'summoned token');
    }
    if (card.token) continue;
    const est = estimateCard(card, catalog);
    if (est.outlier) {
      const what = card.kind === 'unit' ? `${card.attack}/${card.health} with keywords` : `its ${card.effect.type} effect`;
      warn(
        card.kind === 'unit' ? 'STAT_OUTLIER' : 'COST_OUTLIER',
        { section: 'cards', id: card.id, sub: ['cost'] },
        `${card.id} (cost ${card.cost}, ${card.rarity}) is ${est.outlier} the curve: ${what} worth ${est.value.toFixed(1)}, cost buys ${est.expected.toFixed(1)}`,
      );
    }
  }

  // Items and crops.
  const seedOwner = new Map<string, string>();
  for (const crop of data.crops) {
    const seed = items.get(crop.seed);
    if (seed === undefined) error('UNKNOWN_REF', { section: 'crops', id: crop.id, sub: ['seed'] }, `seed "${crop.seed}" is not an item`);
    else if (seed.kind !== 'seed')
      error('WRONG_KIND', { section: 'crops', id: crop.id, sub: ['seed'] }, `"${crop.seed}" is a ${seed.kind}, not a seed`);
    const other = seedOwner.get(crop.seed);
    if (other) error('DUPLICATE_SEED', { section: 'crops', id: crop.id, sub: ['seed'] }, `seed "${crop.seed}" already grows ${other}`);
    seedOwner.set(crop.seed, crop.id);
    const produce = items.get(crop.produce);
    if (produce === undefined)
      error('UNKNOWN_REF', { section: 'crops', id: crop.id, sub: ['produce'] }, `produce "${crop.produce}" is not an item`);
    else if (produce.kind === 'seed')
      error('WRONG_KIND', { section: 'crops', id: crop.id, sub: ['produce'] }, `produce "${crop.produce}" is a seed`);
  }

  // Recipes.
  const reachableByRecipe = new Set<string>();
  for (const r of data.recipes) {
    r.inputs.items.forEach((x, i) => {
      needItem(x.item, { section: 'recipes', id: r.id, sub: ['inputs', 'items', i, 'item'] }, 'input item');
    });
    r.inputs.cards.forEach((c, i) => {
      if ('def' in c) needCollectible(c.def, { section: 'recipes', id: r.id, sub: ['inputs', 'cards', i, 'def'] }, 'input card');
    });
    if ('card' in r.output) {
      needCollectible(r.output.card, { section: 'recipes', id: r.id, sub: ['output', 'card'] }, 'output card');
      reachableByRecipe.add(r.output.card);
    } else {
      let live = 0;
      r.output.table.forEach((row, i) => {
        const pool = tableCandidates(collectible, row);
        if (pool.length === 0) {
          warn(
            'UNREACHABLE_OUTPUT',
            { section: 'recipes', id: r.id, sub: ['output', 'table', i] },
            `no collectible card matches this row; it never draws`,
          );
        } else live++;
        for (const c of pool) reachableByRecipe.add(c.id);
      });
      if (live === 0)
        error('NO_OUTPUT', { section: 'recipes', id: r.id, sub: ['output', 'table'] }, 'no row of this table can produce a card');
    }
    if (r.exclusive && !data.perks.some((p) => p.kind === 'exclusive_recipe' && p.recipe === r.id)) {
      warn('LOCKED_FOREVER', { section: 'recipes', id: r.id, sub: ['exclusive'] }, 'exclusive, but no land perk unlocks it');
    }
  }

  // Land.
  for (const p of data.perks) {
    if (p.kind === 'extra_yield' && !crops.has(p.crop))
      error('UNKNOWN_REF', { section: 'perks', id: p.id, sub: ['crop'] }, `crop "${p.crop}" does not exist`);
    if (p.kind === 'exclusive_recipe') {
      const r = recipes.get(p.recipe);
      if (r === undefined) error('UNKNOWN_REF', { section: 'perks', id: p.id, sub: ['recipe'] }, `recipe "${p.recipe}" does not exist`);
      else if (!r.exclusive)
        error('WRONG_KIND', { section: 'perks', id: p.id, sub: ['recipe'] }, `recipe "${p.recipe}" is not marked exclusive: true`);
    }
  }
  for (const b of data.biomes) {
    b.perks.forEach((id, i) => {
      if (!perks.has(id)) error('UNKNOWN_REF', { section: 'biomes', id: b.id, sub: ['perks', i] }, `perk "${id}" does not exist`);
    });
  }
  for (const parcel of data.parcels) {
    const at = (sub: PropertyKey[]): FindingPlace => ({ section: 'parcels', id: parcel.id, sub });
    const b = biomes.get(parcel.biome);
    if (b === undefined) {
      error('UNKNOWN_REF', at(['biome']), `biome "${parcel.biome}" is not defined in biomes`);
      continue;
    }
    if (parcel.plots < b.plots.min || parcel.plots > b.plots.max)
      error('OUT_OF_RANGE', at(['plots']), `${b.id} parcels have ${b.plots.min}-${b.plots.max} plots`);
    if (parcel.fertility < b.fertility.min || parcel.fertility > b.fertility.max) {
      error('OUT_OF_RANGE', at(['fertility']), `${b.id} fertility is ${b.fertility.min}-${b.fertility.max}`);
    }
    if (parcel.perk !== null) {
      if (!perks.has(parcel.perk)) error('UNKNOWN_REF', at(['perk']), `perk "${parcel.perk}" does not exist`);
      else if (!b.perks.includes(parcel.perk)) error('WRONG_KIND', at(['perk']), `perk "${parcel.perk}" is not available in ${b.id}`);
    }
  }

  // Rewards and avatars.
  const starter = data.rewards.starter;
  starter.deck.forEach((id, i) => {
    needCollectible(id, { section: 'rewards', sub: ['starter', 'deck', i] }, 'starter card');
  });
  if (starter.deck.every((id) => cards.has(id))) {
    const check = checkDeck(
      starter.deck.map((def, i) => ({ instanceId: `starter-${i}`, def, owner: 'starter', state: 'in_game' as const })),
      { playerId: 'starter', cards: catalog, rules: data.battle },
    );
    if (!check.ok)
      for (const v of check.violations) error('ILLEGAL_STARTER_DECK', { section: 'rewards', sub: ['starter', 'deck'] }, v.message);
  }
  starter.items.forEach((x, i) => {
    needItem(x.item, { section: 'rewards', sub: ['starter', 'items', i, 'item'] }, 'starter item');
  });
  starter.avatars.forEach((id, i) => {
    if (!avatars.has(id)) error('UNKNOWN_REF', { section: 'rewards', sub: ['starter', 'avatars', i] }, `avatar "${id}" does not exist`);
  });
  if (starter.avatars.length === 0) warn('NO_STARTER_AVATAR', { section: 'rewards', sub: ['starter'] }, 'new players get no avatar');
  for (const key of ['winner', 'loser', 'draw', 'firstWinOfDay'] as const) {
    data.rewards.match[key].items.forEach((x, i) => {
      needItem(x.item, { section: 'rewards', sub: ['match', key, 'items', i, 'item'] }, 'reward item');
    });
  }

  // Obtainability: a card no recipe or reward produces, an item nothing yields, grants or sells.
  const obtainableCards = new Set([...starter.deck, ...reachableByRecipe]);
  for (const c of collectible) {
    if (!obtainableCards.has(c.id)) warn('UNOBTAINABLE_CARD', { section: 'cards', id: c.id }, `no recipe or reward can produce ${c.id}`);
  }
  const obtainableItems = new Set<string>();
  for (const crop of data.crops) obtainableItems.add(crop.seed).add(crop.produce);
  for (const x of starter.items) obtainableItems.add(x.item);
  for (const key of ['winner', 'loser', 'draw', 'firstWinOfDay'] as const)
    for (const x of data.rewards.match[key].items) obtainableItems.add(x.item);
  for (const item of data.items) {
    if (!obtainableItems.has(item.id))
      warn('UNOBTAINABLE_ITEM', { section: 'items', id: item.id }, `no crop, reward or shop seed provides ${item.id}`);
  }
  return out;
}
