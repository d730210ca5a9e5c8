import { useTestDatabase } from '@harvest/db/testing';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectLedgerMatchesBalances,
  GAME_DATA,
  give,
  newKey,
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

const craft = (player: Player, payload: Record<string, unknown>, key: string | null = newKey()): Promise<LightMyRequestResponse> =>
  t.app.inject({
    method: 'POST',
    url: '/v1/crafts',
    headers: { ...player.headers, ...(key === null ? {} : { 'idempotency-key': key }) },
    payload,
  });

async function cardsOf(player: Player, definitionId: string): Promise<string[]> {
  const cards = await database.db.cardInstance.findMany({
    where: { ownerId: player.id, definitionId, state: 'in_game' },
    orderBy: { id: 'asc' },
  });
  return cards.map((c) => c.id);
}

describe('POST /v1/crafts', () => {
  it('consumes the inputs, creates the card with its provenance, writes ledger rows and `crafted`, all at once', async () => {
    const player = await newPlayer(t.app);
    await give(database.db, player.id, { items: { sunflower: 4 } });
    const sprites = await cardsOf(player, 'sunpetal-sprite');
    expect(sprites).toHaveLength(2);
    const before = Date.now();
    const response = await craft(player, { recipeId: 'forge-phoenix-chick', cardIds: sprites });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    const startGold = GAME_DATA.rewards.starter.gold;
    expect(body).toMatchObject({
      recipeId: 'forge-phoenix-chick',
      card: { definitionId: 'phoenix-chick', state: 'in_game', origin: 'crafted', contentVersion: 1 },
      consumed: { gold: 80, items: [{ itemId: 'sunflower', quantity: 4 }], cardIds: [...sprites].sort() },
      balances: { gold: startGold - 80, items: [{ itemId: 'sunflower', quantity: 0 }] },
    });
    expect(body.card.provenance).toMatchObject({ craftedBy: player.id, recipeId: 'forge-phoenix-chick', contentVersion: 1 });
    expect(Date.parse(body.card.provenance.craftedAt)).toBeGreaterThanOrEqual(before - 1000);

    const stored = await database.db.cardInstance.findUniqueOrThrow({ where: { id: body.card.id } });
    expect(stored).toMatchObject({
      ownerId: player.id,
      craftedById: player.id,
      recipeId: 'forge-phoenix-chick',
      origin: 'crafted',
      contentVersion: 1,
    });
    const consumed = await database.db.cardInstance.findMany({ where: { id: { in: sprites } } });
    expect(consumed.map((c) => c.state)).toEqual(['consumed', 'consumed']);
    const ledger = await database.db.ledgerEntry.findMany({ where: { playerId: player.id, reason: 'craft' } });
    expect(ledger.map((l) => [l.asset, l.itemId, l.delta]).sort()).toEqual([
      ['gold', null, -80],
      ['item', 'sunflower', -4],
    ]);
    expect(new Set(ledger.map((l) => l.referenceId))).toEqual(new Set([`craft:${body.card.id}`]));
    const events = await database.db.outboxEvent.findMany({
      where: { key: player.id, type: { in: ['crafted', 'gold_changed'] } },
      orderBy: { id: 'asc' },
    });
    expect(events.map((e) => e.type)).toEqual(['gold_changed', 'gold_changed', 'crafted']);
    expect(events[2]?.payload).toEqual({
      playerId: player.id,
      recipeId: 'forge-phoenix-chick',
      cardId: body.card.id,
      definitionId: 'phoenix-chick',
      contentVersion: 1,
    });
    await expectLedgerMatchesBalances(database.db, player.id);
  });

  it('refuses with typed errors and writes nothing: resources, gold, cards (wrong, foreign, busy), unknown and locked recipes', async () => {
    const player = await newPlayer(t.app);
    const other = await newPlayer(t.app);
    const sprites = await cardsOf(player, 'sunpetal-sprite');
    const ledgerBefore = await database.db.ledgerEntry.count({ where: { playerId: player.id } });
    expectError(await craft(player, { recipeId: 'forge-phoenix-chick', cardIds: sprites }), 409, 'INSUFFICIENT_RESOURCES');
    await give(database.db, player.id, { items: { sunflower: 8 } });
    expectError(await craft(player, { recipeId: 'forge-phoenix-chick', cardIds: sprites.slice(0, 1) }), 422, 'CRAFT_INPUT_MISMATCH');
    const foreign = await cardsOf(other, 'sunpetal-sprite');
    expectError(await craft(player, { recipeId: 'forge-phoenix-chick', cardIds: [sprites[0], foreign[0]] }), 404, 'CARD_NOT_FOUND');
    expectError(
      await craft(player, { recipeId: 'forge-phoenix-chick', cardIds: [sprites[0], crypto.randomUUID()] }),
      404,
      'CARD_NOT_FOUND',
    );
    await database.db.cardInstance.update({ where: { id: sprites[1] as string }, data: { state: 'minting' } });
    expectError(await craft(player, { recipeId: 'forge-phoenix-chick', cardIds: sprites }), 409, 'CARD_UNAVAILABLE');
    await database.db.cardInstance.update({ where: { id: sprites[1] as string }, data: { state: 'in_game' } });
    expectError(await craft(player, { recipeId: 'no-such-recipe' }), 404, 'RECIPE_NOT_FOUND');
    expectError(await craft(player, { recipeId: 'meadow-sunrise-rite' }), 403, 'RECIPE_LOCKED');
    await setBalances(database.db, player.id, { gold: 10, items: {} });
    expectError(await craft(player, { recipeId: 'forge-phoenix-chick', cardIds: sprites }), 409, 'INSUFFICIENT_GOLD');
    // Only the balance adjustments above wrote ledger rows.
    expect(await database.db.ledgerEntry.count({ where: { playerId: player.id, reason: 'craft' } })).toBe(0);
    expect(await database.db.ledgerEntry.count({ where: { playerId: player.id } })).toBeGreaterThan(ledgerBefore);
    expect(await cardsOf(player, 'sunpetal-sprite')).toHaveLength(2);
    expect(await database.db.cardInstance.count({ where: { ownerId: player.id, origin: 'crafted' } })).toBe(0);
    await expectLedgerMatchesBalances(database.db, player.id);
  });

  it('land perks unlock exclusive recipes (GET /v1/recipes shows them), for the parcel holder only', async () => {
    const player = await newPlayer(t.app);
    const epic = GAME_DATA.cards.find((c) => c.rarity === 'epic' && !c.token);
    if (!epic) throw new Error('no epic card in the game data');
    const card = await database.db.cardInstance.create({
      data: { definitionId: epic.id, ownerId: player.id, origin: 'reward', contentVersion: 1 },
    });
    await give(database.db, player.id, { gold: 500, items: { sunflower: 20, essence: 12 } });
    const recipes = async () => (await t.app.inject({ method: 'GET', url: '/v1/recipes', headers: player.headers })).json().recipes;
    const locked = (await recipes()).find((r: { id: string }) => r.id === 'meadow-sunrise-rite');
    expect(locked).toMatchObject({ exclusive: true, unlocked: false, unlockedBy: null, perks: ['meadow-sunrise'], craftable: false });

    await database.db.landParcel.update({ where: { id: 'meadow-3' }, data: { ownerId: player.id } });
    const unlocked = (await recipes()).find((r: { id: string }) => r.id === 'meadow-sunrise-rite');
    expect(unlocked).toMatchObject({ unlocked: true, unlockedBy: 'meadow-3', craftable: true, missing: { gold: 0, items: [], cards: [] } });
    expect(unlocked.outcomes).toEqual([{ definitionId: 'helios-the-golden', name: expect.any(String), probability: 1 }]);
    const craftable = (await t.app.inject({ method: 'GET', url: '/v1/recipes?craftable=true', headers: player.headers })).json().recipes;
    expect(craftable.every((r: { craftable: boolean }) => r.craftable)).toBe(true);
    expect(craftable.map((r: { id: string }) => r.id)).toContain('meadow-sunrise-rite');

    const response = await craft(player, { recipeId: 'meadow-sunrise-rite', cardIds: [card.id] });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().card.definitionId).toBe('helios-the-golden');
    await database.db.landParcel.update({ where: { id: 'meadow-3' }, data: { ownerId: null } });
  });

  it('requires an Idempotency-Key; the same key with another body is IDEMPOTENCY_KEY_REUSED; refusals are replayed too', async () => {
    const player = await newPlayer(t.app);
    expectError(await craft(player, { recipeId: 'sun-seed-bundle' }, null), 422, 'IDEMPOTENCY_KEY_REQUIRED');
    expectError(await craft(player, { recipeId: 'sun-seed-bundle' }, 'bad key with spaces'), 422, 'VALIDATION_FAILED');

    const key = newKey();
    const refused = await craft(player, { recipeId: 'sun-seed-bundle' }, key);
    expectError(refused, 409, 'INSUFFICIENT_RESOURCES');
    await give(database.db, player.id, { items: { wheat: 6 } });
    const replayed = await craft(player, { recipeId: 'sun-seed-bundle' }, key);
    expect(replayed.statusCode).toBe(409);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.json()).toEqual(refused.json());
    expectError(await craft(player, { recipeId: 'rain-seed-bundle' }, key), 422, 'IDEMPOTENCY_KEY_REUSED');

    const second = newKey();
    const ok = await craft(player, { recipeId: 'sun-seed-bundle' }, second);
    expect(ok.statusCode, ok.body).toBe(201);
    const again = await craft(player, { recipeId: 'sun-seed-bundle' }, second);
    expect({ status: again.statusCode, body: again.json() }).toEqual({ status: 201, body: ok.json() });
    expect(await database.db.cardInstance.count({ where: { ownerId: player.id, origin: 'crafted' } })).toBe(1);
    // Keys are per player: another player may use the same key for its own request.
    const other = await newPlayer(t.app);
    expectError(await craft(other, { recipeId: 'sun-seed-bundle' }, second), 409, 'INSUFFICIENT_RESOURCES');
  });

  it('acceptance: 50 parallel requests with one Idempotency-Key craft once and answer 50 identical responses', async () => {
    const player = await newPlayer(t.app);
    await give(database.db, player.id, { items: { wheat: 6 * 10 } });
    const key = newKey();
    const responses = await Promise.all(Array.from({ length: 50 }, () => craft(player, { recipeId: 'sun-seed-bundle' }, key)));
    const first = responses[0] as LightMyRequestResponse;
    expect(first.statusCode, first.body).toBe(201);
    for (const response of responses)
      expect({ status: response.statusCode, body: response.body }).toEqual({ status: 201, body: first.body });
    expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(49);
    expect(await database.db.cardInstance.count({ where: { ownerId: player.id, origin: 'crafted' } })).toBe(1);
    expect(await database.db.ledgerEntry.count({ where: { playerId: player.id, reason: 'craft' } })).toBe(2);
    expect(await database.db.outboxEvent.count({ where: { key: player.id, type: 'crafted' } })).toBe(1);
    await expectLedgerMatchesBalances(database.db, player.id);
  });

  it('acceptance: 200 parallel crafts whose inputs allow exactly 37: 37 succeed, the rest are refused, ledger = balances, no 5xx', async () => {
    const player = await newPlayer(t.app);
    // sun-seed-bundle: 40 gold + 6 wheat. Both run out after exactly 37 crafts.
    await setBalances(database.db, player.id, { gold: 40 * 37 + 39, items: { wheat: 6 * 37 + 5 } });
    const responses = await Promise.all(Array.from({ length: 200 }, () => craft(player, { recipeId: 'sun-seed-bundle' })));
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s === 201)).toHaveLength(37);
    for (const refused of responses.filter((r) => r.statusCode !== 201)) {
      expect(refused.statusCode).toBe(409);
      expect(['INSUFFICIENT_GOLD', 'INSUFFICIENT_RESOURCES']).toContain(refused.json().error.code);
    }
    const player_ = await database.db.player.findUniqueOrThrow({ where: { id: player.id } });
    expect(player_.gold).toBe(39);
    const wheat = await database.db.playerResource.findUniqueOrThrow({
      where: { playerId_itemId: { playerId: player.id, itemId: 'wheat' } },
    });
    expect(wheat.quantity).toBe(5);
    expect(await database.db.cardInstance.count({ where: { ownerId: player.id, recipeId: 'sun-seed-bundle' } })).toBe(37);
    expect(await database.db.outboxEvent.count({ where: { key: player.id, type: 'crafted' } })).toBe(37);
    await expectLedgerMatchesBalances(database.db, player.id);
  });
});
