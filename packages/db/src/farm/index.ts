/**
 * Farms: the player's starter plots (`starter-1`..`starter-N`, N from the game data) and the plots of every land
 * parcel they hold (`<parcel id>-1`..). Plot rows exist only once something was planted; an absent row is an empty
 * plot. Growth is a pure function of timestamps (the farming rules), computed when read, so nothing ticks.
 *
 * Actions (plant, water, harvest, clear) are one transaction each: the player's row lock (then the parcel row
 * `FOR SHARE`, so the indexer cannot hand the parcel to someone else mid-action, then the plot row), the rules
 * applied at server time, the plot written, seeds and produce moved through the ledger, and `harvested` appended.
 * A crop keeps the numbers it was planted with (a snapshot in `crop_spec`), as the rules prescribe.
 */
import { AppError, type ErrorCode } from '@harvest/shared/errors';
import {
  type CropStatus,
  cropStatus,
  type FarmAction,
  type FarmViolationCode,
  GROWTH_STAGES,
  type LandPerk,
  type PlantedCrop,
  type Plot,
  type Rng,
} from '@harvest/shared/rules';
import { serverRng } from '../crafting/index.ts';
import type { Db, DbTransaction } from '../index.ts';
import { contentIndex, type GameContent } from '../inventory/content.ts';
import { changeItemsInTx, isUuid, lockPlayerInTx } from '../ledger/index.ts';
import { appendEvents, type OutboxEventInput } from '../outbox/index.ts';

const VIOLATION_CODES: Record<FarmViolationCode, ErrorCode> = {
  PLOT_NOT_FOUND: 'PLOT_NOT_FOUND',
  PLOT_OCCUPIED: 'PLOT_OCCUPIED',
  PLOT_EMPTY: 'PLOT_EMPTY',
  UNKNOWN_SEED: 'SEED_UNKNOWN',
  INSUFFICIENT_ITEMS: 'INSUFFICIENT_RESOURCES',
  NOT_GROWING: 'CROP_NOT_GROWING',
  ALREADY_WATERED: 'ALREADY_WATERED',
  NOT_RIPE: 'CROP_NOT_RIPE',
  CLOCK_BEFORE_PLANTING: 'CONFLICT',
  UNKNOWN_ACTION: 'VALIDATION_FAILED',
};

/** The crop numbers stored with a planting (`farm_plots.crop_spec`). */
type CropSpecSnapshot = Omit<PlantedCrop, 'plantedAt' | 'watered'>;

/** A crop in the ground, as shown at one moment. */
export interface CropView {
  cropId: string;
  produce: string;
  plantedAt: Date;
  phase: CropStatus['phase'];
  /** 0..3 while growing, 4 once ripe or withered. */
  stage: number;
  /** 0..1. */
  progress: number;
  stageEndsAt: Date;
  ripeAt: Date;
  witherAt: Date;
  /** Per growth stage: watered or not. */
  watered: boolean[];
  canWater: boolean;
  canHarvest: boolean;
}

/** One plot of a farm. */
export interface PlotView {
  id: string;
  source: 'starter' | 'land';
  landId: string | null;
  /** 1-based index within the starter farm or the parcel. */
  index: number;
  /** Grow-time multiplier (0.8-1.0, lower is faster). */
  fertility: number;
  perk: LandPerk | null;
  crop: CropView | null;
}

interface PlotRow {
  player_id: string | null;
  land_id: string | null;
  plot_index: number;
  crop_id: string | null;
  planted_at: Date | null;
  crop_spec: CropSpecSnapshot | null;
  waterings: Array<string | null>;
}

/** A plot of the player's farm, resolved from its id. */
interface PlotRef {
  id: string;
  landId: string | null;
  index: number;
  fertility: number;
  perk: LandPerk | null;
}

function plantedOf(row: PlotRow): PlantedCrop | null {
  if (row.crop_id === null || row.planted_at === null || row.crop_spec === null) return null;
  const watered = Array.from({ length: GROWTH_STAGES }, (_, k) => {
    const at = row.waterings[k];
    return typeof at === 'string' ? Date.parse(at) : null;
  });
  return { ...row.crop_spec, crop: row.crop_id, plantedAt: row.planted_at.getTime(), watered };
}

function cropView(crop: PlantedCrop, now: number): CropView {
  const status = cropStatus(crop, now);
  const growing = status.phase === 'growing' && now >= crop.plantedAt;
  return {
    cropId: crop.crop,
    produce: crop.produce,
    plantedAt: new Date(crop.plantedAt),
    phase: status.phase,
    stage: status.stage,
    progress: status.progress,
    stageEndsAt: new Date(status.stageEndsAt),
    ripeAt: new Date(status.ripeAt),
    witherAt: new Date(status.witherAt),
    watered: crop.watered.map((w) => w !== null),
    canWater: growing && crop.watered[status.stage] === null,
    canHarvest: status.phase !== 'growing',
  };
}

function plotView(ref: PlotRef, crop: PlantedCrop | null, now: number): PlotView {
  return {
    id: ref.id,
    source: ref.landId === null ? 'starter' : 'land',
    landId: ref.landId,
    index: ref.index,
    fertility: ref.fertility,
    perk: ref.perk,
    crop: crop ? cropView(crop, now) : null,
  };
}

/** Parcels the player holds that the content knows, in id order. */
async function heldParcels(db: Pick<DbTransaction, '$queryRaw'>, playerId: string, content: GameContent, lock: boolean) {
  const index = contentIndex(content);
  const rows = lock
    ? await db.$queryRaw<Array<{ id: string }>>`SELECT id FROM land_parcels WHERE owner_id = ${playerId}::uuid ORDER BY id FOR SHARE`
    : await db.$queryRaw<Array<{ id: string }>>`SELECT id FROM land_parcels WHERE owner_id = ${playerId}::uuid ORDER BY id`;
  return rows.flatMap((r) => {
    const parcel = index.parcels.get(r.id);
    return parcel ? [{ id: r.id, ...parcel }] : [];
  });
}

/** Every plot of the player's farm with each crop's stage at `now` (ms). NOT_FOUND for an unknown player. */
export async function getFarm(db: Db, playerId: string, content: GameContent, now: number): Promise<{ plots: PlotView[] }> {
  if (!isUuid(playerId)) throw new AppError('NOT_FOUND', 'no such player');
  const [parcels, rows] = await Promise.all([
    heldParcels(db, playerId, content, false),
    db.$queryRaw<PlotRow[]>`
      SELECT f.player_id::text, f.land_id, f.plot_index, f.crop_id, f.planted_at, f.crop_spec, f.waterings FROM farm_plots f
      WHERE f.player_id = ${playerId}::uuid
         OR f.land_id IN (SELECT id FROM land_parcels WHERE owner_id = ${playerId}::uuid)`,
  ]);
  const byKey = new Map(rows.map((r) => [`${r.land_id ?? 'starter'}#${r.plot_index}`, r]));
  const plots: PlotView[] = [];
  const add = (ref: PlotRef) => {
    const row = byKey.get(`${ref.landId ?? 'starter'}#${ref.index}`);
    plots.push(plotView(ref, row ? plantedOf(row) : null, now));
  };
  for (let i = 1; i <= content.data.farm.starterPlots; i++) add({ id: `starter-${i}`, landId: null, index: i, fertility: 1, perk: null });
  for (const parcel of parcels) {
    for (let i = 1; i <= parcel.plots; i++)
      add({ id: `${parcel.id}-${i}`, landId: parcel.id, index: i, fertility: parcel.fertility, perk: parcel.perk });
  }
  return { plots };
}

/** A farming action on one plot. */
export type FarmActionInput = {
  playerId: string;
  plotId: string;
  content: GameContent;
  /** Server time (ms): the only clock. */
  now: number;
  /** Draws the harvest yield; default {@link serverRng}. */
  rng?: Rng;
} & ({ action: 'plant'; seed: string } | { action: 'water' | 'harvest' | 'clear' });

/** What an action did. */
export interface FarmActionOutcome {
  plot: PlotView;
  /** Harvests only. */
  harvested: { itemId: string; quantity: number; withered: boolean } | null;
  /** New quantities of the items the action moved (the seed planted, the produce harvested). */
  items: Array<{ itemId: string; quantity: number }>;
}

const PLOT_ID = /^([a-z0-9]+(?:-[a-z0-9]+)*)-([1-9][0-9]{0,2})$/;

/** Resolves a plot id of the player's farm; PLOT_NOT_FOUND for anything else (another player's parcel too). */
async function resolvePlotInTx(tx: DbTransaction, playerId: string, plotId: string, content: GameContent): Promise<PlotRef> {
  const notFound = () => new AppError('PLOT_NOT_FOUND', `no plot "${plotId}" on your farm`, { plotId });
  const match = PLOT_ID.exec(plotId);
  if (!match) throw notFound();
  const [, farm, n] = match as unknown as [string, string, string];
  const index = Number(n);
  if (farm === 'starter') {
    if (index > content.data.farm.starterPlots) throw notFound();
    return { id: plotId, landId: null, index, fertility: 1, perk: null };
  }
  const parcel = contentIndex(content).parcels.get(farm);
  if (!parcel || index > parcel.plots) throw notFound();
  // FOR SHARE: the parcel cannot change hands until this action commits.
  const held = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id FROM land_parcels WHERE id = ${farm} AND owner_id = ${playerId}::uuid FOR SHARE`;
  if (held.length === 0) throw notFound();
  return { id: plotId, landId: farm, index, fertility: parcel.fertility, perk: parcel.perk };
}

/** Applies one farming action inside the caller's transaction (see the module comment). */
export async function farmActionInTx(tx: DbTransaction, input: FarmActionInput): Promise<FarmActionOutcome> {
  const { playerId, content, now } = input;
  await lockPlayerInTx(tx, playerId);
  const ref = await resolvePlotInTx(tx, playerId, input.plotId, content);
  const rows =
    ref.landId === null
      ? await tx.$queryRaw<PlotRow[]>`
          SELECT player_id::text, land_id, plot_index, crop_id, planted_at, crop_spec, waterings FROM farm_plots
          WHERE player_id = ${playerId}::uuid AND plot_index = ${ref.index}::int FOR UPDATE`
      : await tx.$queryRaw<PlotRow[]>`
          SELECT player_id::text, land_id, plot_index, crop_id, planted_at, crop_spec, waterings FROM farm_plots
          WHERE land_id = ${ref.landId} AND plot_index = ${ref.index}::int FOR UPDATE`;
  const row = rows[0];
  const planted = row ? plantedOf(row) : null;
  const plot: Plot = { id: ref.id, land: ref.landId, fertility: ref.fertility, perk: ref.perk, crop: planted };

  let inventory: Record<string, number> = {};
  let action: FarmAction;
  if (input.action === 'plant') {
    const held = await tx.$queryRaw<Array<{ quantity: number }>>`
      SELECT quantity FROM resources WHERE player_id = ${playerId}::uuid AND item_id = ${input.seed} FOR UPDATE`;
    inventory = { [input.seed]: held[0]?.quantity ?? 0 };
    action = { type: 'plant', plot: ref.id, seed: input.seed };
  } else {
    action = { type: input.action, plot: ref.id };
  }
  const result = content.rules.farming.apply({ plots: [plot], inventory }, action, { now, rng: input.rng ?? serverRng() });
  if (!result.ok) {
    const details: Record<string, unknown> = { plotId: ref.id };
    if (result.violation.code === 'NOT_RIPE' && planted) details.ripeAt = new Date(cropStatus(planted, now).ripeAt).toISOString();
    if (result.violation.code === 'INSUFFICIENT_ITEMS' && input.action === 'plant')
      Object.assign(details, { itemId: input.seed, required: 1, balance: 0 });
    throw new AppError(VIOLATION_CODES[result.violation.code], result.violation.message, details);
  }
  const after = result.state.plots[0]?.crop ?? null;
  await writePlotInTx(tx, playerId, ref, after);

  const events: OutboxEventInput[] = [];
  const referenceId = `farm:${ref.id}:${now}`;
  const context = { playerId, reason: input.action === 'plant' ? 'plant' : 'harvest', referenceId, events };
  const changes = result.events.flatMap((e) => (e.type === 'inventory_changed' ? [{ itemId: e.item, delta: e.delta }] : []));
  const balances = await changeItemsInTx(tx, context, changes);
  let harvested: FarmActionOutcome['harvested'] = null;
  for (const event of result.events) {
    if (event.type !== 'harvested') continue;
    harvested = { itemId: event.item, quantity: event.quantity, withered: event.withered };
    events.push({
      type: 'harvested',
      key: playerId,
      payload: { playerId, plot: ref.index, cropId: event.crop, quantity: event.quantity, withered: event.withered },
      occurredAt: new Date(now),
    });
  }
  await appendEvents(tx, events);
  return {
    plot: plotView(ref, after, now),
    harvested,
    items: [...balances].map(([itemId, quantity]) => ({ itemId, quantity })),
  };
}

/** Stores the plot's crop (null: empty) after an action. */
async function writePlotInTx(tx: DbTransaction, playerId: string, ref: PlotRef, crop: PlantedCrop | null): Promise<void> {
  if (crop === null) {
    if (ref.landId === null) {
      await tx.$executeRaw`
        UPDATE farm_plots SET crop_id = NULL, planted_at = NULL, crop_spec = NULL, waterings = '[]'::jsonb, updated_at = now()
        WHERE player_id = ${playerId}::uuid AND plot_index = ${ref.index}::int`;
    } else {
      await tx.$executeRaw`
        UPDATE farm_plots SET crop_id = NULL, planted_at = NULL, crop_spec = NULL, waterings = '[]'::jsonb, updated_at = now()
        WHERE land_id = ${ref.landId} AND plot_index = ${ref.index}::int`;
    }
    return;
  }
  const { crop: cropId, plantedAt, watered, ...spec } = crop;
  const specJson = JSON.stringify(spec);
  const waterings = JSON.stringify(watered.map((w) => (w === null ? null : new Date(w).toISOString())));
  const planted = new Date(plantedAt);
  if (ref.landId === null) {
    await tx.$executeRaw`
      INSERT INTO farm_plots (source, player_id, land_id, plot_index, crop_id, planted_at, crop_spec, waterings, updated_at)
      VALUES ('starter', ${playerId}::uuid, NULL, ${ref.index}::int, ${cropId}, ${planted}, ${specJson}::jsonb, ${waterings}::jsonb, now())
      ON CONFLICT (player_id, plot_index) DO UPDATE SET crop_id = EXCLUDED.crop_id, planted_at = EXCLUDED.planted_at,
        crop_spec = EXCLUDED.crop_spec, waterings = EXCLUDED.waterings, updated_at = now()`;
  } else {
    await tx.$executeRaw`
      INSERT INTO farm_plots (source, player_id, land_id, plot_index, crop_id, planted_at, crop_spec, waterings, updated_at)
      VALUES ('land', NULL, ${ref.landId}, ${ref.index}::int, ${cropId}, ${planted}, ${specJson}::jsonb, ${waterings}::jsonb, now())
      ON CONFLICT (land_id, plot_index) DO UPDATE SET crop_id = EXCLUDED.crop_id, planted_at = EXCLUDED.planted_at,
        crop_spec = EXCLUDED.crop_spec, waterings = EXCLUDED.waterings, updated_at = now()`;
  }
}

/** {@link farmActionInTx} in its own transaction. */
export function farmAction(db: Db, input: FarmActionInput): Promise<FarmActionOutcome> {
  return db.$transaction((tx) => farmActionInTx(tx, input));
}
