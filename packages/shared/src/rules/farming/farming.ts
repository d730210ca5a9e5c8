/**
 * Farming rules: plant, water, harvest and clear, with growth derived purely from timestamps.
 *
 * A planted crop stores only when it was planted, when each stage was watered, and a snapshot of the crop and land
 * numbers at planting time. Its stage at any moment is computed by {@link cropStatus}, so an unvisited farm needs
 * no ticks, and looking at a farm more or less often never changes what it yields. Snapshotting at planting means
 * a game-data publish does not change crops already in the ground, and a land parcel changing hands keeps the
 * fertility and perk the crop was planted under (Stardew-like: what you planted is what you get).
 *
 * Growth: the grow time is `growSeconds * fertility` (fertility 0.8-1.0: lower is faster), split into 4 equal
 * stages. Watering a stage once (at most once per stage) cuts that stage's remaining time by `waterBonus` percent.
 * After the 4th stage the crop is ripe; `witherSeconds` later it withers and yields half (rounded down).
 * Yield: uniform in `yield.min..yield.max` drawn with the server RNG at harvest, plus the land's extra-yield perk
 * for that crop; the withering halving applies to the total.
 */

import { type RuleContext, type RuleResult, violation } from '../core/result.ts';

/** Crop numbers the rules need (validated from `gamedata/crops.yaml`). */
export interface CropSpec {
  readonly id: string;
  /** Seed item planted to grow this crop. */
  readonly seed: string;
  /** Item harvested. */
  readonly produce: string;
  readonly growSeconds: number;
  /** Percent (0-90) cut from a stage's remaining time when watered during it. */
  readonly waterBonus: number;
  /** Seconds a ripe crop waits before withering. */
  readonly witherSeconds: number;
  readonly yield: { readonly min: number; readonly max: number };
}

/** A land perk. `exclusive_recipe` perks matter to crafting, `extra_yield` to farming. */
export type LandPerk =
  | { readonly id: string; readonly kind: 'extra_yield'; readonly crop: string; readonly amount: number }
  | { readonly id: string; readonly kind: 'exclusive_recipe'; readonly recipe: string };

/** Number of growth stages. */
export const GROWTH_STAGES = 4;

/** A crop in the ground, with everything needed to compute its growth without game data. */
export interface PlantedCrop {
  readonly crop: string;
  readonly produce: string;
  readonly plantedAt: number;
  /** Total grow time in ms after fertility, before watering. */
  readonly growMs: number;
  readonly waterBonus: number;
  readonly witherMs: number;
  readonly yieldMin: number;
  readonly yieldMax: number;
  /** Extra units from the plot's land perk. */
  readonly bonus: number;
  /** Watering time (ms) per stage, null if that stage was not watered. Length {@link GROWTH_STAGES}. */
  readonly watered: readonly (number | null)[];
}

/** A plot: a starter plot (`land` null) or one of a land parcel's plots. */
export interface Plot {
  readonly id: string;
  readonly land: string | null;
  readonly fertility: number;
  readonly perk: LandPerk | null;
  readonly crop: PlantedCrop | null;
}

/** A player's farm: plots and the item balances farming touches (seeds in, produce out). */
export interface FarmState {
  readonly plots: readonly Plot[];
  /** Item quantities; missing means 0. The service loads these from the inventory and writes the deltas back. */
  readonly inventory: Readonly<Record<string, number>>;
}

/** Farming actions. */
export type FarmAction =
  | { readonly type: 'plant'; readonly plot: string; readonly seed: string }
  | { readonly type: 'water'; readonly plot: string }
  | { readonly type: 'harvest'; readonly plot: string }
  | { readonly type: 'clear'; readonly plot: string };

/** Farming events. `inventory_changed` rows are what the service writes to the ledger. */
export type FarmEvent =
  | { readonly type: 'planted'; readonly plot: string; readonly crop: string; readonly at: number }
  | { readonly type: 'watered'; readonly plot: string; readonly stage: number; readonly at: number }
  | {
      readonly type: 'harvested';
      readonly plot: string;
      readonly crop: string;
      readonly item: string;
      readonly quantity: number;
      readonly withered: boolean;
    }
  | { readonly type: 'cleared'; readonly plot: string; readonly crop: string }
  | { readonly type: 'inventory_changed'; readonly item: string; readonly delta: number; readonly reason: 'plant' | 'harvest' };

/** Farming violation codes. */
export const FARM_VIOLATIONS = [
  'PLOT_NOT_FOUND',
  'PLOT_OCCUPIED',
  'PLOT_EMPTY',
  'UNKNOWN_SEED',
  'INSUFFICIENT_ITEMS',
  'NOT_GROWING',
  'ALREADY_WATERED',
  'NOT_RIPE',
  'CLOCK_BEFORE_PLANTING',
  'UNKNOWN_ACTION',
] as const;
/** A farming violation code. */
export type FarmViolationCode = (typeof FARM_VIOLATIONS)[number];

/** Result of a farming action. */
export type FarmResult = RuleResult<FarmState, FarmEvent, FarmViolationCode>;

/** Where a crop is in its life at a moment. */
export interface CropStatus {
  readonly phase: 'growing' | 'ripe' | 'withered';
  /** Current growth stage 0..3 while growing, 4 once ripe or withered. */
  readonly stage: number;
  /** End of the current stage (ms) while growing; the ripe time afterwards. */
  readonly stageEndsAt: number;
  /** When it is (or was) ripe, given the waterings so far. */
  readonly ripeAt: number;
  /** When it withers (or withered). */
  readonly witherAt: number;
  /** Overall growth 0..1 (1 once ripe), for progress bars. */
  readonly progress: number;
}

/** Ends (ms) of the four stages given the waterings recorded so far. */
export function stageEnds(crop: PlantedCrop): number[] {
  const ends: number[] = [];
  let start = crop.plantedAt;
  for (let k = 0; k < GROWTH_STAGES; k++) {
    const nominal = Math.floor((crop.growMs * (k + 1)) / GROWTH_STAGES) - Math.floor((crop.growMs * k) / GROWTH_STAGES);
    let end = start + nominal;
    const w = crop.watered[k];
    if (w !== null && w !== undefined && w >= start && w < end) {
      end = w + Math.round(((end - w) * (100 - crop.waterBonus)) / 100);
    }
    ends.push(end);
    start = end;
  }
  return ends;
}

/** The crop's status at `now` (a pure function of timestamps). */
export function cropStatus(crop: PlantedCrop, now: number): CropStatus {
  const ends = stageEnds(crop);
  const ripeAt = ends[GROWTH_STAGES - 1] as number;
  const witherAt = ripeAt + crop.witherMs;
  if (now >= witherAt) return { phase: 'withered', stage: GROWTH_STAGES, stageEndsAt: ripeAt, ripeAt, witherAt, progress: 1 };
  if (now >= ripeAt) return { phase: 'ripe', stage: GROWTH_STAGES, stageEndsAt: ripeAt, ripeAt, witherAt, progress: 1 };
  let stage = 0;
  while (now >= (ends[stage] as number)) stage++;
  const stageStart = stage === 0 ? crop.plantedAt : (ends[stage - 1] as number);
  const stageEnd = ends[stage] as number;
  const within = stageEnd > stageStart ? (now - stageStart) / (stageEnd - stageStart) : 1;
  return {
    phase: 'growing',
    stage,
    stageEndsAt: stageEnd,
    ripeAt,
    witherAt,
    progress: Math.max(0, Math.min(1, (stage + within) / GROWTH_STAGES)),
  };
}

/** A land parcel as farming sees it. */
export interface FarmParcel {
  readonly id: string;
  readonly plots: number;
  readonly fertility: number;
  readonly perk: LandPerk | null;
}

/**
 * The plots of a farm with no crops: `starterPlots` starter plots (`starter-1`..), fertility 1, no perk, then each
 * parcel's plots (`<parcel id>-1`..) with the parcel's fertility and perk.
 */
export function createFarmPlots(starterPlots: number, parcels: readonly FarmParcel[]): Plot[] {
  const plots: Plot[] = [];
  for (let i = 1; i <= starterPlots; i++) plots.push({ id: `starter-${i}`, land: null, fertility: 1, perk: null, crop: null });
  for (const parcel of parcels) {
    for (let i = 1; i <= parcel.plots; i++) {
      plots.push({ id: `${parcel.id}-${i}`, land: parcel.id, fertility: parcel.fertility, perk: parcel.perk, crop: null });
    }
  }
  return plots;
}

/** Farming rules bound to a crop catalogue. */
export interface FarmRules {
  /** Applies a farming action at `ctx.now`; `ctx.rng` is used for the harvest yield only. */
  apply(state: FarmState, action: FarmAction, ctx: RuleContext): FarmResult;
}

function withPlot(state: FarmState, index: number, plot: Plot, inventory = state.inventory): FarmState {
  const plots = state.plots.slice();
  plots[index] = plot;
  return { plots, inventory };
}

/** Creates farming rules for a crop catalogue (from game data). */
export function createFarmRules(crops: readonly CropSpec[]): FarmRules {
  const bySeed = new Map(crops.map((c) => [c.seed, c]));
  return {
    apply(state, action, ctx) {
      const index = state.plots.findIndex((p) => p.id === action.plot);
      if (index < 0) return violation('PLOT_NOT_FOUND', `no plot "${action.plot}"`);
      const plot = state.plots[index] as Plot;
      const now = ctx.now;
      switch (action.type) {
        case 'plant': {
          if (plot.crop) return violation('PLOT_OCCUPIED', `plot ${plot.id} already has ${plot.crop.crop}`);
          const spec = bySeed.get(action.seed);
          if (spec === undefined) return violation('UNKNOWN_SEED', `"${action.seed}" is not a seed`);
          const have = state.inventory[action.seed] ?? 0;
          if (have < 1) return violation('INSUFFICIENT_ITEMS', `no ${action.seed} left`);
          const crop: PlantedCrop = {
            crop: spec.id,
            produce: spec.produce,
            plantedAt: now,
            growMs: Math.round(spec.growSeconds * 1000 * plot.fertility),
            waterBonus: spec.waterBonus,
            witherMs: spec.witherSeconds * 1000,
            yieldMin: spec.yield.min,
            yieldMax: spec.yield.max,
            bonus: plot.perk?.kind === 'extra_yield' && plot.perk.crop === spec.id ? plot.perk.amount : 0,
            watered: Array.from({ length: GROWTH_STAGES }, () => null),
          };
          return {
            ok: true,
            state: withPlot(state, index, { ...plot, crop }, { ...state.inventory, [action.seed]: have - 1 }),
            events: [
              { type: 'planted', plot: plot.id, crop: spec.id, at: now },
              { type: 'inventory_changed', item: action.seed, delta: -1, reason: 'plant' },
            ],
          };
        }
        case 'water': {
          const crop = plot.crop;
          if (!crop) return violation('PLOT_EMPTY', `plot ${plot.id} is empty`);
          if (now < crop.plantedAt) return violation('CLOCK_BEFORE_PLANTING', 'time is before the planting');
          const status = cropStatus(crop, now);
          if (status.phase !== 'growing') return violation('NOT_GROWING', `${crop.crop} is ${status.phase}`);
          if (crop.watered[status.stage] !== null) return violation('ALREADY_WATERED', `stage ${status.stage + 1} was watered`);
          const watered = crop.watered.slice();
          watered[status.stage] = now;
          return {
            ok: true,
            state: withPlot(state, index, { ...plot, crop: { ...crop, watered } }),
            events: [{ type: 'watered', plot: plot.id, stage: status.stage, at: now }],
          };
        }
        case 'harvest': {
          const crop = plot.crop;
          if (!crop) return violation('PLOT_EMPTY', `plot ${plot.id} is empty`);
          if (now < crop.plantedAt) return violation('CLOCK_BEFORE_PLANTING', 'time is before the planting');
          const status = cropStatus(crop, now);
          if (status.phase === 'growing') return violation('NOT_RIPE', `${crop.crop} ripens at ${status.ripeAt}`);
          const withered = status.phase === 'withered';
          const rolled = crop.yieldMin + ctx.rng.int(crop.yieldMax - crop.yieldMin + 1) + crop.bonus;
          const quantity = withered ? Math.floor(rolled / 2) : rolled;
          const inventory =
            quantity > 0 ? { ...state.inventory, [crop.produce]: (state.inventory[crop.produce] ?? 0) + quantity } : state.inventory;
          const events: FarmEvent[] = [{ type: 'harvested', plot: plot.id, crop: crop.crop, item: crop.produce, quantity, withered }];
          if (quantity > 0) events.push({ type: 'inventory_changed', item: crop.produce, delta: quantity, reason: 'harvest' });
          return { ok: true, state: withPlot(state, index, { ...plot, crop: null }, inventory), events };
        }
        case 'clear': {
          if (!plot.crop) return violation('PLOT_EMPTY', `plot ${plot.id} is empty`);
          return {
            ok: true,
            state: withPlot(state, index, { ...plot, crop: null }),
            events: [{ type: 'cleared', plot: plot.id, crop: plot.crop.crop }],
          };
        }
        default:
          return violation('UNKNOWN_ACTION', `unknown farming action "${(action as { type?: unknown }).type}"`);
      }
    },
  };
}
