/**
 * Mint requests and the pipeline's writes on real PostgreSQL: token ids match the contracts' scheme, racing
 * requests for one card, confirmMintedTokens as both the minter and the indexer call it (idempotent, indexer
 * marks, revival of an item given up on), failures back in game, requeue limits.
 */
import {
  cardDefinitionKey,
  cardSerial,
  cardTokenId,
  claimMintBatch,
  confirmMintedTokens,
  createMintRequest,
  failMintItems,
  getMintRequest,
  landTokenId,
  requeueMintItems,
} from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { keccak256, toBytes } from 'viem';
import { beforeAll, describe, expect, it } from 'vitest';

const database = useTestDatabase();
const CHAIN = 31337;
const CONTRACTS = { cards: '0x5fbdb2315678afecb367f032d93f642f64180aa3', land: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512' };
let walletSeq = 1;

beforeAll(async () => {
  await database.db.cardDefinition.create({ data: { id: 'test-card', contentVersion: 1 } });
});

async function player(cards: number, options: { guest?: boolean } = {}) {
  const p = await database.db.player.create({ data: { isGuest: options.guest ?? false } });
  const wallet = `0x${(walletSeq++).toString(16).padStart(40, '0')}`;
  await database.db.wallet.create({ data: { address: wallet, playerId: p.id } });
  const ids: string[] = [];
  for (let i = 0; i < cards; i++) {
    ids.push(
      (await database.db.cardInstance.create({ data: { definitionId: 'test-card', ownerId: p.id, origin: 'starter', contentVersion: 1 } }))
        .id,
    );
  }
  return { id: p.id, wallet, cardIds: ids };
}

const request = (p: { id: string; wallet: string }, cardIds: string[]) =>
  createMintRequest(database.db, { playerId: p.id, chainId: CHAIN, walletAddress: p.wallet, contracts: CONTRACTS, cardIds });

describe('token ids', () => {
  it('cards: (first 20 bytes of keccak256(definitionId) << 96) | low 96 bits of the card UUID; land: keccak256(parcel id)', () => {
    const cardId = '0f8e2d7c-1b3a-4c5d-9e8f-a1b2c3d4e5f6';
    const key = BigInt(keccak256(toBytes('sunpetal-sprite')).slice(0, 42));
    expect(cardDefinitionKey('sunpetal-sprite')).toBe(key);
    expect(cardSerial(cardId)).toBe(BigInt('0x4c5d9e8fa1b2c3d4e5f6') | (BigInt('0x1b3a') << 80n));
    expect(cardTokenId('sunpetal-sprite', cardId)).toBe((key << 96n) | cardSerial(cardId));
    expect(cardTokenId('sunpetal-sprite', cardId) >> 96n).toBe(key);
    expect(landTokenId('meadow-1')).toBe(BigInt(keccak256(toBytes('meadow-1'))));
  });
});

describe('mint requests', () => {
  it('ten racing requests for one card: exactly one is created, the card is minting once', async () => {
    const p = await player(1);
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => request(p, p.cardIds)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'ILLEGAL_CARD_TRANSITION' });
    expect(await database.db.mintItem.count({ where: { cardId: p.cardIds[0] as string } })).toBe(1);
  });

  it('refuses guests, unlinked wallets, foreign cards, and leaves every card as it was', async () => {
    const guest = await player(1, { guest: true });
    await expect(request(guest, guest.cardIds)).rejects.toMatchObject({ code: 'GUEST_NOT_ALLOWED' });
    const a = await player(1);
    const b = await player(1);
    await expect(
      createMintRequest(database.db, { playerId: a.id, chainId: CHAIN, walletAddress: b.wallet, contracts: CONTRACTS, cardIds: a.cardIds }),
    ).rejects.toMatchObject({
      code: 'WALLET_NOT_LINKED',
    });
    await expect(request(a, [...a.cardIds, ...b.cardIds])).rejects.toMatchObject({ code: 'CARD_NOT_FOUND' });
    const cards = await database.db.cardInstance.findMany({ where: { id: { in: [...a.cardIds, ...b.cardIds, ...guest.cardIds] } } });
    expect(cards.every((c) => c.state === 'in_game')).toBe(true);
  });
});

describe('confirmMintedTokens (the minter now, the indexer later)', () => {
  it('confirms once: a second call by the minter or the indexer changes nothing but the indexer mark', async () => {
    const p = await player(2);
    const r = await request(p, p.cardIds);
    const tokens = r.items.map((i) => ({ tokenId: BigInt(i.tokenId), owner: p.wallet, txHash: `0x${'aa'.repeat(32)}`, blockNumber: 5n }));
    const first = await confirmMintedTokens(database.db, { chainId: CHAIN, contract: CONTRACTS.cards, tokens, by: 'minter' });
    expect(first.confirmed).toHaveLength(2);
    const again = await confirmMintedTokens(database.db, { chainId: CHAIN, contract: CONTRACTS.cards, tokens, by: 'minter' });
    expect(again).toMatchObject({ confirmed: [], already: first.confirmed });
    await confirmMintedTokens(database.db, { chainId: CHAIN, contract: CONTRACTS.cards, tokens, by: 'indexer' });
    const view = await getMintRequest(database.db, { playerId: p.id, requestId: r.id });
    expect(view.status).toBe('confirmed');
    const items = await database.db.mintItem.findMany({ where: { requestId: r.id } });
    expect(items.map((i) => i.confirmedBy)).toEqual(['indexer', 'indexer']);
    const events = await database.db.outboxEvent.findMany({ where: { type: 'card_minted' } });
    expect(events.filter((e) => p.cardIds.includes((e.payload as { cardId: string }).cardId))).toHaveLength(2);
    const cards = await database.db.cardInstance.findMany({ where: { id: { in: p.cardIds } } });
    expect(cards.every((c) => c.state === 'on_chain' && c.ownerId === p.id)).toBe(true);
  });

  it('a holder nobody linked makes the card external (owner null); unknown tokens are reported, not invented', async () => {
    const p = await player(1);
    const r = await request(p, p.cardIds);
    const outcome = await confirmMintedTokens(database.db, {
      chainId: CHAIN,
      contract: CONTRACTS.cards,
      by: 'indexer',
      tokens: [
        {
          tokenId: BigInt(r.items[0]?.tokenId as string),
          owner: '0x00000000000000000000000000000000deadbeef',
          txHash: '0x01',
          blockNumber: 9n,
        },
        { tokenId: 424242n, owner: p.wallet, txHash: '0x02', blockNumber: 9n },
      ],
    });
    expect(outcome.unknown).toEqual(['424242']);
    expect((await database.db.cardInstance.findUniqueOrThrow({ where: { id: p.cardIds[0] as string } })).ownerId).toBeNull();
  });

  it('revives an item the pipeline gave up on when its token exists after all (the card goes on chain, not stays in game)', async () => {
    const p = await player(1);
    const r = await request(p, p.cardIds);
    await failMintItems(database.db, { itemIds: r.items.map((i) => i.id), code: 'UNAVAILABLE' });
    expect((await database.db.cardInstance.findUniqueOrThrow({ where: { id: p.cardIds[0] as string } })).state).toBe('in_game');
    const outcome = await confirmMintedTokens(database.db, {
      chainId: CHAIN,
      contract: CONTRACTS.cards,
      by: 'indexer',
      tokens: [{ tokenId: BigInt(r.items[0]?.tokenId as string), owner: p.wallet, txHash: '0x03', blockNumber: 10n }],
    });
    expect(outcome.confirmed).toHaveLength(1);
    expect((await database.db.cardInstance.findUniqueOrThrow({ where: { id: p.cardIds[0] as string } })).state).toBe('on_chain');
    expect((await getMintRequest(database.db, { playerId: p.id, requestId: r.id })).status).toBe('confirmed');
  });
});

describe('failures and requeue', () => {
  it('failing returns cards to the game with the reason; a second request of the card is allowed again', async () => {
    const p = await player(1);
    const r = await request(p, p.cardIds);
    await failMintItems(database.db, { itemIds: r.items.map((i) => i.id), code: 'TOKEN_BURNED' });
    const view = await getMintRequest(database.db, { playerId: p.id, requestId: r.id });
    expect(view).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/burned/) });
    const second = await request(p, p.cardIds);
    expect(second.items[0]?.tokenId).toBe(r.items[0]?.tokenId);
  });

  it('requeues an item until its attempts run out, then fails it with REVERTED', async () => {
    const p = await player(1);
    await createMintRequest(database.db, {
      playerId: p.id,
      chainId: 777,
      walletAddress: p.wallet,
      contracts: CONTRACTS,
      cardIds: p.cardIds,
    });
    for (let attempt = 1; attempt <= 3; attempt++) {
      const batch = await claimMintBatch(database.db, { chainId: 777, contract: CONTRACTS.cards, provider: 'direct', limit: 5 });
      expect(batch?.items).toHaveLength(1);
      const outcome = await requeueMintItems(database.db, { itemIds: batch?.items.map((i) => i.id) ?? [], maxAttempts: 3 });
      expect(outcome.failed).toHaveLength(attempt === 3 ? 1 : 0);
    }
    expect(await claimMintBatch(database.db, { chainId: 777, contract: CONTRACTS.cards, provider: 'direct', limit: 5 })).toBeNull();
    expect((await database.db.cardInstance.findUniqueOrThrow({ where: { id: p.cardIds[0] as string } })).state).toBe('in_game');
  });
});
