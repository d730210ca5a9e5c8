/**
 * The chain store on real PostgreSQL, without a chain: idempotent replays, the forward-only mirror, finality and its
 * outbox events, rollback with the game moving back through the card state machine, fencing, and the marketplace
 * reads (holders, order validity).
 */
import { describe, expect, it } from 'vitest';
import {
  applyBlock,
  applyFinalRange,
  type ChainContracts,
  type ChainEvent,
  checkOrders,
  claimChainWriter,
  finalizeBlocks,
  getTokenHolders,
  rollbackToAncestor,
  syncAllHolders,
  type TransferEvent,
} from '../../src/index.ts';
import { useTestDatabase } from '../../src/testing/index.ts';

const CHAIN = 31337;
const contracts: ChainContracts = {
  cards: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
  land: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512',
  marketplace: '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0',
};
const ZERO = '0x0000000000000000000000000000000000000000';
const alice = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const bob = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc';
const carol = '0x90f79bf6eb2c4f870365e785982e1f101e93b906';
const hash = (n: number, fork = 0) => `0x${(fork * 1_000_000 + n).toString(16).padStart(64, '0')}`;
const block = (n: number, fork = 0) => ({
  number: BigInt(n),
  hash: hash(n, fork),
  parentHash: hash(n - 1, n - 1 > 10 ? fork : 0),
  timestamp: BigInt(n),
});
const transfer = (n: number, logIndex: number, tokenId: bigint, from: string, to: string, fork = 0): TransferEvent => ({
  kind: 'transfer',
  collection: 'cards',
  contract: contracts.cards,
  tokenId,
  from,
  to,
  blockNumber: BigInt(n),
  blockHash: hash(n, fork),
  txHash: hash(n * 10 + logIndex, fork + 7),
  logIndex,
});

describe('chain store', () => {
  const database = useTestDatabase();

  it('backfills idempotently, follows, finalizes once, rolls back and moves the game back, and fences old writers', async () => {
    const db = database.db;
    await db.cardDefinition.create({ data: { id: 'ember-finch', contentVersion: 1 } });
    const player = await db.player.create({ data: {} });
    await db.wallet.create({ data: { address: alice, playerId: player.id } });
    const card = await db.cardInstance.create({
      data: { definitionId: 'ember-finch', ownerId: player.id, origin: 'starter', contentVersion: 1, state: 'on_chain', tokenId: '42' },
    });

    const { epoch } = await claimChainWriter(db, { chainId: CHAIN, startBlock: 1n });
    const writer = { chainId: CHAIN, contracts, epoch };
    const minted = [transfer(3, 0, 42n, ZERO, alice), transfer(3, 1, 43n, ZERO, bob)];
    const first = await applyFinalRange(db, { ...writer, fromBlock: 1n, toBlock: 10n, toHash: hash(10), events: minted });
    expect(first).toMatchObject({ inserted: 2, published: 2 });
    // The same range again is refused (it does not continue the checkpoint): no gap, no overlap.
    await expect(applyFinalRange(db, { ...writer, fromBlock: 1n, toBlock: 10n, toHash: hash(10), events: minted })).rejects.toMatchObject({
      code: 'CONFLICT',
    });

    // Live: token 42 goes to bob (external) at 11, then to carol at 12; the game card leaves the player.
    expect((await applyBlock(db, { ...writer, block: block(11), events: [transfer(11, 0, 42n, alice, bob)] })).moves).toMatchObject([
      { move: 'transfer', fromPlayer: player.id, toPlayer: null },
    ]);
    await applyBlock(db, { ...writer, block: block(12), events: [transfer(12, 0, 42n, bob, carol)] });
    expect(await db.cardInstance.findUniqueOrThrow({ where: { id: card.id } })).toMatchObject({ ownerId: null, state: 'on_chain' });
    expect(
      (await getTokenHolders(db, { chainId: CHAIN, contract: contracts.cards, tokenIds: [42n, 43n] })).map((h) => [
        h.tokenId,
        h.owner,
        h.final,
      ]),
    ).toEqual([
      ['42', carol, false],
      ['43', bob, true],
    ]);
    // A block that does not extend the head is refused.
    await expect(applyBlock(db, { ...writer, block: block(14), events: [] })).rejects.toMatchObject({ code: 'CONFLICT' });

    // Reorg: back to 11; the transfer to carol is gone, the mirror says bob again.
    const rolled = await rollbackToAncestor(db, { ...writer, ancestor: { number: 11n, hash: hash(11) } });
    expect(rolled).toMatchObject({ removed: 1, depth: 1 });
    // The new branch burns it instead; the card burns in game. Then that branch goes too: the burn is reverted.
    await applyBlock(db, { ...writer, block: { ...block(12, 1), parentHash: hash(11) }, events: [transfer(12, 0, 42n, bob, ZERO, 1)] });
    expect(await db.cardInstance.findUniqueOrThrow({ where: { id: card.id } })).toMatchObject({ state: 'burned', ownerId: null });
    const back = await rollbackToAncestor(db, { ...writer, ancestor: { number: 11n, hash: hash(11) } });
    expect(back.moves).toMatchObject([{ move: 'revert_burn', toPlayer: null }]);
    expect(await db.cardInstance.findUniqueOrThrow({ where: { id: card.id } })).toMatchObject({ state: 'on_chain', ownerId: null });
    // bob hands it back to alice on the final branch: the card returns to its player.
    await applyBlock(db, { ...writer, block: { ...block(12, 2), parentHash: hash(11) }, events: [transfer(12, 0, 42n, bob, alice, 2)] });
    expect(await db.cardInstance.findUniqueOrThrow({ where: { id: card.id } })).toMatchObject({ state: 'on_chain', ownerId: player.id });

    // Finality: events once, for the canonical rows only; a second finalize of the same block does nothing.
    const final = await finalizeBlocks(db, { ...writer, block: { number: 12n, hash: hash(12, 2) } });
    expect(final.published).toBe(2);
    expect((await finalizeBlocks(db, { ...writer, block: { number: 12n, hash: hash(12, 2) } })).published).toBe(0);
    const events = await db.outboxEvent.findMany({ where: { type: 'card_transferred' }, orderBy: { id: 'asc' } });
    expect(events.map((e) => [(e.payload as { to: string }).to, (e.payload as { blockNumber: number }).blockNumber])).toEqual([
      [alice, 3],
      [bob, 3],
      [bob, 11],
      [alice, 12],
    ]);
    // Below the finalized block a reorg is refused.
    await expect(rollbackToAncestor(db, { ...writer, ancestor: { number: 10n, hash: hash(10) } })).rejects.toMatchObject({
      code: 'CHAIN_REORG_TOO_DEEP',
    });

    // A new writer fences this one out.
    await claimChainWriter(db, { chainId: CHAIN, startBlock: 1n });
    await expect(applyBlock(db, { ...writer, block: { ...block(13, 2), parentHash: hash(12, 2) }, events: [] })).rejects.toMatchObject({
      code: 'INDEXER_FENCED',
    });
  });

  it('moves tokens of a wallet linked after the fact to its player, and back to nobody when it is unlinked', async () => {
    const db = database.db;
    await db.cardDefinition.upsert({ where: { id: 'ember-finch' }, create: { id: 'ember-finch', contentVersion: 1 }, update: {} });
    const player = await db.player.create({ data: {} });
    const card = await db.cardInstance.create({
      data: { definitionId: 'ember-finch', ownerId: null, origin: 'starter', contentVersion: 1, state: 'on_chain', tokenId: '77' },
    });
    const parcel = await db.landParcel.create({ data: { id: 'test-parcel', biome: 'meadow', plots: 4, fertility: 1, tokenId: '88' } });
    const { epoch } = await claimChainWriter(db, { chainId: 5, startBlock: 1n });
    const dave = '0x15d34aaf54267db7d7c367839aaf71a00a2c6a65';
    await applyFinalRange(db, {
      chainId: 5,
      contracts,
      epoch,
      fromBlock: 1n,
      toBlock: 2n,
      toHash: hash(2),
      events: [transfer(2, 0, 77n, ZERO, dave), { ...transfer(2, 1, 88n, ZERO, dave), collection: 'land', contract: contracts.land }],
    });
    expect(await syncAllHolders(db, { chainId: 5, contracts })).toEqual([]);
    const wallet = await db.wallet.create({ data: { address: dave, playerId: player.id } });
    const moves = await syncAllHolders(db, { chainId: 5, contracts });
    expect(moves.map((m) => [m.asset, m.move, m.toPlayer])).toEqual([
      ['card', 'transfer', player.id],
      ['land', 'transfer', player.id],
    ]);
    expect(await db.cardInstance.findUniqueOrThrow({ where: { id: card.id } })).toMatchObject({ ownerId: player.id, state: 'on_chain' });
    expect(await db.landParcel.findUniqueOrThrow({ where: { id: parcel.id } })).toMatchObject({ ownerId: player.id });
    expect(await syncAllHolders(db, { chainId: 5, contracts })).toEqual([]);
    await db.wallet.delete({ where: { id: wallet.id } });
    expect((await syncAllHolders(db, { chainId: 5, contracts })).map((m) => m.toPlayer)).toEqual([null, null]);
  });

  it('tells which signed orders the chain made unfillable', async () => {
    const db = database.db;
    const { epoch } = await claimChainWriter(db, { chainId: 1, startBlock: 1n });
    const writer = { chainId: 1, contracts, epoch };
    const pos = (n: number, i: number) => ({ blockNumber: BigInt(n), blockHash: hash(n), txHash: hash(n * 10 + i, 3), logIndex: i });
    const events: ChainEvent[] = [
      { ...transfer(2, 0, 1n, ZERO, alice), txHash: hash(20, 4) },
      { ...transfer(2, 1, 2n, ZERO, alice), txHash: hash(21, 4) },
      { kind: 'order_cancelled', marketplace: contracts.marketplace, maker: alice, salt: 5n, ...pos(3, 0) },
      { kind: 'counter_incremented', marketplace: contracts.marketplace, maker: bob, newCounter: 2n, ...pos(3, 1) },
      { kind: 'approval_for_all', contract: contracts.cards, owner: carol, operator: contracts.marketplace, approved: false, ...pos(3, 2) },
      {
        kind: 'sale',
        marketplace: contracts.marketplace,
        orderHash: hash(99, 9),
        maker: alice,
        taker: bob,
        collection: contracts.cards,
        tokenId: 2n,
        currency: ZERO,
        price: 10n,
        ...pos(4, 0),
      },
      { ...transfer(4, 1, 2n, alice, bob), txHash: hash(40, 4) },
    ];
    await applyFinalRange(db, { ...writer, fromBlock: 1n, toBlock: 5n, toHash: hash(5), events });
    const order = (orderHash: string, maker: string, tokenId: bigint, salt: bigint, counter: bigint) => ({
      orderHash,
      maker,
      collection: contracts.cards,
      tokenId,
      salt,
      counter,
    });
    const result = await checkOrders(db, {
      chainId: 1,
      marketplace: contracts.marketplace,
      orders: [
        order(hash(1, 9), alice, 1n, 4n, 0n),
        order(hash(2, 9), alice, 1n, 5n, 0n),
        order(hash(99, 9), alice, 2n, 6n, 0n),
        order(hash(3, 9), bob, 2n, 1n, 1n),
        order(hash(4, 9), carol, 1n, 1n, 0n),
      ],
    });
    expect(result.get(hash(1, 9))).toBeUndefined();
    expect(result.get(hash(2, 9))).toEqual(['cancelled']);
    expect(result.get(hash(99, 9))).toEqual(['filled', 'maker_not_owner']);
    expect(result.get(hash(3, 9))).toEqual(['counter_stale']);
    expect(result.get(hash(4, 9))).toEqual(['maker_not_owner', 'approval_revoked']);
    const sales = await db.outboxEvent.findMany({ where: { type: { in: ['sale', 'listing_filled'] } } });
    expect(sales.map((e) => e.type).sort()).toEqual(['listing_filled', 'sale']);
  });
});
