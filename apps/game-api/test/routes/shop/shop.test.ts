import { useTestDatabase } from '@harvest/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectLedgerMatchesBalances,
  GAME_DATA,
  give,
  newPlayer,
  type Player,
  publishRepositoryGameData,
  setBalances,
} from '../../economy-helpers.ts';
import { createTestApp, expectError, type TestApp } from '../../helpers.ts';

const database = useTestDatabase();
let t: TestApp;

beforeAll(async () => {
  await publishRepositoryGameData(database.db);
  t = await createTestApp(database.db, { economy: { writesPerMinute: 100_000 } });
});
afterAll(async () => {
  await t?.close();
});

const trade = (player: Player, side: 'buy' | 'sell', payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: `/v1/shop/${side}`, headers: { ...player.headers, ...headers }, payload });
const price = (seed: string) => GAME_DATA.crops.find((c) => c.seed === seed)?.seedPrice as number;
const value = (item: string) => GAME_DATA.items.find((i) => i.id === item)?.value as number;

describe('shop', () => {
  it('lists prices from the published game data', async () => {
    const player = await newPlayer(t.app);
    const body = (await t.app.inject({ method: 'GET', url: '/v1/shop', headers: player.headers })).json();
    expect(body.contentVersion).toBe(1);
    expect(body.buy).toContainEqual({ itemId: 'pumpkin-seed', name: 'Pumpkin Seeds', cropId: 'pumpkin', price: price('pumpkin-seed') });
    expect(body.sell).toContainEqual({ itemId: 'pumpkin', name: 'Pumpkin', kind: 'crop', price: value('pumpkin') });
    expect(body.sell.some((s: { itemId: string }) => s.itemId.endsWith('-seed'))).toBe(false);
  });

  it('buys seeds for gold and sells crops for gold, with ledger rows and gold_changed', async () => {
    const player = await newPlayer(t.app);
    const gold = GAME_DATA.rewards.starter.gold;
    const bought = await trade(player, 'buy', { itemId: 'carrot-seed', quantity: 3 });
    expect(bought.statusCode, bought.body).toBe(200);
    expect(bought.json()).toMatchObject({
      itemId: 'carrot-seed',
      quantity: 3,
      unitPrice: price('carrot-seed'),
      total: 3 * price('carrot-seed'),
      balances: { gold: gold - 3 * price('carrot-seed'), item: 6 + 3 },
    });
    await give(database.db, player.id, { items: { pumpkin: 2 } });
    const sold = await trade(player, 'sell', { itemId: 'pumpkin', quantity: 2 });
    expect(sold.json()).toMatchObject({
      total: 2 * value('pumpkin'),
      balances: { gold: gold - 3 * price('carrot-seed') + 2 * value('pumpkin'), item: 0 },
    });
    const events = await database.db.outboxEvent.findMany({ where: { key: player.id, type: 'gold_changed' }, orderBy: { id: 'asc' } });
    expect(events.map((e) => (e.payload as { reason: string }).reason)).toEqual(['starter_grant', 'shop_buy', 'shop_sell']);
    await expectLedgerMatchesBalances(database.db, player.id);
  });

  it('refuses what the shop does not trade, what I cannot afford or do not have, and bad quantities', async () => {
    const player = await newPlayer(t.app);
    expectError(await trade(player, 'buy', { itemId: 'pumpkin', quantity: 1 }), 422, 'ITEM_NOT_FOR_SALE');
    expectError(await trade(player, 'sell', { itemId: 'wheat-seed', quantity: 1 }), 422, 'ITEM_NOT_SELLABLE');
    expectError(await trade(player, 'sell', { itemId: 'no-such-item', quantity: 1 }), 422, 'ITEM_NOT_SELLABLE');
    expectError(await trade(player, 'sell', { itemId: 'pumpkin', quantity: 1 }), 409, 'INSUFFICIENT_RESOURCES');
    await setBalances(database.db, player.id, { gold: price('moonberry-seed') - 1, items: {} });
    const poor = expectError(await trade(player, 'buy', { itemId: 'moonberry-seed', quantity: 1 }), 409, 'INSUFFICIENT_GOLD');
    expect(poor.error.details).toEqual({ required: price('moonberry-seed'), balance: price('moonberry-seed') - 1 });
    for (const quantity of [0, -1, 10_001, 1.5, '1', null]) {
      expectError(await trade(player, 'buy', { itemId: 'wheat-seed', quantity }), 422, 'VALIDATION_FAILED');
    }
    await expectLedgerMatchesBalances(database.db, player.id);
  });

  it('a retried trade with its Idempotency-Key happens once', async () => {
    const player = await newPlayer(t.app);
    const key = { 'idempotency-key': crypto.randomUUID() };
    const responses = await Promise.all(Array.from({ length: 5 }, () => trade(player, 'buy', { itemId: 'wheat-seed', quantity: 1 }, key)));
    expect(new Set(responses.map((r) => `${r.statusCode} ${r.body}`)).size).toBe(1);
    expect(await database.db.ledgerEntry.count({ where: { playerId: player.id, reason: 'shop_buy' } })).toBe(2);
    expectError(await trade(player, 'buy', { itemId: 'wheat-seed', quantity: 2 }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
  });
});
