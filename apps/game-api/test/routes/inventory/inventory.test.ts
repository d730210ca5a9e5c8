import { useTestDatabase } from '@harvest/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectLedgerMatchesBalances, GAME_DATA, give, newPlayer, publishRepositoryGameData } from '../../economy-helpers.ts';
import { createTestApp, expectError, newWallet, signIn, type TestApp } from '../../helpers.ts';

const database = useTestDatabase();
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp(database.db);
});
afterAll(async () => {
  await t?.close();
});

const get = (url: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url, headers });
const starter = GAME_DATA.rewards.starter;

describe('starter grant and GET /v1/inventory', () => {
  it('a player created before any game data is published gets the starter grant on first inventory read, once', async () => {
    const early = await newPlayer(t.app);
    expect(await database.db.cardInstance.count({ where: { ownerId: early.id } })).toBe(0);
    expectError(await get('/v1/inventory', early.headers), 503, 'GAME_DATA_UNAVAILABLE');

    await publishRepositoryGameData(database.db);
    const reads = await Promise.all(Array.from({ length: 5 }, () => get('/v1/inventory?limit=200', early.headers)));
    for (const read of reads) expect(read.statusCode, read.body).toBe(200);
    const last = reads[4]?.json();
    expect(last.gold).toBe(starter.gold);
    expect(await database.db.cardInstance.count({ where: { ownerId: early.id } })).toBe(starter.deck.length);
    expect(await database.db.ledgerEntry.count({ where: { playerId: early.id, reason: 'starter_grant' } })).toBe(1 + starter.items.length);
    await expectLedgerMatchesBalances(database.db, early.id);
  });

  it('guest and wallet sign-ups get the starter deck, seeds and gold exactly once (not again on the next sign-in)', async () => {
    const guest = await newPlayer(t.app);
    const wallet = newWallet();
    const first = await signIn(t.app, wallet);
    await signIn(t.app, wallet);
    for (const playerId of [guest.id, first.player.id]) {
      const player = await database.db.player.findUniqueOrThrow({ where: { id: playerId } });
      expect(player.gold).toBe(starter.gold);
      expect(player.starterGrantedAt).toBeInstanceOf(Date);
      const cards = await database.db.cardInstance.findMany({ where: { ownerId: playerId } });
      expect(cards.map((c) => c.definitionId).sort()).toEqual([...starter.deck].sort());
      expect(cards.every((c) => c.origin === 'starter' && c.state === 'in_game' && c.contentVersion === 1)).toBe(true);
      const seeds = await database.db.playerResource.findMany({ where: { playerId }, orderBy: { itemId: 'asc' } });
      expect(seeds.map((s) => [s.itemId, s.quantity])).toEqual(
        starter.items.map((i) => [i.item, i.quantity]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      const events = await database.db.outboxEvent.findMany({ where: { key: playerId, type: 'gold_changed' } });
      expect(events).toHaveLength(1);
      expect(events[0]?.payload).toMatchObject({ playerId, delta: starter.gold, balance: starter.gold, reason: 'starter_grant' });
    }
  });

  it('pages through cards with a cursor, filters by state, and shows resources with names', async () => {
    const player = await newPlayer(t.app);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await get(`/v1/inventory?limit=7${cursor ? `&cursor=${cursor}` : ''}`, player.headers);
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json();
      expect(body.gold).toBe(starter.gold);
      expect(body.contentVersion).toBe(1);
      seen.push(...body.cards.map((c: { id: string }) => c.id));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(Math.ceil(starter.deck.length / 7));
    expect(new Set(seen).size).toBe(starter.deck.length);

    const body = (await get('/v1/inventory', player.headers)).json();
    expect(body.resources).toContainEqual({ itemId: 'wheat-seed', quantity: 12, name: 'Wheat Seeds', kind: 'seed' });
    expect(body.cards[0]).toMatchObject({ state: 'in_game', origin: 'starter', provenance: null, tokenId: null });
    expect(body.cards[0].name).toEqual(expect.any(String));

    const card = body.cards[0].id as string;
    await database.db.cardInstance.update({ where: { id: card }, data: { state: 'minting' } });
    const minting = (await get('/v1/inventory?state=minting', player.headers)).json();
    expect(minting.cards.map((c: { id: string }) => c.id)).toEqual([card]);
  });

  it('refuses bad cursors and queries with codes', async () => {
    const player = await newPlayer(t.app);
    expectError(await get('/v1/inventory?cursor=bm90LWEtY3Vyc29y', player.headers), 422, 'CURSOR_INVALID');
    expectError(await get('/v1/inventory?limit=0', player.headers), 422, 'VALIDATION_FAILED');
    expectError(await get('/v1/inventory?limit=201', player.headers), 422, 'VALIDATION_FAILED');
    expectError(await get('/v1/inventory?state=lost', player.headers), 422, 'VALIDATION_FAILED');
    expectError(await get('/v1/inventory?sneaky=1', player.headers), 422, 'VALIDATION_FAILED');
    expectError(await get('/v1/inventory', {}), 401, 'UNAUTHENTICATED');
  });

  it('GET /v1/inventory/cards/:id: mine 200, another player’s or a missing one 404, a malformed id 422', async () => {
    const me = await newPlayer(t.app);
    const other = await newPlayer(t.app);
    const mine = (await get('/v1/inventory', me.headers)).json().cards[0];
    const theirs = (await get('/v1/inventory', other.headers)).json().cards[0];
    expect((await get(`/v1/inventory/cards/${mine.id}`, me.headers)).json()).toEqual(mine);
    const foreign = expectError(await get(`/v1/inventory/cards/${theirs.id}`, me.headers), 404, 'CARD_NOT_FOUND');
    const missing = expectError(await get(`/v1/inventory/cards/${crypto.randomUUID()}`, me.headers), 404, 'CARD_NOT_FOUND');
    expect(Object.keys(foreign.error)).toEqual(Object.keys(missing.error));
    expectError(await get('/v1/inventory/cards/not-a-uuid', me.headers), 422, 'VALIDATION_FAILED');
  });
});

describe('GET /v1/ledger', () => {
  it('lists my ledger newest first with keyset pagination and filters, and only mine', async () => {
    const me = await newPlayer(t.app);
    const other = await newPlayer(t.app);
    for (let i = 1; i <= 5; i++) await give(database.db, me.id, { gold: i, items: { wood: i } });
    await give(database.db, other.id, { gold: 99 });

    const all: Array<{ id: string; playerId?: string; asset: string; delta: number }> = [];
    let cursor: string | null = null;
    do {
      const response = await get(`/v1/ledger?limit=4${cursor ? `&cursor=${cursor}` : ''}`, me.headers);
      expect(response.statusCode, response.body).toBe(200);
      all.push(...response.json().entries);
      cursor = response.json().nextCursor;
    } while (cursor);
    // Starter: gold + 4 seed items; then 5 gold + 5 wood rows.
    expect(all).toHaveLength(1 + starter.items.length + 10);
    expect(all.map((e) => Number(e.id))).toEqual([...all.map((e) => Number(e.id))].sort((a, b) => b - a));
    expect(all.some((e) => e.delta === 99)).toBe(false);

    const wood = (await get('/v1/ledger?itemId=wood', me.headers)).json().entries;
    expect(wood.map((e: { delta: number }) => e.delta)).toEqual([5, 4, 3, 2, 1]);
    const gold = (await get('/v1/ledger?asset=gold&limit=2', me.headers)).json();
    expect(gold.entries.map((e: { delta: number }) => e.delta)).toEqual([5, 4]);
    expectError(await get('/v1/ledger?cursor=abc', me.headers), 422, 'CURSOR_INVALID');
    expectError(await get('/v1/ledger?asset=diamonds', me.headers), 422, 'VALIDATION_FAILED');
    await expectLedgerMatchesBalances(database.db, me.id);
  });
});

describe('ledger services', () => {
  it('refuses to go below zero or past the column limit, writing nothing', async () => {
    const me = await newPlayer(t.app);
    await expect(give(database.db, me.id, { gold: -(starter.gold + 1) })).rejects.toMatchObject({ code: 'INSUFFICIENT_GOLD' });
    await expect(give(database.db, me.id, { items: { 'wheat-seed': -13 } })).rejects.toMatchObject({
      code: 'INSUFFICIENT_RESOURCES',
      details: { itemId: 'wheat-seed', required: 13, balance: 12 },
    });
    await expect(give(database.db, me.id, { items: { wood: 2_147_483_647, stone: 1 } })).resolves.toBeUndefined();
    await expect(give(database.db, me.id, { items: { stone: 1, wood: 1 } })).rejects.toMatchObject({ code: 'BALANCE_LIMIT' });
    const stone = await database.db.playerResource.findUniqueOrThrow({ where: { playerId_itemId: { playerId: me.id, itemId: 'stone' } } });
    expect(stone.quantity).toBe(1);
    await expect(give(database.db, me.id, { gold: 2_147_483_647 })).rejects.toMatchObject({ code: 'BALANCE_LIMIT' });
    await expectLedgerMatchesBalances(database.db, me.id);
  });
});
