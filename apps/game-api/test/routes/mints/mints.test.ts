/**
 * Mint routes: POST /v1/mints (linked wallet, owner only, no guests, Idempotency-Key, jobs on the minter's real
 * BullMQ queue), GET one, list mine, admin dead letters, and the public metadata routes (JSON + SVG).
 */
import { randomBytes } from 'node:crypto';
import { cardTokenId, confirmMintedTokens, failMintItems, getMintRequest, landTokenId } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMintJobs } from '../../../src/routes/mints/jobs.ts';
import { newKey, publishRepositoryGameData } from '../../economy-helpers.ts';
import { bearer, createGuest, createTestApp, expectError, newWallet, redisUrl, signIn, type TestApp } from '../../helpers.ts';

const database = useTestDatabase();
const CONTRACTS = { cards: '0x5fbdb2315678afecb367f032d93f642f64180aa3', land: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512' };
const prefix = `test-mints-${randomBytes(5).toString('hex')}`;
const queueRedis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
const jobs = createMintJobs(queueRedis, prefix);
let t: TestApp;

beforeAll(async () => {
  await publishRepositoryGameData(database.db);
  t = await createTestApp(database.db, { mints: { chainId: 31337, contracts: () => CONTRACTS, jobs, requestsPerMinute: 1000 } });
});
afterAll(async () => {
  await t?.close();
  await jobs.close();
  queueRedis.disconnect();
});

async function walletPlayer() {
  const wallet = newWallet();
  const tokens = await signIn(t.app, wallet);
  const cards = await database.db.cardInstance.findMany({ where: { ownerId: tokens.player.id }, orderBy: { id: 'asc' } });
  expect(cards.length).toBeGreaterThan(3);
  return { wallet: wallet.address, id: tokens.player.id, headers: bearer(tokens.accessToken), cards };
}

const post = (headers: Record<string, string>, payload: unknown, key: string | null = newKey()) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/mints',
    headers: { ...headers, ...(key ? { 'idempotency-key': key } : {}) },
    payload: payload as object,
  });

describe('POST /v1/mints', () => {
  it('moves the cards to minting, answers 202 with derived token ids, and queues a job on the minter queue', async () => {
    const p = await walletPlayer();
    const ids = p.cards.slice(0, 2).map((c) => c.id);
    const response = await post(p.headers, { walletAddress: p.wallet, cardIds: ids });
    expect(response.statusCode, response.body).toBe(202);
    const body = response.json();
    expect(body).toMatchObject({ kind: 'card', chainId: 31337, walletAddress: p.wallet.toLowerCase(), status: 'pending' });
    expect(body.items).toHaveLength(2);
    for (const item of body.items) {
      const card = p.cards.find((c) => c.id === item.cardId);
      expect(item.tokenId).toBe(cardTokenId(card?.definitionId as string, item.cardId).toString());
      expect(item.contract).toBe(CONTRACTS.cards);
      expect(item.status).toBe('queued');
    }
    const states = await database.db.cardInstance.findMany({ where: { id: { in: ids } } });
    expect(states.map((c) => c.state)).toEqual(['minting', 'minting']);
    const queue = new Queue('mint-requests', { connection: queueRedis, prefix });
    expect((await queue.getJob(body.id))?.data).toEqual({ requestId: body.id });
    await queue.close();
  });

  it('replays the same Idempotency-Key with the stored response and refuses it for another body', async () => {
    const p = await walletPlayer();
    const key = newKey();
    const payload = { walletAddress: p.wallet, cardIds: [p.cards[0]?.id] };
    const [a, b] = await Promise.all([post(p.headers, payload, key), post(p.headers, payload, key)]);
    const statuses = [a.statusCode, b.statusCode].sort();
    expect(statuses[0]).toBe(202);
    const again = await post(p.headers, payload, key);
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(a.statusCode === 202 ? a.json().id : b.json().id);
    expect(await database.db.mintRequest.count({ where: { playerId: p.id } })).toBe(1);
    expectError(await post(p.headers, { walletAddress: p.wallet, cardIds: [p.cards[1]?.id] }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
    expectError(await post(p.headers, payload, null), 422, 'IDEMPOTENCY_KEY_REQUIRED');
  });

  it('refuses guests, wallets not linked to the player, other players’ cards, cards not in game, and bad bodies', async () => {
    const guest = await createGuest(t.app);
    expectError(
      await post(bearer(guest.accessToken), { walletAddress: newWallet().address, cardIds: [crypto.randomUUID()] }),
      403,
      'GUEST_NOT_ALLOWED',
    );
    const p = await walletPlayer();
    const other = await walletPlayer();
    expectError(await post(p.headers, { walletAddress: other.wallet, cardIds: [p.cards[0]?.id] }), 422, 'WALLET_NOT_LINKED');
    expectError(await post(p.headers, { walletAddress: p.wallet, cardIds: [other.cards[0]?.id] }), 404, 'CARD_NOT_FOUND');
    expect((await database.db.cardInstance.findUniqueOrThrow({ where: { id: other.cards[0]?.id as string } })).state).toBe('in_game');
    expect((await post(p.headers, { walletAddress: p.wallet, cardIds: [p.cards[0]?.id] })).statusCode).toBe(202);
    expectError(await post(p.headers, { walletAddress: p.wallet, cardIds: [p.cards[0]?.id] }), 409, 'ILLEGAL_CARD_TRANSITION');
    expectError(await post(p.headers, { walletAddress: p.wallet }), 422, 'VALIDATION_FAILED');
    expectError(
      await post(p.headers, { walletAddress: p.wallet, cardIds: [p.cards[1]?.id], landId: 'meadow-1' }),
      422,
      'VALIDATION_FAILED',
    );
    expectError(await post(p.headers, { walletAddress: 'nope', cardIds: [p.cards[1]?.id] }), 422, 'VALIDATION_FAILED');
    expectError(await post({}, { walletAddress: p.wallet, cardIds: [p.cards[1]?.id] }), 401, 'UNAUTHENTICATED');
  });

  it('mints a land parcel only for its owner and only once', async () => {
    const p = await walletPlayer();
    const other = await walletPlayer();
    await database.db.landParcel.update({ where: { id: 'orchard-2' }, data: { ownerId: p.id } });
    expectError(await post(other.headers, { walletAddress: other.wallet, landId: 'orchard-2' }), 404, 'LAND_NOT_FOUND');
    const response = await post(p.headers, { walletAddress: p.wallet, landId: 'orchard-2' });
    expect(response.statusCode, response.body).toBe(202);
    expect(response.json().items[0]).toMatchObject({
      landId: 'orchard-2',
      contract: CONTRACTS.land,
      tokenId: landTokenId('orchard-2').toString(),
    });
    expectError(await post(p.headers, { walletAddress: p.wallet, landId: 'orchard-2' }), 409, 'LAND_UNAVAILABLE');
  });

  it('answers 503 MINTING_UNAVAILABLE while no contracts are deployed for the chain', async () => {
    const bare = await createTestApp(database.db, { mints: { chainId: 31337, contracts: () => null, jobs } });
    try {
      const tokens = await signIn(bare.app, newWallet());
      const response = await bare.app.inject({
        method: 'POST',
        url: '/v1/mints',
        headers: { ...bearer(tokens.accessToken), 'idempotency-key': newKey() },
        payload: { walletAddress: newWallet().address, cardIds: [crypto.randomUUID()] },
      });
      expectError(response, 503, 'MINTING_UNAVAILABLE');
    } finally {
      await bare.close();
    }
  });
});

describe('GET /v1/mints and /v1/mints/:id', () => {
  it('shows the owner their requests (newest first, paged) with failure reasons, and hides them from others', async () => {
    const p = await walletPlayer();
    const other = await walletPlayer();
    const ids: string[] = [];
    for (const card of p.cards.slice(0, 3)) ids.push((await post(p.headers, { walletAddress: p.wallet, cardIds: [card.id] })).json().id);
    const first = await t.app.inject({ method: 'GET', url: '/v1/mints?limit=2', headers: p.headers });
    expect(first.statusCode).toBe(200);
    expect(first.json().requests.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]]);
    const second = await t.app.inject({ method: 'GET', url: `/v1/mints?limit=2&cursor=${first.json().nextCursor}`, headers: p.headers });
    expect(second.json()).toMatchObject({ nextCursor: null });
    expect(second.json().requests.map((r: { id: string }) => r.id)).toEqual([ids[0]]);
    expect((await t.app.inject({ method: 'GET', url: '/v1/mints', headers: other.headers })).json().requests).toEqual([]);
    expectError(await t.app.inject({ method: 'GET', url: `/v1/mints/${ids[0]}`, headers: other.headers }), 404, 'MINT_REQUEST_NOT_FOUND');
    expectError(await t.app.inject({ method: 'GET', url: '/v1/mints/not-a-uuid', headers: p.headers }), 404, 'MINT_REQUEST_NOT_FOUND');

    const view = await getMintRequest(database.db, { playerId: p.id, requestId: ids[0] as string });
    await failMintItems(database.db, { itemIds: view.items.map((i) => i.id), code: 'UNAVAILABLE' });
    const failed = await t.app.inject({ method: 'GET', url: `/v1/mints/${ids[0]}`, headers: p.headers });
    expect(failed.json()).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/back in your collection/) });
    expect(failed.json().items[0]).toMatchObject({ status: 'failed', failureCode: 'UNAVAILABLE' });
    expect((await database.db.cardInstance.findUniqueOrThrow({ where: { id: p.cards[0]?.id as string } })).state).toBe('in_game');
  });
});

describe('metadata', () => {
  it('serves ERC-721 JSON with an embedded SVG, the SVG itself, and contract metadata; unknown tokens are 404', async () => {
    const p = await walletPlayer();
    const card = p.cards[0];
    const response = await post(p.headers, { walletAddress: p.wallet, cardIds: [card?.id] });
    const item = response.json().items[0];
    await confirmMintedTokens(database.db, {
      chainId: 31337,
      contract: CONTRACTS.cards,
      by: 'minter',
      tokens: [{ tokenId: BigInt(item.tokenId), owner: p.wallet, txHash: `0x${'ab'.repeat(32)}`, blockNumber: 7n }],
    });
    const json = await t.app.inject({ method: 'GET', url: `/metadata/cards/${item.tokenId}` });
    expect(json.statusCode, json.body).toBe(200);
    const metadata = json.json();
    const definition = await database.db.cardDefinition.findUniqueOrThrow({ where: { id: card?.definitionId as string } });
    expect(metadata.name).toBe(definition.name);
    const traits = Object.fromEntries(metadata.attributes.map((a: { trait_type: string; value: unknown }) => [a.trait_type, a.value]));
    expect(traits).toMatchObject({ Cost: definition.cost, Origin: 'Starter' });
    expect(String(traits.Rarity).toLowerCase()).toBe(definition.rarity);
    expect(metadata.image).toMatch(/^data:image\/svg\+xml;base64,/);
    const embedded = Buffer.from(metadata.image.split(',')[1], 'base64').toString('utf8');
    expect(embedded).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>.*<\/svg>$/s);
    const svg = await t.app.inject({ method: 'GET', url: `/metadata/cards/${item.tokenId}/image.svg` });
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(svg.body).toBe(embedded);
    for (const kind of ['cards', 'land']) {
      const contract = await t.app.inject({ method: 'GET', url: `/metadata/${kind}/contract.json` });
      expect(contract.statusCode).toBe(200);
      expect(contract.json()).toMatchObject({
        name: expect.stringMatching(/^Harvest Battles/),
        image: expect.stringMatching(/^data:image\/svg/),
      });
    }
    expectError(await t.app.inject({ method: 'GET', url: '/metadata/cards/12345' }), 404, 'TOKEN_NOT_FOUND');
    expectError(await t.app.inject({ method: 'GET', url: '/metadata/cards/-1' }), 422, 'VALIDATION_FAILED');
    // An in-game card has no public metadata, even though its token id can be computed.
    const unminted = cardTokenId(p.cards[1]?.definitionId as string, p.cards[1]?.id as string);
    expectError(await t.app.inject({ method: 'GET', url: `/metadata/cards/${unminted}` }), 404, 'TOKEN_NOT_FOUND');

    await database.db.landParcel.update({ where: { id: 'highland-4' }, data: { ownerId: p.id } });
    const land = (await post(p.headers, { walletAddress: p.wallet, landId: 'highland-4' })).json().items[0];
    const landJson = await t.app.inject({ method: 'GET', url: `/metadata/land/${land.tokenId}` });
    expect(landJson.statusCode, landJson.body).toBe(200);
    const landTraits = Object.fromEntries(
      landJson.json().attributes.map((a: { trait_type: string; value: unknown }) => [a.trait_type, a.value]),
    );
    expect(landTraits).toEqual({ Biome: 'Highland', Plots: 16, Fertility: 0.8, Perk: 'Frost Cairn' });
  });
});

describe('admin dead letters', () => {
  it('lists dead batches for admins only and queues a retry', async () => {
    const p = await walletPlayer();
    const response = await post(p.headers, { walletAddress: p.wallet, cardIds: [p.cards[0]?.id] });
    const batch = await database.db.mintBatch.create({
      data: { chainId: 31337, contract: CONTRACTS.cards, provider: 'direct', status: 'dead', lastError: 'rpc down' },
    });
    await database.db.mintItem.updateMany({ where: { requestId: response.json().id }, data: { batchId: batch.id, status: 'batched' } });
    expectError(await t.app.inject({ method: 'GET', url: '/v1/admin/mints/dead-letters', headers: p.headers }), 403, 'FORBIDDEN');
    const admin = newWallet();
    const signedUp = await signIn(t.app, admin);
    await database.db.player.update({ where: { id: signedUp.player.id }, data: { roles: ['player', 'admin'] } });
    const headers = bearer((await signIn(t.app, admin)).accessToken);
    const list = await t.app.inject({ method: 'GET', url: '/v1/admin/mints/dead-letters', headers });
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().deadLetters).toEqual([expect.objectContaining({ id: batch.id, lastError: 'rpc down', items: 1, transactions: 0 })]);
    const retry = await t.app.inject({ method: 'POST', url: `/v1/admin/mints/dead-letters/${batch.id}/retry`, headers });
    expect(retry.statusCode, retry.body).toBe(202);
    expect((await database.db.mintBatch.findUniqueOrThrow({ where: { id: batch.id } })).status).toBe('pending');
    const queue = new Queue('mint-batches', { connection: queueRedis, prefix });
    expect((await queue.getJobs(['waiting'])).map((j) => j.data)).toContainEqual({ batchId: batch.id });
    await queue.close();
    expectError(
      await t.app.inject({ method: 'POST', url: `/v1/admin/mints/dead-letters/${batch.id}/retry`, headers }),
      409,
      'MINT_BATCH_NOT_DEAD',
    );
  });
});
