/**
 * Farming economy: gold and resources per hour of farming for each crop, on a starter plot and on the best land
 * for that crop, with and without watering. Computed by running the farming rules themselves over many growth
 * cycles (plant, water at the start of every stage when watering, harvest when ripe, replant at once), so the
 * numbers follow whatever the rules and data say.
 */

import { farmParcelsOf, type GameData } from '@harvest/shared/gamedata';
import {
  createFarmPlots,
  createFarmRules,
  createRngFromSeed,
  cropStatus,
  type FarmParcel,
  type FarmState,
  type Plot,
} from '@harvest/shared/rules';

/** One crop under one set of conditions. */
export interface EconomyScenario {
  readonly name: 'plot' | 'plot + water' | 'land' | 'land + water';
  /** The land parcel used (null: a starter plot). */
  readonly parcel: string | null;
  readonly cycleMinutes: number;
  /** Produce per hour per plot. */
  readonly itemsPerHour: number;
  /** (produce value - seed price) per hour per plot, in gold. */
  readonly goldPerHour: number;
}

/** Economy of one crop. */
export interface CropEconomy {
  readonly crop: string;
  readonly name: string;
  readonly produce: string;
  readonly seedPrice: number;
  readonly value: number;
  readonly scenarios: readonly EconomyScenario[];
}

/** The parcel that grows `crop` best: one with an extra-yield perk for it if any, then the lowest fertility. */
function bestParcelFor(data: GameData, crop: string): FarmParcel | null {
  const parcels = farmParcelsOf(data);
  const score = (p: FarmParcel) => (p.perk?.kind === 'extra_yield' && p.perk.crop === crop ? p.perk.amount * 100 : 0) - p.fertility;
  return parcels.slice().sort((a, b) => score(b) - score(a) || (a.id < b.id ? -1 : 1))[0] ?? null;
}

function runCycles(data: GameData, cropId: string, parcel: FarmParcel | null, water: boolean, cycles: number) {
  const crop = data.crops.find((c) => c.id === cropId);
  if (!crop) throw new Error(`no crop ${cropId}`);
  const rules = createFarmRules(data.crops);
  const rng = createRngFromSeed('ec'.repeat(16));
  const plots: Plot[] = createFarmPlots(1, parcel ? [parcel] : []);
  const plotId = (parcel ? plots[1] : plots[0])?.id as string;
  let state: FarmState = { plots, inventory: { [crop.seed]: cycles } };
  let now = 0;
  const must = (r: ReturnType<typeof rules.apply>) => {
    if (!r.ok) throw new Error(`economy simulation refused: ${r.violation.code}`);
    state = r.state;
  };
  for (let i = 0; i < cycles; i++) {
    must(rules.apply(state, { type: 'plant', plot: plotId, seed: crop.seed }, { rng, now }));
    const planted = () => state.plots.find((p) => p.id === plotId)?.crop;
    if (water) {
      // Water as each stage begins (the best a diligent player can do).
      for (let stage = 0; stage < 4; stage++) {
        must(rules.apply(state, { type: 'water', plot: plotId }, { rng, now }));
        const c = planted();
        if (!c) throw new Error('crop vanished');
        const st = cropStatus(c, now);
        if (st.phase !== 'growing') break;
        now = stage < 3 ? st.stageEndsAt : now;
      }
    }
    const c = planted();
    if (!c) throw new Error('crop vanished');
    now = cropStatus(c, now).ripeAt;
    must(rules.apply(state, { type: 'harvest', plot: plotId }, { rng, now }));
  }
  return { hours: now / 3_600_000, produce: state.inventory[crop.produce] ?? 0 };
}

/** Per-crop economy under the four scenarios. `cycles` growth cycles are simulated for each. */
export function farmEconomy(data: GameData, cycles = 400): CropEconomy[] {
  return data.crops.map((crop) => {
    const item = data.items.find((i) => i.id === crop.produce);
    const value = item?.value ?? 0;
    const land = bestParcelFor(data, crop.id);
    const scenarios: EconomyScenario[] = (
      [
        ['plot', null, false],
        ['plot + water', null, true],
        ['land', land, false],
        ['land + water', land, true],
      ] as const
    ).map(([name, parcel, water]) => {
      const r = runCycles(data, crop.id, parcel, water, cycles);
      return {
        name,
        parcel: parcel?.id ?? null,
        cycleMinutes: (r.hours * 60) / cycles,
        itemsPerHour: r.produce / r.hours,
        goldPerHour: (r.produce * value - cycles * crop.seedPrice) / r.hours,
      };
    });
    return { crop: crop.id, name: crop.name, produce: crop.produce, seedPrice: crop.seedPrice, value, scenarios };
  });
}
