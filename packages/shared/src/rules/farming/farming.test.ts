import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRngFromSeed } from '../core/rng.ts';
import { type CropSpec, createFarmPlots, createFarmRules, cropStatus, type FarmAction, type FarmState, type LandPerk } from './farming.ts';

const WHEAT: CropSpec = {
  id: 'wheat',
  seed: 'wheat-seed',
  produce: 'wheat',
  growSeconds: 400,
  waterBonus: 50,
  witherSeconds: 1000,
  yield: { min: 2, max: 4 },
};
const PUMPKIN: CropSpec = {
  id: 'pumpkin',
  seed: 'pumpkin-seed',
  produce: 'pumpkin',
  growSeconds: 3600,
  waterBonus: 25,
  witherSeconds: 7200,
  yield: { min: 1, max: 1 },
};
const rules = createFarmRules([WHEAT, PUMPKIN]);
const PERK: LandPerk = { id: 'golden-wheat', kind: 'extra_yield', crop: 'wheat', amount: 2 };
const S = 1000; // ms per second

function farm(inventory: Record<string, number> = { 'wheat-seed': 5, 'pumpkin-seed': 5 }): FarmState {
  return { plots: createFarmPlots(6, [{ id: 'meadow-7', plots: 2, fertility: 0.8, perk: PERK }]), inventory };
}
const ctx = (now: number, seed = 'aa'.repeat(16)) => ({ rng: createRngFromSeed(seed), now });
function must(state: FarmState, action: FarmAction, now: number, seed?: string) {
  const r = rules.apply(state, action, ctx(now, seed));
  if (!r.ok) throw new Error(`${r.violation.code}: ${r.violation.message}`);
  return r;
}
const code = (r: ReturnType<typeof rules.apply>) => (r.ok ? 'ok' : r.violation.code);

describe('plots', () => {
  it('are 6 starter plots plus each parcel plot with its fertility and perk', () => {
    const plots = farm().plots;
    expect(plots.map((p) => p.id)).toEqual([
      'starter-1',
      'starter-2',
      'starter-3',
      'starter-4',
      'starter-5',
      'starter-6',
      'meadow-7-1',
      'meadow-7-2',
    ]);
    expect(plots[7]).toMatchObject({ land: 'meadow-7', fertility: 0.8, perk: PERK, crop: null });
  });
});

describe('plant', () => {
  it('uses one seed and records the crop', () => {
    const r = must(farm(), { type: 'plant', plot: 'starter-1', seed: 'wheat-seed' }, 0);
    expect(r.state.inventory['wheat-seed']).toBe(4);
    expect(r.state.plots[0]?.crop).toMatchObject({ crop: 'wheat', plantedAt: 0, growMs: 400_000, bonus: 0 });
    expect(r.events).toContainEqual({ type: 'inventory_changed', item: 'wheat-seed', delta: -1, reason: 'plant' });
  });
  it('refuses an occupied plot, unknown seeds, missing seeds and missing plots', () => {
    const planted = must(farm(), { type: 'plant', plot: 'starter-1', seed: 'wheat-seed' }, 0).state;
    expect(code(rules.apply(planted, { type: 'plant', plot: 'starter-1', seed: 'wheat-seed' }, ctx(1)))).toBe('PLOT_OCCUPIED');
    expect(code(rules.apply(planted, { type: 'plant', plot: 'starter-2', seed: 'wheat' }, ctx(1)))).toBe('UNKNOWN_SEED');
    expect(code(rules.apply(farm({}), { type: 'plant', plot: 'starter-2', seed: 'wheat-seed' }, ctx(1)))).toBe('INSUFFICIENT_ITEMS');
    expect(code(rules.apply(planted, { type: 'plant', plot: 'starter-99', seed: 'wheat-seed' }, ctx(1)))).toBe('PLOT_NOT_FOUND');
  });
});

describe('growth', () => {
  const planted = must(farm(), { type: 'plant', plot: 'starter-1', seed: 'wheat-seed' }, 0).state;
  const crop = planted.plots[0]?.crop;
  if (!crop) throw new Error('not planted');

  it('moves through 4 equal stages to ripe, then withers', () => {
    expect(cropStatus(crop, 0)).toMatchObject({ phase: 'growing', stage: 0, progress: 0 });
    expect(cropStatus(crop, 99_999)).toMatchObject({ phase: 'growing', stage: 0 });
    expect(cropStatus(crop, 100_000)).toMatchObject({ phase: 'growing', stage: 1, progress: 0.25 });
    expect(cropStatus(crop, 350_000)).toMatchObject({ phase: 'growing', stage: 3 });
    expect(cropStatus(crop, 400_000)).toMatchObject({ phase: 'ripe', ripeAt: 400_000, witherAt: 1_400_000 });
    expect(cropStatus(crop, 1_400_000).phase).toBe('withered');
  });
  it('is faster on fertile land (grow time × fertility)', () => {
    const onLand = must(farm(), { type: 'plant', plot: 'meadow-7-1', seed: 'wheat-seed' }, 0).state.plots[6]?.crop;
    expect(onLand && cropStatus(onLand, 0).ripeAt).toBe(320_000);
  });
  it('watering cuts the current stage remaining time by the bonus, once per stage', () => {
    const w = must(planted, { type: 'water', plot: 'starter-1' }, 20 * S);
    const c = w.state.plots[0]?.crop;
    if (!c) throw new Error('crop vanished');
    expect(cropStatus(c, 59_999).stage).toBe(0);
    expect(cropStatus(c, 60_000).stage).toBe(1); // 20 s + 80 s × 50 %
    expect(cropStatus(c, 0).ripeAt).toBe(360_000);
    expect(code(rules.apply(w.state, { type: 'water', plot: 'starter-1' }, ctx(30 * S)))).toBe('ALREADY_WATERED');
    const again = must(w.state, { type: 'water', plot: 'starter-1' }, 60 * S);
    expect(again.events).toEqual([{ type: 'watered', plot: 'starter-1', stage: 1, at: 60_000 }]);
    const c2 = again.state.plots[0]?.crop;
    expect(c2 && cropStatus(c2, 0).ripeAt).toBe(310_000);
  });
  it('refuses watering an empty or ripe plot', () => {
    expect(code(rules.apply(planted, { type: 'water', plot: 'starter-2' }, ctx(1)))).toBe('PLOT_EMPTY');
    expect(code(rules.apply(planted, { type: 'water', plot: 'starter-1' }, ctx(400_000)))).toBe('NOT_GROWING');
    expect(code(rules.apply(planted, { type: 'water', plot: 'starter-1' }, ctx(-5)))).toBe('CLOCK_BEFORE_PLANTING');
  });
});

describe('harvest and clear', () => {
  const planted = must(farm(), { type: 'plant', plot: 'starter-1', seed: 'wheat-seed' }, 0).state;
  it('needs a ripe crop and yields within the range', () => {
    expect(code(rules.apply(planted, { type: 'harvest', plot: 'starter-1' }, ctx(399_999)))).toBe('NOT_RIPE');
    const seen = new Set<number>();
    for (let i = 0; i < 60; i++) {
      const r = must(planted, { type: 'harvest', plot: 'starter-1' }, 400_000, i.toString(16).padStart(32, '0'));
      const q = r.state.inventory.wheat ?? 0;
      seen.add(q);
      expect(r.state.plots[0]?.crop).toBeNull();
      expect(r.events).toContainEqual({ type: 'inventory_changed', item: 'wheat', delta: q, reason: 'harvest' });
    }
    expect([...seen].sort()).toEqual([2, 3, 4]);
  });
  it('adds the land perk for its crop only', () => {
    const onLand = must(farm(), { type: 'plant', plot: 'meadow-7-1', seed: 'wheat-seed' }, 0).state;
    const q = must(onLand, { type: 'harvest', plot: 'meadow-7-1' }, 320_000).state.inventory.wheat ?? 0;
    expect(q).toBeGreaterThanOrEqual(4);
    expect(q).toBeLessThanOrEqual(6);
    const pumpkin = must(farm(), { type: 'plant', plot: 'meadow-7-1', seed: 'pumpkin-seed' }, 0).state;
    expect(must(pumpkin, { type: 'harvest', plot: 'meadow-7-1' }, 2_880_000).state.inventory.pumpkin).toBe(1);
  });
  it('halves a withered crop (rounded down)', () => {
    for (let i = 0; i < 30; i++) {
      const seed = i.toString(16).padStart(32, '0');
      const fresh = must(planted, { type: 'harvest', plot: 'starter-1' }, 400_000, seed).state.inventory.wheat ?? 0;
      const old = must(planted, { type: 'harvest', plot: 'starter-1' }, 1_400_000, seed);
      expect(old.state.inventory.wheat ?? 0).toBe(Math.floor(fresh / 2));
      expect(old.events[0]).toMatchObject({ type: 'harvested', withered: true });
    }
  });
  it('clear removes any crop without yield', () => {
    const r = must(planted, { type: 'clear', plot: 'starter-1' }, 5);
    expect(r.state.plots[0]?.crop).toBeNull();
    expect(r.state.inventory).toEqual(planted.inventory);
    expect(code(rules.apply(r.state, { type: 'clear', plot: 'starter-1' }, ctx(6)))).toBe('PLOT_EMPTY');
  });
});

describe('time sampling', () => {
  // A schedule of farm actions at given times; a "visit" round-trips the stored state through JSON and reads every
  // plot's status, as a farm room or a page load would. Outcomes must not depend on visits.
  const actionArb = fc.record({
    kind: fc.constantFrom('plant', 'water', 'harvest', 'clear'),
    plot: fc.constantFrom('starter-1', 'starter-2', 'meadow-7-1'),
    seed: fc.constantFrom('wheat-seed', 'pumpkin-seed'),
    dt: fc.integer({ min: 0, max: 2_000_000 }),
  });
  const toAction = (a: { kind: string; plot: string; seed: string }): FarmAction =>
    a.kind === 'plant' ? { type: 'plant', plot: a.plot, seed: a.seed } : ({ type: a.kind, plot: a.plot } as FarmAction);

  it('gives the same outcome however often the farm is looked at', () => {
    fc.assert(
      fc.property(
        fc.array(actionArb, { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 40_000_000 }), { maxLength: 60 }),
        (plan, visits) => {
          const run = (visitTimes: number[]) => {
            let state = farm({ 'wheat-seed': 20, 'pumpkin-seed': 20 });
            const rng = createRngFromSeed('5e'.repeat(16));
            const events: unknown[] = [];
            const pending = visitTimes.slice().sort((a, b) => a - b);
            let now = 0;
            const lastStage = new Map<string, number>();
            for (const step of plan) {
              now += step.dt;
              while (pending.length > 0 && (pending[0] as number) <= now) {
                const t = pending.shift() as number;
                state = JSON.parse(JSON.stringify(state)) as FarmState;
                for (const p of state.plots) {
                  if (!p.crop) continue;
                  const st = cropStatus(p.crop, t);
                  const key = `${p.id}@${p.crop.plantedAt}`;
                  expect(st.stage).toBeGreaterThanOrEqual(lastStage.get(key) ?? 0); // stages never go back
                  lastStage.set(key, st.stage);
                }
              }
              const r = rules.apply(state, toAction(step), { rng, now });
              events.push(r.ok ? r.events : r.violation.code);
              if (r.ok) state = r.state;
            }
            return { state, events };
          };
          expect(run(visits)).toEqual(run([]));
        },
      ),
      { numRuns: 200 },
    );
  });
});
