/**
 * Two buyers fill one order in the same block: one succeeds on chain, the other reverts, and the marketplace (fed by
 * the real indexer) shows one sale, a filled listing and the card with the winner in game.
 */
import { type Db, reconcileMarket } from '@harvest/db';
import { createTestDatabase, type TestDatabase } from '@harvest/db/testing';
import { marketplaceAbi } from '@harvest/shared/abi';
import type { FastifyInstance } from 'fastify';
import type { Hex } from 'viem';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chainRpc, type LocalChain, startLocalChain } from './support/chain.ts';
import {
  ACCOUNTS,
  approveAll,
  buildMarketApp,
  cardOrder,
  chainClients,
  createPlayer,
  type IndexerChild,
  listingBody,
  mine,
  mintCards,
  publishRepoGameData,
  signOrder,
  startIndexer,
  waitFor,
  waitForIndexed,
} from './support/world.ts';

let chain: LocalChain;
let database: TestDatabase;
let db: Db;
let indexer: IndexerChild;
let app: FastifyInstance;
let close: () => Promise<void>;

const SELLER = ACCOUNTS[2];
const BUYERS = [ACCOUNTS[3], ACCOUNTS[4]] as const;

beforeAll(async () => {
  chain = await startLocalChain();
  database = await createTestDatabase();
  db = database.db;
  await publishRepoGameData(db);
  indexer = await startIndexer(chain, database.url);
  ({ app, close } = await buildMarketApp({ db, chain }));
});

afterAll(async () => {
  await close?.();
  await indexer?.stop();
  await database?.drop();
  await chain?.stop();
});

it('two buyers fill one order at once: one succeeds, the other reverts, the API shows one sale', async () => {
  const seller = await createPlayer(db, SELLER, 1);
  const buyers = [await createPlayer(db, BUYERS[0], 0), await createPlayer(db, BUYERS[1], 0)];
  const [tokenId] = (await mintCards(db, chain, seller, seller.cardIds)) as [bigint];
  await approveAll(chain, SELLER);
  await waitFor('the card on chain', async () => {
    await mine(chain.rpcUrl);
    return (await db.cardInstance.findUniqueOrThrow({ where: { id: seller.cardIds[0] as string } })).state === 'on_chain';
  });
  const order = cardOrder(chain.deployments, SELLER, tokenId, { price: 10n ** 17n });
  const created = await app.inject({ method: 'POST', url: '/api/listings', payload: listingBody(order, await signOrder(chain, order)) });
  expect(created.statusCode, created.body).toBe(201);
  const orderHash = created.json().orderHash as string;

  // Both fills go into the same block, in the order they were sent.
  const listing = (await app.inject({ method: 'GET', url: `/api/listings/${orderHash}` })).json();
  const signed = {
    maker: listing.order.maker as Hex,
    collection: listing.order.collection as Hex,
    tokenId: BigInt(listing.order.tokenId),
    price: BigInt(listing.order.price),
    currency: listing.order.currency as Hex,
    startTime: BigInt(listing.order.startTime),
    endTime: BigInt(listing.order.endTime),
    salt: BigInt(listing.order.salt),
    counter: BigInt(listing.order.counter),
  };
  const { wallet, public: reader } = chainClients(chain.rpcUrl);
  await chainRpc(chain.rpcUrl, 'evm_setAutomine', [false]);
  let hashes: Hex[];
  try {
    hashes = await Promise.all(
      BUYERS.map((buyer) =>
        wallet.writeContract({
          account: buyer,
          address: chain.deployments.contracts.Marketplace.address as Hex,
          abi: marketplaceAbi,
          functionName: 'fill',
          args: [signed, listing.signature as Hex],
          value: signed.price,
          gas: 400_000n,
        }),
      ),
    );
    await chainRpc(chain.rpcUrl, 'evm_mine');
  } finally {
    await chainRpc(chain.rpcUrl, 'evm_setAutomine', [true]);
  }
  const receipts = await Promise.all(hashes.map((hash) => reader.waitForTransactionReceipt({ hash })));
  expect(receipts[0]?.blockNumber).toBe(receipts[1]?.blockNumber);
  expect(receipts.map((r) => r.status).sort()).toEqual(['reverted', 'success']);
  const winner = receipts[0]?.status === 'success' ? 0 : 1;
  const winnerAddress = BUYERS[winner] as Hex;
  // The loser's call, replayed now, fails for the reason the contract gives: the salt is spent.
  const loser = reader.simulateContract({
    account: BUYERS[1 - winner],
    address: chain.deployments.contracts.Marketplace.address as Hex,
    abi: marketplaceAbi,
    functionName: 'fill',
    args: [signed, listing.signature as Hex],
    value: signed.price,
  });
  await expect(loser).rejects.toThrow(/MarketplaceOrderClosed/);

  await waitForIndexed(db, chain);
  const collection = chain.deployments.contracts.HarvestCards.address.toLowerCase();
  const token = (await app.inject({ method: 'GET', url: `/api/tokens/${collection}/${tokenId}` })).json();
  expect(token.sales).toEqual([
    expect.objectContaining({ kind: 'sale', from: SELLER.toLowerCase(), to: winnerAddress.toLowerCase(), orderHash }),
  ]);
  expect(token.owner.address).toBe(winnerAddress.toLowerCase());
  expect(token.listing).toBeNull();
  expect((await app.inject({ method: 'GET', url: `/api/listings/${orderHash}` })).json().blockers).toEqual(
    expect.arrayContaining(['filled']),
  );
  expect((await app.inject({ method: 'GET', url: '/api/listings' })).json().items).toEqual([]);

  // Final one block later: the reconciler records the one sale and closes the listing; the game moved the card.
  await mine(chain.rpcUrl);
  await waitForIndexed(db, chain);
  await waitFor('the sale to be final', async () => {
    const rows = await db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM outbox WHERE type = 'sale'`;
    return Number(rows[0]?.n) === 1;
  });
  await reconcileMarket(db, {
    chainId: 31337,
    marketplace: chain.deployments.contracts.Marketplace.address,
    now: BigInt(Math.floor(Date.now() / 1000)),
  });
  const sales = (await app.inject({ method: 'GET', url: '/api/activity?kind=sale' })).json().items;
  expect(sales).toEqual([
    expect.objectContaining({
      kind: 'sale',
      orderHash,
      maker: SELLER.toLowerCase(),
      taker: winnerAddress.toLowerCase(),
      price: signed.price.toString(),
    }),
  ]);
  expect((await app.inject({ method: 'GET', url: `/api/listings/${orderHash}` })).json()).toMatchObject({
    status: 'filled',
    closedReason: 'filled',
  });
  const events = await db.$queryRaw<Array<{ type: string }>>`SELECT type FROM outbox WHERE type IN ('sale', 'listing_filled') ORDER BY id`;
  expect(events.map((e) => e.type)).toEqual(['sale', 'listing_filled']);
  await waitFor('the card with the winner in game', async () => {
    const card = await db.cardInstance.findUniqueOrThrow({ where: { id: seller.cardIds[0] as string } });
    return card.ownerId === buyers[winner]?.id;
  });
});
