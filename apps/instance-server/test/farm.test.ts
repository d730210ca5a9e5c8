/**
 * The farm room through real clients (@colyseus/sdk) against a real game-api (sign-in, starter grant, the REST farm
 * routes), PostgreSQL and Redis: what the owner and a friend see, actions through the room against the same
 * actions through REST, and every refusal with its stable code.
 *
 * Time: crops take minutes, so tests move a planting into the past in the database (as if the owner had planted
 * earlier); the room must pick that up on its own refresh, and its projection between refreshes must equal the
 * farming rules at the room's server time (`getFarm` at `serverTime`).
 */
import { Client, type Room } from '@colyseus/sdk';
import type { Bot } from '@harvest/bot';
import { acceptFriend, type Db, getActiveGameData, getFarm, removeFriend, requestFriend } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { guestBot, joinRefused, siweBot, useInstanceStack } from './helpers.ts';

const database = useTestDatabase();
const stack = useInstanceStack(database, { FARM_TICK_HZ: '10' });
let owner: Bot;
let friend: Bot;
let stranger: Bot;
const rooms: Room[] = [];

interface PlotState {
  id: string;
  cropId: string;
  phase: string;
  stage: number;
  progress: number;
  canWater: boolean;
  canHarvest: boolean;
}
interface FarmState {
  ownerId: string;
  serverTime: number;
  plots: PlotState[];
  visitors: string[];
}
interface Refusal {
  code: string;
  message: string;
}

const stateOf = (room: Room): FarmState => (room.state as { toJSON(): FarmState }).toJSON();
const plotOf = (state: FarmState, id: string): PlotState => {
  const plot = state.plots.find((p) => p.id === id);
  if (!plot) throw new Error(`no plot ${id}`);
  return plot;
};

/** Resolves with the first synchronised state that satisfies `check` (now or on a later patch). */
function waitForState(room: Room, check: (state: FarmState) => boolean, what: string, timeoutMs = 10_000): Promise<FarmState> {
  return new Promise((resolve, reject) => {
    const test = (): boolean => {
      const state = stateOf(room);
      if (!state?.plots || !check(state)) return false;
      clearTimeout(timer);
      room.onStateChange.remove(test);
      resolve(state);
      return true;
    };
    const timer = setTimeout(() => {
      room.onStateChange.remove(test);
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    if (!test()) room.onStateChange(test);
  });
}

/** Records every synchronised state until `stop()`: what a client saw over that time. */
function record(room: Room): { stop(): FarmState[] } {
  const seen: FarmState[] = [];
  const take = () => void seen.push(stateOf(room));
  room.onStateChange(take);
  return {
    stop() {
      room.onStateChange.remove(take);
      return seen;
    },
  };
}

/** Every synchronised state for `ms`. */
async function samples(room: Room, ms: number): Promise<FarmState[]> {
  const recorder = record(room);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return recorder.stop();
}

async function joinFarm(bot: Bot, ownerId: string): Promise<Room> {
  const room = await bot.client.joinOrCreate('farm', { ownerId });
  room.onMessage('action', () => undefined);
  room.onMessage('refused', () => undefined);
  rooms.push(room);
  await waitForState(room, (s) => s.plots.length > 0, 'the first state');
  return room;
}

/** `promise`, or a failure naming `what` after `ms`. */
function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The reason of a refused request (fails the test when the request was accepted). */
async function refusal(request: Promise<unknown>): Promise<Refusal> {
  return request.then(
    (value) => {
      throw new Error(`expected a refusal, got ${JSON.stringify(value)}`);
    },
    (error: { reason?: Refusal }) => {
      if (!error.reason) throw error;
      return error.reason;
    },
  );
}

/** The `{ code, message }` a refused join failed with. */
async function rest<T>(bot: Bot, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${stack.api.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${bot.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Everything a farm action may write for a player: resources, ledger rows, outbox rows, plot rows. */
async function footprint(db: Db, playerId: string) {
  const [resources, ledger, outbox, plots] = await Promise.all([
    db.playerResource.findMany({ where: { playerId }, orderBy: { itemId: 'asc' }, select: { itemId: true, quantity: true } }),
    db.ledgerEntry.findMany({ where: { playerId }, orderBy: { id: 'asc' } }),
    db.outboxEvent.findMany({ where: { key: playerId }, orderBy: { id: 'asc' } }),
    db.farmPlot.findMany({ where: { playerId }, orderBy: { plotIndex: 'asc' } }),
  ]);
  return { resources, ledger, outbox, plots };
}

/** What one action added to the ledger and the outbox, in a form comparable across plots and times. */
function added(before: Awaited<ReturnType<typeof footprint>>, after: Awaited<ReturnType<typeof footprint>>) {
  const ledger = after.ledger.slice(before.ledger.length);
  const outbox = after.outbox.slice(before.outbox.length);
  return {
    ledger: ledger.map((l) => ({
      asset: l.asset,
      itemId: l.itemId,
      sign: Math.sign(l.delta),
      reason: l.reason,
      reference: l.referenceId?.replace(/^farm:starter-\d+:\d+$/, 'farm:<plot>:<ms>'),
    })),
    outbox: outbox.map((e) => ({ type: e.type, version: e.version, keys: Object.keys(e.payload as object).sort() })),
    raw: { ledger, outbox },
  };
}

/** Moves the planting (and its waterings) of one of the player's starter plots `ms` into the past. */
async function plantEarlier(db: Db, playerId: string, plotIndex: number, ms: number): Promise<void> {
  const plot = await db.farmPlot.findFirstOrThrow({ where: { playerId, plotIndex } });
  const earlier = (iso: unknown) => (typeof iso === 'string' ? new Date(Date.parse(iso) - ms).toISOString() : null);
  await db.farmPlot.update({
    where: { id: plot.id },
    data: {
      plantedAt: new Date((plot.plantedAt as Date).getTime() - ms),
      waterings: (plot.waterings as unknown[]).map(earlier),
    },
  });
}

/** Each sample against the farming rules at its own server time (what `GET /v1/farm` would say at that instant). */
async function expectRulesAgree(db: Db, ownerId: string, seen: FarmState[], plotId: string): Promise<void> {
  const content = await getActiveGameData(db);
  for (const state of seen) {
    const shown = plotOf(state, plotId);
    const truth = (await getFarm(db, ownerId, content, state.serverTime)).plots.find((p) => p.id === plotId)?.crop;
    expect(truth, `a crop on ${plotId}`).toBeTruthy();
    if (!truth) return;
    expect({ phase: shown.phase, stage: shown.stage, canWater: shown.canWater, canHarvest: shown.canHarvest }).toEqual({
      phase: truth.phase,
      stage: truth.stage,
      canWater: truth.canWater,
      canHarvest: truth.canHarvest,
    });
    // The room rounds progress to 0.001 and sends it as a float32.
    expect(Math.abs(shown.progress - truth.progress)).toBeLessThan(0.0015);
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

beforeAll(async () => {
  [owner, friend, stranger] = await Promise.all([
    siweBot(stack.api.url, stack.serverUrl),
    siweBot(stack.api.url, stack.serverUrl),
    siweBot(stack.api.url, stack.serverUrl),
  ]);
  // Friends the way the hub makes them: a request, then the other player accepts.
  await requestFriend(database.db, { playerId: friend.playerId, otherId: owner.playerId });
  await acceptFriend(database.db, { playerId: owner.playerId, otherId: friend.playerId });
});
afterEach(async () => {
  for (const room of rooms.splice(0)) if (room.connection.isOpen) await room.leave(true);
});
afterAll(async () => {
  await Promise.all([owner, friend, stranger].map((b) => b?.close()));
});

describe('farm room', () => {
  it('shows the owner their plots at 10 Hz with growth on the server clock, watering included', async () => {
    const { db } = database;
    const room = await joinFarm(owner, owner.playerId);
    const first = stateOf(room);
    expect(first.ownerId).toBe(owner.playerId);
    expect(first.plots.map((p) => p.id)).toEqual(['starter-1', 'starter-2', 'starter-3', 'starter-4', 'starter-5', 'starter-6']);
    expect(first.plots.every((p) => p.phase === 'empty')).toBe(true);
    expect(first.visitors).toEqual([owner.playerId]);

    await expect(room.request('plant', { plotId: 'starter-1', seed: 'wheat-seed' })).resolves.toEqual({
      plot: 'starter-1',
      harvested: null,
      items: [{ itemId: 'wheat-seed', quantity: 11 }],
    });
    await waitForState(room, (s) => plotOf(s, 'starter-1').phase === 'growing', 'the planted wheat');

    // Wheat grows 600 s in 4 stages of 150 s: the end of stage 0 is moved to ~4 s from now, after the room's next
    // refresh (every 3 s), so the room crosses into stage 1 on its own clock.
    await plantEarlier(db, owner.playerId, 1, 146_000);
    await waitForState(room, (s) => plotOf(s, 'starter-1').progress > 0.24, 'the earlier planting', 5_000);
    const recorder = record(room);
    await waitForState(room, (s) => plotOf(s, 'starter-1').stage === 1, 'stage 1', 6_000);
    // A few more ticks past the boundary, to see the new stage progress.
    await waitForState(room, (s) => plotOf(s, 'starter-1').progress >= 0.2505, 'progress in stage 1', 6_000);
    const crossing = recorder.stop();
    expect(crossing.map((s) => plotOf(s, 'starter-1').stage)).toContain(0);
    expect(crossing.at(-1) && plotOf(crossing.at(-1) as FarmState, 'starter-1').stage).toBe(1);
    await expectRulesAgree(db, owner.playerId, crossing, 'starter-1');
    const times = crossing.map((s) => s.serverTime);
    const progress = crossing.map((s) => plotOf(s, 'starter-1').progress);
    for (let i = 1; i < crossing.length; i++) {
      expect(times[i]).toBeGreaterThan(times[i - 1] as number);
      expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1] as number);
    }
    // 10 Hz: a new server time about every 100 ms (the median resists a loaded machine's hiccups).
    expect(median(times.slice(1).map((t, i) => t - (times[i] as number)))).toBeGreaterThanOrEqual(90);
    expect(median(times.slice(1).map((t, i) => t - (times[i] as number)))).toBeLessThanOrEqual(150);

    // Watering cuts what is left of stage 1 by 25 %: the room's projection must follow the rules, not a straight line.
    expect(plotOf(stateOf(room), 'starter-1').canWater).toBe(true);
    await expect(room.request('water', { plotId: 'starter-1' })).resolves.toMatchObject({ plot: 'starter-1', harvested: null });
    const watered = await waitForState(room, (s) => !plotOf(s, 'starter-1').canWater, 'the watered crop');
    await expectRulesAgree(db, owner.playerId, [watered, ...(await samples(room, 1_000))], 'starter-1');
    await expect(refusal(room.request('water', { plotId: 'starter-1' }))).resolves.toMatchObject({ code: 'ALREADY_WATERED' });
  });

  it('plants and harvests through the room exactly as the REST routes do: resources, ledger rows and the harvested event', async () => {
    const { db } = database;
    const room = await joinFarm(owner, owner.playerId);

    // The same two actions, one plot through the room and one through REST.
    let before = await footprint(db, owner.playerId);
    await room.request('plant', { plotId: 'starter-2', seed: 'carrot-seed' });
    const roomPlant = added(before, await footprint(db, owner.playerId));
    before = await footprint(db, owner.playerId);
    await rest(owner, '/v1/farm/plots/starter-3/plant', { seed: 'carrot-seed' });
    const restPlant = added(before, await footprint(db, owner.playerId));
    expect(roomPlant.ledger).toEqual([{ asset: 'item', itemId: 'carrot-seed', sign: -1, reason: 'plant', reference: 'farm:<plot>:<ms>' }]);
    expect(roomPlant.ledger).toEqual(restPlant.ledger);
    expect(roomPlant.outbox).toEqual(restPlant.outbox);
    expect(
      await db.playerResource.findUnique({ where: { playerId_itemId: { playerId: owner.playerId, itemId: 'carrot-seed' } } }),
    ).toMatchObject({
      quantity: 4,
    });

    // An hour earlier: both carrots (20 min) are ripe, not withered (3 h).
    await plantEarlier(db, owner.playerId, 2, 3_600_000);
    await plantEarlier(db, owner.playerId, 3, 3_600_000);
    const ripe = await waitForState(room, (s) => plotOf(s, 'starter-2').phase === 'ripe', 'the ripe carrots', 5_000);
    expect(plotOf(ripe, 'starter-2')).toMatchObject({ stage: 4, progress: 1, canHarvest: true, canWater: false });
    expect(plotOf(ripe, 'starter-3')).toMatchObject({ phase: 'ripe', canHarvest: true });

    before = await footprint(db, owner.playerId);
    const harvest = (await room.request('harvest', { plotId: 'starter-2' })) as {
      harvested: { itemId: string; quantity: number; withered: boolean };
      items: Array<{ itemId: string; quantity: number }>;
    };
    const roomHarvest = added(before, await footprint(db, owner.playerId));
    expect(harvest.harvested).toMatchObject({ itemId: 'carrot', withered: false });
    expect(harvest.harvested.quantity).toBeGreaterThanOrEqual(2);
    expect(harvest.harvested.quantity).toBeLessThanOrEqual(5);
    const carrots = harvest.harvested.quantity;
    expect(harvest.items).toEqual([{ itemId: 'carrot', quantity: carrots }]);
    expect(roomHarvest.raw.ledger).toMatchObject([{ asset: 'item', itemId: 'carrot', delta: carrots, reason: 'harvest' }]);
    expect(roomHarvest.raw.outbox).toMatchObject([
      {
        type: 'harvested',
        key: owner.playerId,
        payload: { playerId: owner.playerId, plot: 2, cropId: 'carrot', quantity: carrots, withered: false },
      },
    ]);
    await waitForState(room, (s) => plotOf(s, 'starter-2').phase === 'empty', 'the harvested plot');

    before = await footprint(db, owner.playerId);
    const restHarvest = await rest<{ harvested: { quantity: number } }>(owner, '/v1/farm/plots/starter-3/harvest', {});
    const restAdded = added(before, await footprint(db, owner.playerId));
    expect(roomHarvest.ledger).toEqual(restAdded.ledger);
    expect(roomHarvest.outbox).toEqual(restAdded.outbox);
    const total = await db.playerResource.findUnique({ where: { playerId_itemId: { playerId: owner.playerId, itemId: 'carrot' } } });
    expect(total?.quantity).toBe(carrots + restHarvest.harvested.quantity);
    // The room picks up what REST did on its next refresh.
    await waitForState(room, (s) => plotOf(s, 'starter-3').phase === 'empty', 'the plot harvested over REST', 5_000);
  });

  it('lets a friend watch the owner act, live, but not act', async () => {
    const { db } = database;
    const ownerRoom = await joinFarm(owner, owner.playerId);
    const friendRoom = await joinFarm(friend, owner.playerId);
    expect(friendRoom.roomId).toBe(ownerRoom.roomId);
    await waitForState(friendRoom, (s) => s.visitors.includes(owner.playerId) && s.visitors.includes(friend.playerId), 'both visitors');

    const seenAction = within(new Promise((resolve) => friendRoom.onMessage('action', resolve)), "the owner's action");
    await ownerRoom.request('plant', { plotId: 'starter-4', seed: 'wheat-seed' });
    await expect(seenAction).resolves.toMatchObject({ by: owner.playerId, action: 'plant', plotId: 'starter-4', harvested: null });
    await waitForState(
      friendRoom,
      (s) => plotOf(s, 'starter-4').phase === 'growing' && plotOf(s, 'starter-4').cropId === 'wheat',
      "the owner's wheat",
    );

    const ownerBefore = await footprint(db, owner.playerId);
    const friendBefore = await footprint(db, friend.playerId);
    for (const [type, body] of [
      ['plant', { plotId: 'starter-5', seed: 'wheat-seed' }],
      ['water', { plotId: 'starter-4' }],
      ['clear', { plotId: 'starter-4' }],
      ['harvest', { plotId: 'starter-4' }],
    ] as const) {
      await expect(refusal(friendRoom.request(type, body))).resolves.toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(await footprint(db, owner.playerId)).toEqual(ownerBefore);
    expect(await footprint(db, friend.playerId)).toEqual(friendBefore);
    expect(plotOf(stateOf(friendRoom), 'starter-5').phase).toBe('empty');
  });

  it('refuses strangers, guests, unauthenticated clients and bad owner ids with stable codes', async () => {
    await joinFarm(owner, owner.playerId);
    const notVisible = await joinRefused(stranger.client.joinOrCreate('farm', { ownerId: owner.playerId }));
    expect(notVisible).toMatchObject({ code: 404 });
    expect(notVisible.message).toMatch(/^FARM_NOT_VISIBLE: /);

    // A join by room id names no owner: the room itself refuses.
    const roomId = (rooms.at(-1) as Room).roomId;
    const byId = await joinRefused(stranger.client.joinById(roomId));
    expect(byId.code).toBe(404);
    expect(byId.message).toMatch(/^FARM_NOT_VISIBLE: /);

    // A guest farms their own farm and visits no one, not even a friend.
    const guest = await guestBot(stack.api.url, stack.serverUrl);
    try {
      await requestFriend(database.db, { playerId: guest.playerId, otherId: owner.playerId });
      await acceptFriend(database.db, { playerId: owner.playerId, otherId: guest.playerId });
      const guestRefused = await joinRefused(guest.client.joinOrCreate('farm', { ownerId: owner.playerId }));
      expect(guestRefused.code).toBe(403);
      expect(guestRefused.message).toMatch(/^GUEST_NOT_ALLOWED: /);
      const own = await joinFarm(guest, guest.playerId);
      await expect(own.request('plant', { plotId: 'starter-1', seed: 'wheat-seed' })).resolves.toMatchObject({ plot: 'starter-1' });
    } finally {
      await guest.close();
    }

    const anonymous = new Client(stack.serverUrl);
    const unauthenticated = await joinRefused(anonymous.joinOrCreate('farm', { ownerId: owner.playerId }));
    expect(unauthenticated.code).toBe(401);
    expect(unauthenticated.message).toMatch(/^UNAUTHENTICATED: /);
    anonymous.auth.token = `${owner.accessToken.slice(0, -4)}AAAA`;
    const forged = await joinRefused(anonymous.joinOrCreate('farm', { ownerId: owner.playerId }));
    expect(forged.code).toBe(401);
    expect(forged.message).toMatch(/^TOKEN_INVALID: /);

    for (const ownerId of ['nope', 42, null]) {
      const bad = await joinRefused(owner.client.joinOrCreate('farm', { ownerId }));
      expect(bad.code).toBe(422);
      expect(bad.message).toMatch(/^VALIDATION_FAILED: /);
    }
    const missing = await joinRefused(owner.client.create('farm', {}));
    expect(missing.code).toBe(422);
    expect(missing.message).toMatch(/^VALIDATION_FAILED: /);
  });

  it('refuses malformed messages with VALIDATION_FAILED and a flood with RATE_LIMITED, changing nothing', async () => {
    const { db } = database;
    const room = await joinFarm(owner, owner.playerId);
    const before = await footprint(db, owner.playerId);
    const shown = stateOf(room).plots;

    for (const [type, body] of [
      ['plant', { plotId: 'starter-6' }],
      ['plant', { plotId: 'starter-6', seed: 'wheat-seed', extra: true }],
      ['plant', { plotId: 6, seed: 'wheat-seed' }],
      ['plant', { plotId: 'starter-6', seed: '' }],
      ['water', { plotId: 'x'.repeat(81) }],
      ['harvest', null],
      ['clear', 'starter-6'],
    ] as const) {
      await expect(refusal(room.request(type, body))).resolves.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    const unknown = within(new Promise((resolve) => room.onMessage('refused', resolve)), 'the refusal of an unknown message');
    room.send('fertilise', { plotId: 'starter-6' });
    await expect(unknown).resolves.toMatchObject({ code: 'VALIDATION_FAILED' });

    // Bucket: 10 a second, bursts of 20. Forty at once: the first ones reach the farm service (which refuses:
    // starter-6 is empty), the rest are refused before it.
    const answers = await Promise.all(Array.from({ length: 40 }, () => refusal(room.request('water', { plotId: 'starter-6' }))));
    const codes = answers.map((a) => a.code);
    expect(new Set(codes)).toEqual(new Set(['PLOT_EMPTY', 'RATE_LIMITED']));
    expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(10);

    expect(await footprint(db, owner.playerId)).toEqual(before);
    expect(stateOf(room).plots.map((p) => [p.id, p.cropId, p.phase])).toEqual(shown.map((p) => [p.id, p.cropId, p.phase]));
  });

  it('removes a visitor who stops being a friend at the next refresh', async () => {
    await joinFarm(owner, owner.playerId);
    const friendRoom = await joinFarm(friend, owner.playerId);
    const told = within(new Promise((resolve) => friendRoom.onMessage('refused', resolve)), 'the notice');
    const left = within(new Promise((resolve) => friendRoom.onLeave(resolve)), 'the removal');
    await removeFriend(database.db, { playerId: owner.playerId, otherId: friend.playerId });
    await expect(told).resolves.toMatchObject({ code: 'FARM_NOT_VISIBLE' });
    await expect(left).resolves.toBe(4404);
    const again = await joinRefused(friend.client.joinOrCreate('farm', { ownerId: owner.playerId }));
    expect(again.message).toMatch(/^FARM_NOT_VISIBLE: /);
  });
});
