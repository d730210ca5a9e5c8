import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBattle } from '../rules/battle/engine.ts';
import { createRngFromSeed } from '../rules/core/rng.ts';
import { createFarmPlots } from '../rules/farming/farming.ts';
import { battleActionSchema, craftActionSchema, farmActionSchema, playerBattleActionSchema } from '../schemas/actions.ts';
import { createGameRules, farmParcelsOf } from './catalog.ts';
import { loadGameData } from './load.ts';

const GAMEDATA = join(import.meta.dirname, '..', '..', '..', '..', 'gamedata');
const data = loadGameData(
  readdirSync(GAMEDATA, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.yaml'))
    .map((e) => join(e.parentPath, e.name))
    .map((p) => ({ path: relative(GAMEDATA, p), text: readFileSync(p, 'utf8') })),
).data;
if (data === null) throw new Error('game data does not load');
const rules = createGameRules(data);
const ctx = () => ({ rng: createRngFromSeed('42'.repeat(16)), now: 1_000 });

describe('game data bound to the rules', () => {
  it('starts a battle between two starter decks', () => {
    const deck = (p: string) => data.rewards.starter.deck.map((def, i) => ({ uid: `${p}-${i}`, def }));
    const r = createBattle(
      {
        config: rules.battle,
        cards: rules.cards,
        players: [
          { playerId: 'a', deck: deck('a') },
          { playerId: 'b', deck: deck('b') },
        ],
      },
      ctx(),
    );
    expect(r.ok && r.state.seats.map((s) => s.health)).toEqual([25, 25]);
  });
  it('farms on a genesis parcel with its perk', () => {
    const parcels = farmParcelsOf(data, ['meadow-2']);
    expect(parcels).toEqual([
      { id: 'meadow-2', plots: 6, fertility: 0.97, perk: expect.objectContaining({ kind: 'extra_yield', crop: 'wheat', amount: 2 }) },
    ]);
    const state = { plots: createFarmPlots(data.farm.starterPlots, parcels), inventory: { 'wheat-seed': 1 } };
    const planted = rules.farming.apply(state, { type: 'plant', plot: 'meadow-2-1', seed: 'wheat-seed' }, ctx());
    expect(planted.ok && planted.state.plots[6]?.crop?.bonus).toBe(2);
  });
  it('gives every table recipe outcomes that sum to 1', () => {
    for (const r of data.recipes) {
      const total = rules.crafting.outcomes(r.id).reduce((s, o) => s + o.probability, 0);
      expect(total).toBeCloseTo(1, 9);
    }
  });
});

describe('action schemas', () => {
  it('let players send play, attack, end_turn and concede, never timeout or forfeit', () => {
    expect(playerBattleActionSchema.safeParse({ type: 'play', seat: 0, uid: 'c1', target: { kind: 'hero', seat: 1 } }).success).toBe(true);
    expect(playerBattleActionSchema.safeParse({ type: 'timeout', seat: 0 }).success).toBe(false);
    expect(playerBattleActionSchema.safeParse({ type: 'forfeit', seat: 0, reason: 'disconnect' }).success).toBe(false);
    expect(playerBattleActionSchema.safeParse({ type: 'attack', seat: 0, attacker: 'u', target: { kind: 'unit' } }).success).toBe(false);
    expect(battleActionSchema.safeParse({ type: 'forfeit', seat: 1, reason: 'disconnect' }).success).toBe(true);
  });
  it('validate farm and craft requests', () => {
    expect(farmActionSchema.safeParse({ type: 'water', plot: 'starter-1' }).success).toBe(true);
    expect(farmActionSchema.safeParse({ type: 'water', plot: 'starter-1', extra: 1 }).success).toBe(false);
    expect(craftActionSchema.parse({ type: 'craft', recipe: 'sun-seed-bundle' })).toEqual({
      type: 'craft',
      recipe: 'sun-seed-bundle',
      cards: [],
    });
  });
});
