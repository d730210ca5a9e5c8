import { useTestDatabase } from '@harvest/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectLedgerMatchesBalances, GAME_DATA, give, newPlayer, type Player, publishRepositoryGameData } from '../../economy-helpers.ts';
import { createTestApp, expectError, type TestApp } from '../../helpers.ts';

const database = useTestDatabase();
let t: TestApp;
/** The economy's server clock, moved by the tests. */
let clock = Date.parse('2026-06-01T08:00:00.000Z');
const SECOND = 1000;

beforeAll(async () => {
  await publishRepositoryGameData(database.db);
  t = await createTestApp(database.db, { economy: { writesPerMinute: 100_000, now: () => clock } });
});
afterAll(async () => {
  await t?.close();
});

const wheat = GAME_DATA.crops.find((c) => c.id === 'wheat');
if (!wheat) throw new Error('no wheat in the game data');
const farm = async (player: Player) => {
  const response = await t.app.inject({ method: 'GET', url: '/v1/farm', headers: player.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};
const act = (player: Player, plot: string, action: string, payload?: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url: `/v1/farm/plots/${plot}/${action}`, headers: player.headers, ...(payload ? { payload } : {}) });
const plotOf = async (player: Player, id: string) => (await farm(player)).plots.find((p: { id: string }) => p.id === id);
const quantity = async (player: Player, itemId: string) =>
  (await database.db.playerResource.findUnique({ where: { playerId_itemId: { playerId: player.id, itemId } } }))?.quantity ?? 0;

describe('farm', () => {
  it('shows the starter plots, and plants, waters and harvests with stages computed from server time', async () => {
    const player = await newPlayer(t.app);
    const start = await farm(player);
    expect(start.plots).toHaveLength(GAME_DATA.farm.starterPlots);
    expect(start.plots[0]).toEqual({ id: 'starter-1', source: 'starter', landId: null, index: 1, fertility: 1, perk: null, crop: null });
    expect(start.serverTime).toBe(new Date(clock).toISOString());

    const planted = await act(player, 'starter-1', 'plant', { seed: 'wheat-seed' });
    expect(planted.statusCode, planted.body).toBe(200);
    expect(planted.json().items).toEqual([{ itemId: 'wheat-seed', quantity: 11 }]);
    expect(planted.json().plot.crop).toMatchObject({
      cropId: 'wheat',
      phase: 'growing',
      stage: 0,
      progress: 0,
      canWater: true,
      canHarvest: false,
    });
    const plantedAt = clock;
    const stageMs = (wheat.growSeconds * SECOND) / 4;

    clock += stageMs + 1;
    expect((await plotOf(player, 'starter-1')).crop).toMatchObject({ stage: 1, watered: [false, false, false, false] });
    expect((await act(player, 'starter-1', 'water')).json().plot.crop).toMatchObject({
      stage: 1,
      watered: [false, true, false, false],
      canWater: false,
    });
    expectError(await act(player, 'starter-1', 'water'), 409, 'ALREADY_WATERED');
    const early = expectError(await act(player, 'starter-1', 'harvest'), 409, 'CROP_NOT_RIPE');
    // Watering cut the rest of stage 2 by waterBonus percent.
    const cut = Math.round(((stageMs - 1) * wheat.waterBonus) / 100);
    const ripeAt = plantedAt + wheat.growSeconds * SECOND - cut;
    expect(early.error.details?.ripeAt).toBe(new Date(ripeAt).toISOString());
    clock = ripeAt - 1;
    expect((await plotOf(player, 'starter-1')).crop.phase).toBe('growing');
    clock = ripeAt;
    expect((await plotOf(player, 'starter-1')).crop).toMatchObject({
      phase: 'ripe',
      stage: 4,
      progress: 1,
      canHarvest: true,
      canWater: false,
    });
    expectError(await act(player, 'starter-1', 'water'), 409, 'CROP_NOT_GROWING');

    const harvest = await act(player, 'starter-1', 'harvest');
    expect(harvest.statusCode, harvest.body).toBe(200);
    const { harvested } = harvest.json();
    expect(harvested.itemId).toBe('wheat');
    expect(harvested.withered).toBe(false);
    expect(harvested.quantity).toBeGreaterThanOrEqual(wheat.yield.min);
    expect(harvested.quantity).toBeLessThanOrEqual(wheat.yield.max);
    expect(await quantity(player, 'wheat')).toBe(harvested.quantity);
    expect(harvest.json().plot.crop).toBeNull();
    const event = await database.db.outboxEvent.findFirstOrThrow({ where: { key: player.id, type: 'harvested' } });
    expect(event.payload).toEqual({ playerId: player.id, plot: 1, cropId: 'wheat', quantity: harvested.quantity, withered: false });
    const reasons = await database.db.ledgerEntry.findMany({
      where: { playerId: player.id, reason: { in: ['plant', 'harvest'] } },
      orderBy: { id: 'asc' },
    });
    expect(reasons.map((r) => [r.reason, r.itemId, r.delta])).toEqual([
      ['plant', 'wheat-seed', -1],
      ['harvest', 'wheat', harvested.quantity],
    ]);
    await expectLedgerMatchesBalances(database.db, player.id);
  });

  it('withered crops yield half; occupied, empty and unknown plots and seeds are refused with codes', async () => {
    const player = await newPlayer(t.app);
    expect((await act(player, 'starter-2', 'plant', { seed: 'wheat-seed' })).statusCode).toBe(200);
    expectError(await act(player, 'starter-2', 'plant', { seed: 'wheat-seed' }), 409, 'PLOT_OCCUPIED');
    clock += (wheat.growSeconds + wheat.witherSeconds) * SECOND;
    expect((await plotOf(player, 'starter-2')).crop.phase).toBe('withered');
    const { harvested } = (await act(player, 'starter-2', 'harvest')).json();
    expect(harvested.withered).toBe(true);
    expect(harvested.quantity).toBeGreaterThanOrEqual(Math.floor(wheat.yield.min / 2));
    expect(harvested.quantity).toBeLessThanOrEqual(Math.floor(wheat.yield.max / 2));

    expectError(await act(player, 'starter-2', 'harvest'), 409, 'PLOT_EMPTY');
    expectError(await act(player, 'starter-2', 'clear'), 409, 'PLOT_EMPTY');
    expect((await act(player, 'starter-3', 'plant', { seed: 'herb-seed' })).statusCode).toBe(200);
    expect((await act(player, 'starter-3', 'clear')).json().plot.crop).toBeNull();
    expectError(await act(player, 'starter-4', 'plant', { seed: 'wheat' }), 422, 'SEED_UNKNOWN');
    expectError(await act(player, 'starter-4', 'plant', { seed: 'pumpkin-seed' }), 409, 'INSUFFICIENT_RESOURCES');
    expectError(await act(player, `starter-${GAME_DATA.farm.starterPlots + 1}`, 'plant', { seed: 'wheat-seed' }), 404, 'PLOT_NOT_FOUND');
    expectError(await act(player, 'meadow-2-1', 'plant', { seed: 'wheat-seed' }), 404, 'PLOT_NOT_FOUND');
    expectError(await act(player, 'starter-0', 'water'), 422, 'VALIDATION_FAILED');
    expectError(await act(player, '../../etc', 'water'), 404, 'NOT_FOUND');
    expectError(await act(player, 'starter-4', 'plant', { seed: 'wheat-seed', extra: 1 }), 422, 'VALIDATION_FAILED');
    await expectLedgerMatchesBalances(database.db, player.id);
  });

  it('land I hold adds its plots with fertility and perk; another player’s land answers 404', async () => {
    const owner = await newPlayer(t.app);
    const visitor = await newPlayer(t.app);
    await database.db.landParcel.update({ where: { id: 'meadow-2' }, data: { ownerId: owner.id } });
    const parcel = GAME_DATA.parcels.find((p) => p.id === 'meadow-2');
    if (!parcel) throw new Error('no meadow-2');
    const plots = (await farm(owner)).plots;
    expect(plots).toHaveLength(GAME_DATA.farm.starterPlots + parcel.plots);
    expect(plots.find((p: { id: string }) => p.id === 'meadow-2-1')).toMatchObject({
      source: 'land',
      landId: 'meadow-2',
      index: 1,
      fertility: parcel.fertility,
      perk: { id: 'golden-wheat', kind: 'extra_yield', crop: 'wheat', amount: 2 },
    });
    expect((await farm(visitor)).plots).toHaveLength(GAME_DATA.farm.starterPlots);

    const planted = await act(owner, 'meadow-2-1', 'plant', { seed: 'wheat-seed' });
    expect(planted.statusCode, planted.body).toBe(200);
    // Fertility shortens the grow time.
    const crop = planted.json().plot.crop;
    expect(Date.parse(crop.ripeAt) - Date.parse(crop.plantedAt)).toBe(Math.round(wheat.growSeconds * SECOND * parcel.fertility));
    expectError(await act(visitor, 'meadow-2-1', 'harvest'), 404, 'PLOT_NOT_FOUND');
    clock = Date.parse(crop.ripeAt);
    const { harvested } = (await act(owner, 'meadow-2-1', 'harvest')).json();
    expect(harvested.quantity).toBeGreaterThanOrEqual(wheat.yield.min + 2);
    expect(harvested.quantity).toBeLessThanOrEqual(wheat.yield.max + 2);
    await database.db.landParcel.update({ where: { id: 'meadow-2' }, data: { ownerId: null } });
  });

  it('actions take an optional Idempotency-Key: a retried harvest does not harvest twice', async () => {
    const player = await newPlayer(t.app);
    await give(database.db, player.id, { items: { 'wheat-seed': 1 } });
    expect((await act(player, 'starter-5', 'plant', { seed: 'wheat-seed' })).statusCode).toBe(200);
    clock += wheat.growSeconds * SECOND;
    const headers = { ...player.headers, 'idempotency-key': crypto.randomUUID() };
    const first = await t.app.inject({ method: 'POST', url: '/v1/farm/plots/starter-5/harvest', headers });
    const retry = await t.app.inject({ method: 'POST', url: '/v1/farm/plots/starter-5/harvest', headers });
    expect(first.statusCode, first.body).toBe(200);
    expect({ status: retry.statusCode, body: retry.body }).toEqual({ status: 200, body: first.body });
    expect(await database.db.outboxEvent.count({ where: { key: player.id, type: 'harvested' } })).toBe(1);
  });
});
