import { confirmMint, transferCard } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GAME_DATA, give, newKey, newPlayer, type Player, publishRepositoryGameData } from '../../economy-helpers.ts';
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

const call = (player: Player, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  t.app.inject({ method, url, headers: player.headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
const starterCards = async (player: Player) =>
  (await database.db.cardInstance.findMany({ where: { ownerId: player.id, origin: 'starter' }, orderBy: { id: 'asc' } })).map((c) => ({
    id: c.id,
    def: c.definitionId,
  }));

describe('decks', () => {
  it('creates, lists, reads, renames, replaces cards and deletes a deck; the starter deck is legal', async () => {
    const player = await newPlayer(t.app);
    const cards = await starterCards(player);
    expect(cards).toHaveLength(GAME_DATA.battle.deckSize);
    const created = await call(player, 'POST', '/v1/decks', { name: 'Sun rush', cardIds: cards.map((c) => c.id) });
    expect(created.statusCode, created.body).toBe(201);
    const deck = created.json();
    expect(deck).toMatchObject({ name: 'Sun rush', legal: true, problems: [] });
    expect(deck.cards.map((c: { cardId: string }) => c.cardId)).toEqual(cards.map((c) => c.id));

    expect((await call(player, 'GET', '/v1/decks')).json().decks.map((d: { id: string }) => d.id)).toEqual([deck.id]);
    expect((await call(player, 'GET', `/v1/decks/${deck.id}`)).json()).toEqual(deck);
    const renamed = (await call(player, 'PUT', `/v1/decks/${deck.id}`, { name: 'Dawn' })).json();
    expect(renamed).toMatchObject({ name: 'Dawn', legal: true });
    const shorter = (await call(player, 'PUT', `/v1/decks/${deck.id}`, { cardIds: cards.slice(0, 19).map((c) => c.id) })).json();
    expect(shorter.legal).toBe(false);
    expect(shorter.problems).toEqual([{ code: 'DECK_SIZE', message: expect.stringContaining('19') }]);
    const validated = (await call(player, 'POST', `/v1/decks/${deck.id}/validate`)).json();
    expect(validated).toEqual({ deckId: deck.id, legal: false, problems: shorter.problems, contentVersion: 1 });

    expect((await call(player, 'DELETE', `/v1/decks/${deck.id}`)).statusCode).toBe(204);
    expectError(await call(player, 'GET', `/v1/decks/${deck.id}`), 404, 'DECK_NOT_FOUND');
    expectError(await call(player, 'DELETE', `/v1/decks/${deck.id}`), 404, 'DECK_NOT_FOUND');
  });

  it('a deck that stops being legal (a card consumed by a craft, a card sold on chain) reports why until fixed', async () => {
    const player = await newPlayer(t.app);
    const buyer = await newPlayer(t.app);
    const cards = await starterCards(player);
    const deck = (await call(player, 'POST', '/v1/decks', { name: 'Main', cardIds: cards.map((c) => c.id) })).json();
    expect(deck.legal).toBe(true);

    // Two sunpetal sprites go into a craft.
    const sprites = cards.filter((c) => c.def === 'sunpetal-sprite').map((c) => c.id);
    await give(database.db, player.id, { items: { sunflower: 4 } });
    const crafted = await t.app.inject({
      method: 'POST',
      url: '/v1/crafts',
      headers: { ...player.headers, 'idempotency-key': newKey() },
      payload: { recipeId: 'forge-phoenix-chick', cardIds: sprites },
    });
    expect(crafted.statusCode, crafted.body).toBe(201);
    // Another card is minted and sold to another player's wallet.
    const sold = cards.find((c) => c.def === 'scarecrow')?.id as string;
    await database.db.cardInstance.update({ where: { id: sold }, data: { state: 'minting' } });
    await confirmMint(database.db, { cardId: sold, tokenId: '7', ownerId: player.id });
    await transferCard(database.db, { tokenId: '7', ownerId: buyer.id });

    const broken = (await call(player, 'GET', `/v1/decks/${deck.id}`)).json();
    expect(broken.legal).toBe(false);
    expect(broken.problems.map((p: { code: string }) => p.code).sort()).toEqual(['CARD_NOT_OWNED', 'CARD_UNAVAILABLE', 'CARD_UNAVAILABLE']);
    expect(broken.cards.find((c: { cardId: string }) => c.cardId === sold)).toMatchObject({ owned: false, state: 'on_chain' });
    // The buyer cannot see the seller's deck.
    expectError(await call(buyer, 'GET', `/v1/decks/${deck.id}`), 404, 'DECK_NOT_FOUND');

    // Fix it: swap the three lost cards for the crafted card... still 18 cards, so DECK_SIZE remains, then legal with 20.
    const remaining = cards.filter((c) => !sprites.includes(c.id) && c.id !== sold).map((c) => c.id);
    const partial = (await call(player, 'PUT', `/v1/decks/${deck.id}`, { cardIds: remaining })).json();
    expect(partial.problems.map((p: { code: string }) => p.code)).toEqual(['DECK_SIZE']);
    const extra = await database.db.cardInstance.createManyAndReturn({
      data: ['dawn-scout', 'sunflare', 'ember-finch'].map((definitionId) => ({
        definitionId,
        ownerId: player.id,
        origin: 'reward' as const,
        contentVersion: 1,
      })),
    });
    const fixed = (
      await call(player, 'PUT', `/v1/decks/${deck.id}`, {
        cardIds: [...remaining, ...extra.slice(0, 2).map((c) => c.id), crafted.json().card.id],
      })
    ).json();
    expect(fixed.problems).toEqual([
      { code: 'TOO_MANY_COPIES', message: expect.any(String) },
      { code: 'TOO_MANY_COPIES', message: expect.any(String) },
    ]);
  });

  it('only my cards go into my decks; another player’s deck ids answer 404; inputs are checked', async () => {
    const player = await newPlayer(t.app);
    const other = await newPlayer(t.app);
    const mine = await starterCards(player);
    const theirs = await starterCards(other);
    expectError(await call(player, 'POST', '/v1/decks', { name: 'Thief', cardIds: [mine[0]?.id, theirs[0]?.id] }), 404, 'CARD_NOT_FOUND');
    const theirDeck = (await call(other, 'POST', '/v1/decks', { name: 'Theirs', cardIds: [] })).json();
    expectError(await call(player, 'GET', `/v1/decks/${theirDeck.id}`), 404, 'DECK_NOT_FOUND');
    expectError(await call(player, 'PUT', `/v1/decks/${theirDeck.id}`, { name: 'Mine now' }), 404, 'DECK_NOT_FOUND');
    expectError(await call(player, 'DELETE', `/v1/decks/${theirDeck.id}`), 404, 'DECK_NOT_FOUND');
    expectError(await call(player, 'POST', `/v1/decks/${theirDeck.id}/validate`), 404, 'DECK_NOT_FOUND');
    expect((await call(other, 'GET', `/v1/decks/${theirDeck.id}`)).json().name).toBe('Theirs');
    expectError(await call(player, 'POST', '/v1/decks', { name: '', cardIds: [] }), 422, 'VALIDATION_FAILED');
    expectError(await call(player, 'POST', '/v1/decks', { name: 'x'.repeat(41) }), 422, 'VALIDATION_FAILED');
    expectError(await call(player, 'POST', '/v1/decks', { name: 'ok\u0000' }), 422, 'VALIDATION_FAILED');
    expectError(await call(player, 'POST', '/v1/decks', { name: 'Dup', cardIds: [mine[0]?.id, mine[0]?.id] }), 422, 'VALIDATION_FAILED');
    expectError(await call(player, 'PUT', `/v1/decks/${theirDeck.id}`, {}), 422, 'VALIDATION_FAILED');
    expectError(await call(player, 'GET', '/v1/decks/not-a-uuid'), 422, 'VALIDATION_FAILED');
  });
});
