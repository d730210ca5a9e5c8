/**
 * POST /api/listings, search, detail, soft cancel and activity against a Hardhat node, the real indexer and
 * PostgreSQL: every kind of invalid order refused with its code, ordinary and ERC-1271 makers, listings that vanish
 * when the chain moves (transfer, revoked approval, hard cancel, counter) and come back when it moves back, the
 * reconciler closing them for good, search filters/sorts/pages, 1,000 fuzzed orders without a 5xx, rate limits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cardTokenId, type Db, joinMatch, reconcileMarket } from '@harvest/db';
import { createTestDatabase, type TestDatabase } from '@harvest/db/testing';
import { MARKETPLACE_ORDER_TYPES } from '@harvest/shared/abi';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { createWalletClient, encodeFunctionData, getAddress, type Hex, hashTypedData, http, parseAbi, parseEther, zeroAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount, serializeSignature, sign } from 'viem/accounts';
import { hardhat } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANCEL_LISTING_TYPES, type MarketChain, type Order } from '../../src/chain.ts';
import { CONTRACTS, type LocalChain, startLocalChain } from '../support/chain.ts';
import {
  ACCOUNTS,
  approveAll,
  buildMarketApp,
  cardOrder,
  chainClients,
  createPlayer,
  domainOf,
  hardCancel,
  type IndexerChild,
  incrementCounter,
  listingBody,
  mine,
  mintCards,
  mintParcel,
  mintTokens,
  publishRepoGameData,
  send,
  signOrder,
  startIndexer,
  transferToken,
  type WorldPlayer,
  waitFor,
  waitForIndexed,
  waitForOwner,
} from '../support/world.ts';

let chain: LocalChain;
let database: TestDatabase;
let db: Db;
let indexer: IndexerChild;
let app: FastifyInstance;
let marketChain: MarketChain;
let close: () => Promise<void>;
let seller: WorldPlayer;
let stranger: WorldPlayer;
let sellerTokens: bigint[];
let buyerTokens: bigint[] = [];

const SELLER = ACCOUNTS[2];
const BUYER = ACCOUNTS[3];
const STRANGER = ACCOUNTS[4];

async function post(body: unknown) {
  const response = await app.inject({ method: 'POST', url: '/api/listings', payload: body as Record<string, unknown> });
  return {
    status: response.statusCode,
    body: response.json() as {
      error?: { code: string; details?: Record<string, unknown> };
      orderHash?: string;
      blockers?: string[];
      status?: string;
    },
  };
}

async function listed(order: Order, signature?: Hex) {
  const result = await post(listingBody(order, signature ?? (await signOrder(chain, order))));
  expect(result.status, JSON.stringify(result.body)).toBe(201);
  return result.body.orderHash as string;
}

async function search(query = '') {
  const response = await app.inject({ method: 'GET', url: `/api/listings${query}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as {
    items: Array<{
      orderHash: string;
      tokenId: string;
      price: string;
      rarity: string | null;
      element: string | null;
      definitionId: string | null;
      asset: string;
      maker: string;
    }>;
    nextCursor: string | null;
  };
}

async function detail(orderHash: string) {
  const response = await app.inject({ method: 'GET', url: `/api/listings/${orderHash}` });
  expect(response.statusCode).toBe(200);
  return response.json() as {
    blockers: string[];
    status: string;
    closedReason: string | null;
    signature: string;
    order: Record<string, string>;
  };
}

async function waitForCardsOnChain(cardIds: readonly string[]) {
  await waitFor('the minted cards to be on_chain', async () => {
    await mine(chain.rpcUrl);
    const cards = await db.cardInstance.findMany({ where: { id: { in: [...cardIds] } }, select: { state: true } });
    return cards.every((c) => c.state === 'on_chain');
  });
}

beforeAll(async () => {
  chain = await startLocalChain();
  database = await createTestDatabase();
  db = database.db;
  await publishRepoGameData(db);
  indexer = await startIndexer(chain, database.url);
  seller = await createPlayer(db, SELLER, 10);
  stranger = await createPlayer(db, STRANGER, 6);
  await createPlayer(db, BUYER, 0);
  sellerTokens = await mintCards(db, chain, seller, seller.cardIds.slice(0, 8));
  await approveAll(chain, SELLER);
  await waitForCardsOnChain(seller.cardIds.slice(0, 8));
  ({ app, marketChain, close } = await buildMarketApp({ db, chain }));
});

afterAll(async () => {
  await close?.();
  await indexer?.stop();
  await database?.drop();
  await chain?.stop();
});

describe('accepting an order', () => {
  it('lists a valid order once (201), answers the same order again with 200, and shows it with its signed order', async () => {
    const order = cardOrder(chain.deployments, SELLER, sellerTokens[0] as bigint, { salt: 1n });
    const signature = await signOrder(chain, order);
    const first = await post(listingBody(order, signature));
    expect(first.status).toBe(201);
    expect(first.body.orderHash).toBe(marketChain.hashOrder(order).toLowerCase());
    const again = await post(listingBody(order, signature));
    expect(again.status).toBe(200);
    const shown = await detail(first.body.orderHash as string);
    expect(shown.blockers).toEqual([]);
    expect(shown.signature).toBe(signature.toLowerCase());
    expect(shown.order.price).toBe(order.price.toString());
    expect((await search()).items.map((i) => i.orderHash)).toContain(first.body.orderHash);
    const feed = await app.inject({ method: 'GET', url: `/api/activity?tokenId=${order.tokenId}` });
    expect(feed.json().items).toEqual([
      expect.objectContaining({ kind: 'listed', orderHash: first.body.orderHash, price: order.price.toString() }),
    ]);
  });

  it('refuses a second live listing of the same token by the same maker', async () => {
    const order = cardOrder(chain.deployments, SELLER, sellerTokens[0] as bigint, { salt: 2n, price: 5n });
    const result = await post(listingBody(order, await signOrder(chain, order)));
    expect(result.status).toBe(409);
    expect(result.body.error?.code).toBe('MARKET_ALREADY_LISTED');
  });
});

describe('invalid orders are refused with their codes', () => {
  const token = () => sellerTokens[1] as bigint;

  it('bad signature: signed by another account', async () => {
    const order = cardOrder(chain.deployments, SELLER, token());
    const result = await post(listingBody(order, await signOrder(chain, order, { signer: BUYER })));
    expect([result.status, result.body.error?.code]).toEqual([422, 'MARKET_SIGNATURE_INVALID']);
  });

  it('bad signature: the price changed after signing', async () => {
    const order = cardOrder(chain.deployments, SELLER, token());
    const signature = await signOrder(chain, order);
    const result = await post(listingBody({ ...order, price: order.price - 1n }, signature));
    expect([result.status, result.body.error?.code]).toEqual([422, 'MARKET_SIGNATURE_INVALID']);
  });

  it('bad signature: malformed bytes and a malleable (high-s) copy of a good one', async () => {
    const order = cardOrder(chain.deployments, SELLER, token());
    const signature = await signOrder(chain, order);
    const short = await post(listingBody(order, signature.slice(0, 100) as Hex));
    expect(short.body.error?.code).toBe('MARKET_SIGNATURE_INVALID');
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(`0x${signature.slice(66, 130)}`);
    const v = Number.parseInt(signature.slice(130), 16);
    const flipped = `${signature.slice(0, 66)}${(n - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
    const malleable = await post(listingBody(order, flipped));
    expect([malleable.status, malleable.body.error?.code]).toEqual([422, 'MARKET_SIGNATURE_INVALID']);
  });

  it('wrong chain id: refused by name, and a signature over another chain never verifies here', async () => {
    const order = cardOrder(chain.deployments, SELLER, token());
    const otherChain = await signOrder(chain, order, { chainId: 1 });
    const named = await post(listingBody(order, otherChain, 1));
    expect([named.status, named.body.error?.code, named.body.error?.details?.chainId]).toEqual([422, 'MARKET_WRONG_CHAIN', 31337]);
    const smuggled = await post(listingBody(order, otherChain, 31337));
    expect([smuggled.status, smuggled.body.error?.code]).toEqual([422, 'MARKET_SIGNATURE_INVALID']);
  });

  it('expired, not yet started, and ending too far ahead', async () => {
    const now = BigInt(Math.floor(Date.now() / 1000));
    const cases: Array<[Partial<Order>, string]> = [
      [{ startTime: now - 7200n, endTime: now - 10n }, 'MARKET_ORDER_EXPIRED'],
      [{ startTime: now + 3600n, endTime: now + 7200n }, 'MARKET_ORDER_NOT_STARTED'],
      [{ endTime: now + 400n * 86_400n }, 'MARKET_ORDER_WINDOW_TOO_LONG'],
    ];
    for (const [overrides, code] of cases) {
      const order = cardOrder(chain.deployments, SELLER, token(), overrides);
      const result = await post(listingBody(order, await signOrder(chain, order)));
      expect([result.status, result.body.error?.code]).toEqual([422, code]);
    }
  });

  it('zero and overflowing prices', async () => {
    const zero = cardOrder(chain.deployments, SELLER, token(), { price: 0n });
    const zeroResult = await post(listingBody(zero, await signOrder(chain, zero)));
    expect([zeroResult.status, zeroResult.body.error?.code]).toEqual([422, 'MARKET_PRICE_INVALID']);
    const body = listingBody(cardOrder(chain.deployments, SELLER, token()), `0x${'11'.repeat(65)}`);
    body.order.price = (1n << 256n).toString();
    const overflow = await post(body);
    expect([overflow.status, overflow.body.error?.code]).toEqual([422, 'MARKET_PRICE_INVALID']);
    body.order.price = '9'.repeat(100);
    expect((await post(body)).body.error?.code).toBe('MARKET_PRICE_INVALID');
  });

  it('not the owner: the maker does not hold the token in the mirror', async () => {
    await approveAll(chain, BUYER);
    const order = cardOrder(chain.deployments, BUYER, token());
    const result = await post(listingBody(order, await signOrder(chain, order)));
    expect([result.status, result.body.error?.code, result.body.error?.details?.owner]).toEqual([
      409,
      'MARKET_NOT_OWNER',
      SELLER.toLowerCase(),
    ]);
  });

  it('not approved: the marketplace may not move the token; a per-token approval is enough', async () => {
    const [tokenId] = await mintCards(db, chain, stranger, stranger.cardIds.slice(0, 1));
    await waitForCardsOnChain(stranger.cardIds.slice(0, 1));
    const order = cardOrder(chain.deployments, STRANGER, tokenId as bigint);
    const signature = await signOrder(chain, order);
    const refused = await post(listingBody(order, signature));
    expect([refused.status, refused.body.error?.code]).toEqual([409, 'MARKET_NOT_APPROVED']);
    await send(chain, STRANGER, {
      address: chain.deployments.contracts.HarvestCards.address as Hex,
      abi: parseAbi(['function approve(address to, uint256 tokenId)']),
      functionName: 'approve',
      args: [chain.deployments.contracts.Marketplace.address, tokenId],
    });
    expect((await post(listingBody(order, signature))).status).toBe(201);
  });

  it('locked card: the game card behind the token is in a match; a card still being minted is unavailable', async () => {
    await approveAll(chain, STRANGER);
    // A card in a match whose token exists on chain: minted to the player's wallet while the card plays.
    const lockedCard = stranger.cardIds[1] as string;
    await joinMatch(db, { playerId: stranger.id, matchId: crypto.randomUUID(), cardIds: [lockedCard] });
    const card = await db.cardInstance.findUniqueOrThrow({ where: { id: lockedCard } });
    const lockedToken = cardTokenId(card.definitionId, card.id);
    await mintTokens(chain, STRANGER, [lockedToken]);
    await waitForOwner(db, chain, lockedToken, STRANGER);
    const order = cardOrder(chain.deployments, STRANGER, lockedToken);
    const locked = await post(listingBody(order, await signOrder(chain, order)));
    expect([locked.status, locked.body.error?.code, locked.body.error?.details?.state]).toEqual([409, 'MARKET_CARD_LOCKED', 'in_match']);

    // Minted but not yet final: the game still has the card as `minting`.
    const [mintingToken] = await mintCards(db, chain, stranger, stranger.cardIds.slice(2, 3));
    await waitForOwner(db, chain, mintingToken as bigint, STRANGER);
    expect((await db.cardInstance.findUniqueOrThrow({ where: { id: stranger.cardIds[2] as string } })).state).toBe('minting');
    const minting = cardOrder(chain.deployments, STRANGER, mintingToken as bigint);
    const unavailable = await post(listingBody(minting, await signOrder(chain, minting)));
    expect([unavailable.status, unavailable.body.error?.code, unavailable.body.error?.details?.state]).toEqual([
      409,
      'MARKET_TOKEN_UNAVAILABLE',
      'minting',
    ]);
  });

  it('stale counter, spent salt, unsupported currency and collection, a token the game does not know', async () => {
    const stale = cardOrder(chain.deployments, SELLER, token(), { counter: 1n });
    const staleResult = await post(listingBody(stale, await signOrder(chain, stale)));
    expect([staleResult.status, staleResult.body.error?.code, staleResult.body.error?.details?.current]).toEqual([
      409,
      'MARKET_COUNTER_STALE',
      '0',
    ]);

    await hardCancel(chain, SELLER, 150n);
    const spent = cardOrder(chain.deployments, SELLER, token(), { salt: 150n });
    const spentResult = await post(listingBody(spent, await signOrder(chain, spent)));
    expect([spentResult.status, spentResult.body.error?.code]).toEqual([409, 'MARKET_ORDER_CLOSED']);

    const erc20 = cardOrder(chain.deployments, SELLER, token(), { currency: getAddress(`0x${'ab'.repeat(20)}`) });
    expect((await post(listingBody(erc20, await signOrder(chain, erc20)))).body.error?.code).toBe('MARKET_CURRENCY_UNSUPPORTED');
    const foreign = {
      ...cardOrder(chain.deployments, SELLER, token()),
      collection: getAddress(chain.deployments.contracts.Marketplace.address),
    };
    expect((await post(listingBody(foreign, await signOrder(chain, foreign)))).body.error?.code).toBe('MARKET_COLLECTION_UNSUPPORTED');

    // A token minted outside the game: held and approved, but no game card is behind it.
    const outside = (1n << 200n) + 7n;
    await mintTokens(chain, SELLER, [outside]);
    await waitForOwner(db, chain, outside, SELLER);
    const unknown = cardOrder(chain.deployments, SELLER, outside);
    const unknownResult = await post(listingBody(unknown, await signOrder(chain, unknown)));
    expect([unknownResult.status, unknownResult.body.error?.code]).toEqual([404, 'TOKEN_NOT_FOUND']);
  });

  it('malformed bodies are 422 VALIDATION_FAILED', async () => {
    const order = cardOrder(chain.deployments, SELLER, token());
    const body = listingBody(order, await signOrder(chain, order));
    for (const broken of [
      { ...body, order: { ...body.order, maker: 'nope' } },
      { ...body, order: { ...body.order, tokenId: '-1' } },
      { ...body, order: { ...body.order, salt: (1n << 256n).toString() } },
      { ...body, signature: '0x1' },
      { ...body, extra: true },
    ]) {
      const result = await post(broken);
      expect([result.status, result.body.error?.code]).toEqual([422, 'VALIDATION_FAILED']);
    }
  });
});

describe('ERC-1271 makers', () => {
  it("lists an order of a contract wallet whose owner signed the order's digest, and refuses another key's signature", async () => {
    const ownerKey = generatePrivateKey();
    const owner = privateKeyToAccount(ownerKey);
    const { wallet: node, public: reader } = chainClients(chain.rpcUrl);
    await reader.waitForTransactionReceipt({
      hash: await node.sendTransaction({ account: ACCOUNTS[0], to: owner.address, value: parseEther('1') }),
    });
    const artifact = JSON.parse(
      readFileSync(join(CONTRACTS, 'artifacts', 'contracts', 'mocks', 'MockWallet.sol', 'MockWallet.json'), 'utf8'),
    ) as {
      abi: readonly unknown[];
      bytecode: Hex;
    };
    const ownerClient = createWalletClient({ account: owner, chain: hardhat, transport: http(chain.rpcUrl) });
    const deployed = await reader.waitForTransactionReceipt({
      hash: await ownerClient.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args: [owner.address] }),
    });
    const walletAddress = getAddress(deployed.contractAddress as Hex);
    const player = await createPlayer(db, walletAddress, 1);
    const [tokenId] = await mintCards(db, chain, player, player.cardIds);
    await waitForCardsOnChain(player.cardIds);
    const approveCall = encodeFunctionData({
      abi: parseAbi(['function setApprovalForAll(address operator, bool approved)']),
      functionName: 'setApprovalForAll',
      args: [chain.deployments.contracts.Marketplace.address as Hex, true],
    });
    await reader.waitForTransactionReceipt({
      hash: await ownerClient.writeContract({
        address: walletAddress,
        abi: parseAbi(['function execute(address target, uint256 value, bytes data) returns (bytes)']),
        functionName: 'execute',
        args: [chain.deployments.contracts.HarvestCards.address as Hex, 0n, approveCall],
      }),
    });
    const order = cardOrder(chain.deployments, walletAddress, tokenId as bigint);
    const digest = hashTypedData({
      domain: domainOf(chain.deployments),
      types: MARKETPLACE_ORDER_TYPES,
      primaryType: 'Order',
      message: order,
    });
    const byStranger = serializeSignature(await sign({ hash: digest, privateKey: generatePrivateKey() }));
    const refused = await post(listingBody(order, byStranger));
    expect([refused.status, refused.body.error?.code]).toEqual([422, 'MARKET_SIGNATURE_INVALID']);
    const byOwner = serializeSignature(await sign({ hash: digest, privateKey: ownerKey }));
    const accepted = await post(listingBody(order, byOwner));
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    expect((await detail(accepted.body.orderHash as string)).blockers).toEqual([]);
  });
});

describe('soft cancel', () => {
  it("withdraws a listing on the maker's signature only, and records it in the feed and the outbox", async () => {
    const order = cardOrder(chain.deployments, SELLER, sellerTokens[2] as bigint);
    const orderHash = (await listed(order)) as Hex;
    const { wallet } = chainClients(chain.rpcUrl);
    const cancelBy = (account: Hex) =>
      wallet.signTypedData({
        account,
        domain: domainOf(chain.deployments),
        types: CANCEL_LISTING_TYPES,
        primaryType: 'CancelListing',
        message: { orderHash },
      });
    const forged = await app.inject({
      method: 'POST',
      url: `/api/listings/${orderHash}/cancel`,
      payload: { signature: await cancelBy(BUYER) },
    });
    expect([forged.statusCode, forged.json().error.code]).toEqual([422, 'MARKET_SIGNATURE_INVALID']);
    const cancelled = await app.inject({
      method: 'POST',
      url: `/api/listings/${orderHash}/cancel`,
      payload: { signature: await cancelBy(SELLER) },
    });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', closedReason: 'soft' });
    expect((await search()).items.map((i) => i.orderHash)).not.toContain(orderHash);
    const feed = await app.inject({ method: 'GET', url: `/api/activity?tokenId=${order.tokenId}&kind=cancelled` });
    expect(feed.json().items).toEqual([expect.objectContaining({ kind: 'cancelled', detail: 'soft', orderHash })]);
    const events = await db.$queryRaw<Array<{ type: string }>>`SELECT type FROM outbox WHERE key = ${orderHash} ORDER BY id`;
    expect(events.map((e) => e.type)).toEqual(['listing_created', 'listing_cancelled']);
    const unknown = await app.inject({
      method: 'POST',
      url: `/api/listings/0x${'12'.repeat(32)}/cancel`,
      payload: { signature: await cancelBy(SELLER) },
    });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'LISTING_NOT_FOUND']);
  });
});

describe('listings disappear when the chain moves', () => {
  it('on a transfer, a revoked approval (and back), a hard cancel and a counter move; the reconciler then closes them for good', async () => {
    const [a, b, c, d] = [sellerTokens[3], sellerTokens[4], sellerTokens[5], sellerTokens[6]] as bigint[];
    const hashes = {
      a: await listed(cardOrder(chain.deployments, SELLER, a as bigint, { salt: 20n })),
      b: await listed(cardOrder(chain.deployments, SELLER, b as bigint, { salt: 21n })),
      c: await listed(cardOrder(chain.deployments, SELLER, c as bigint, { salt: 22n })),
      d: await listed(cardOrder(chain.deployments, SELLER, d as bigint, { salt: 23n })),
    };
    const visible = async () => new Set((await search('?limit=100')).items.map((i) => i.orderHash));
    for (const hash of Object.values(hashes)) expect(await visible()).toContain(hash);

    await transferToken(chain, SELLER, STRANGER, a as bigint);
    await waitForOwner(db, chain, a as bigint, STRANGER);
    expect(await visible()).not.toContain(hashes.a);
    expect((await detail(hashes.a)).blockers).toContain('owner');

    await approveAll(chain, SELLER, false);
    await waitForIndexed(db, chain);
    const revoked = await visible();
    for (const hash of [hashes.b, hashes.c, hashes.d]) expect(revoked).not.toContain(hash);
    expect((await detail(hashes.b)).blockers).toEqual(['approval']);
    await approveAll(chain, SELLER, true);
    await waitForIndexed(db, chain);
    const restored = await visible();
    for (const hash of [hashes.b, hashes.c, hashes.d]) expect(restored).toContain(hash);

    await hardCancel(chain, SELLER, 22n);
    await waitForIndexed(db, chain);
    expect(await visible()).not.toContain(hashes.c);
    expect((await detail(hashes.c)).blockers).toEqual(['cancelled']);

    await incrementCounter(chain, SELLER);
    await waitForIndexed(db, chain);
    const afterCounter = await visible();
    expect(afterCounter).not.toContain(hashes.b);
    expect(afterCounter).not.toContain(hashes.d);
    expect((await detail(hashes.d)).blockers).toEqual(['counter']);

    // One more block makes everything above final; the reconciler closes the listings for good.
    await mine(chain.rpcUrl);
    await waitForIndexed(db, chain);
    await waitFor('the indexer to finalize the head', async () => {
      const [row] = await db.$queryRaw<
        Array<{ finalized_block: bigint; head_block: bigint }>
      >`SELECT finalized_block, head_block FROM chain_checkpoints`;
      return row !== undefined && BigInt(row.finalized_block) >= BigInt(row.head_block) - 1n;
    });
    const result = await reconcileMarket(db, {
      chainId: 31337,
      marketplace: marketChain.marketplace,
      now: BigInt(Math.floor(Date.now() / 1000)),
    });
    expect(result.ran).toBe(true);
    expect(await detail(hashes.a)).toMatchObject({ status: 'invalid', closedReason: 'owner' });
    expect(await detail(hashes.b)).toMatchObject({ status: 'invalid', closedReason: 'counter' });
    expect(await detail(hashes.c)).toMatchObject({ status: 'cancelled', closedReason: 'hard' });
    expect(await detail(hashes.d)).toMatchObject({ status: 'invalid', closedReason: 'counter' });
    const again = await reconcileMarket(db, {
      chainId: 31337,
      marketplace: marketChain.marketplace,
      now: BigInt(Math.floor(Date.now() / 1000)),
    });
    expect(again).toMatchObject({ ran: true, filled: 0, cancelled: 0, invalidated: 0, salesRecorded: 0, hardCancelsRecorded: 0 });
    const events = await db.$queryRaw<Array<{ key: string; how: string }>>`
      SELECT key, payload->>'how' AS how FROM outbox WHERE type = 'listing_cancelled' AND key = ANY(${Object.values(hashes)}::text[]) ORDER BY key`;
    expect(new Map(events.map((e) => [e.key, e.how]))).toEqual(
      new Map([
        [hashes.a, 'invalidated'],
        [hashes.b, 'invalidated'],
        [hashes.c, 'hard'],
        [hashes.d, 'invalidated'],
      ]),
    );
    const feed = await app.inject({ method: 'GET', url: `/api/activity?tokenId=${c}` });
    expect(feed.json().items.map((i: { kind: string; detail: string | null }) => `${i.kind}:${i.detail}`)).toEqual([
      'cancelled:hard',
      'listed:null',
    ]);
  });
});

describe('search', () => {
  it('filters by rarity, element, definition, price range, seller and asset; sorts by price both ways and newest; pages with a cursor', async () => {
    const buyerPlayer = await db.player.findFirstOrThrow({ where: { wallets: { some: { address: BUYER.toLowerCase() } } } });
    const extra = await Promise.all(
      [0, 1, 2, 3].map(async (i) =>
        db.cardInstance.create({
          data: {
            definitionId: ['sunpetal-sprite', 'ember-finch', 'dawn-scout', 'torch-bearer'][i] as string,
            ownerId: buyerPlayer.id,
            origin: 'starter',
            contentVersion: 1,
          },
        }),
      ),
    );
    const buyer: WorldPlayer = { id: buyerPlayer.id, wallet: BUYER, cardIds: extra.map((c) => c.id) };
    const tokens = await mintCards(db, chain, buyer, buyer.cardIds);
    buyerTokens = tokens;
    await waitForCardsOnChain(buyer.cardIds);
    const prices = [300n, 100n, 400n, 200n];
    const hashes: string[] = [];
    for (const [i, tokenId] of tokens.entries())
      hashes.push(await listed(cardOrder(chain.deployments, BUYER, tokenId, { price: prices[i] as bigint, salt: 60n + BigInt(i) })));

    const own = await search(`?seller=${BUYER}&sort=price_asc`);
    expect(own.items.map((i) => i.price)).toEqual(['100', '200', '300', '400']);
    expect((await search(`?seller=${BUYER}&sort=price_desc`)).items.map((i) => i.price)).toEqual(['400', '300', '200', '100']);
    expect((await search(`?seller=${BUYER}&sort=newest`)).items.map((i) => i.orderHash)).toEqual([...hashes].reverse());
    expect((await search(`?seller=${BUYER}&minPrice=150&maxPrice=350&sort=price_asc`)).items.map((i) => i.price)).toEqual(['200', '300']);
    expect((await search(`?seller=${BUYER}&definition=ember-finch`)).items.map((i) => i.definitionId)).toEqual(['ember-finch']);
    const definitions = await db.cardDefinition.findMany({
      where: { id: { in: ['sunpetal-sprite', 'ember-finch', 'dawn-scout', 'torch-bearer'] } },
    });
    const rarity = definitions[0]?.rarity as string;
    const byRarity = await search(`?seller=${BUYER}&rarity=${rarity}`);
    expect(byRarity.items.length).toBe(definitions.filter((d) => d.rarity === rarity).length);
    expect(byRarity.items.every((i) => i.rarity === rarity)).toBe(true);
    const element = definitions[0]?.element as string;
    const byElement = await search(`?seller=${BUYER}&element=${element}`);
    expect(byElement.items.length).toBe(definitions.filter((d) => d.element === element).length);
    expect((await search(`?seller=${BUYER}&asset=land`)).items).toEqual([]);
    expect((await search(`?seller=${BUYER}&asset=card`)).items).toHaveLength(4);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof search>> = await search(
        `?seller=${BUYER}&sort=price_asc&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.items.map((i) => i.price));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['100', '200', '300', '400']);
    const first = await search(`?seller=${BUYER}&sort=newest&limit=2`);
    const second = await search(`?seller=${BUYER}&sort=newest&limit=2&cursor=${first.nextCursor}`);
    expect([...first.items, ...second.items].map((i) => i.orderHash)).toEqual([...hashes].reverse());
    expect(second.nextCursor).toBeNull();

    // Land: a parcel minted to the buyer, listed, found by biome only.
    const parcel = await db.landParcel.findFirstOrThrow({ where: { biome: 'marsh' } });
    const landToken = await mintParcel(db, chain, buyer, parcel.id);
    await approveAll(chain, BUYER, true, 'land');
    await waitForIndexed(db, chain);
    const landOrder = {
      ...cardOrder(chain.deployments, BUYER, landToken, { price: 250n, salt: 70n }),
      collection: getAddress(chain.deployments.contracts.HarvestLand.address),
    };
    const landHash = await listed(landOrder);
    expect((await search('?asset=land&biome=marsh,highland')).items.map((i) => i.orderHash)).toEqual([landHash]);
    expect((await search('?asset=land&biome=meadow')).items).toEqual([]);
    expect((await search(`?seller=${BUYER}&sort=price_asc&minPrice=200&maxPrice=260`)).items.map((i) => i.asset)).toEqual(['card', 'land']);
    const landDetail = (await app.inject({ method: 'GET', url: `/api/tokens/${landOrder.collection.toLowerCase()}/${landToken}` })).json();
    expect(landDetail).toMatchObject({ asset: 'land', owner: { address: BUYER.toLowerCase() }, listing: { orderHash: landHash } });
    expect(landDetail.attributes).toEqual(expect.arrayContaining([{ trait_type: 'Biome', value: 'Marsh' }]));

    const wrongCursor = await app.inject({ method: 'GET', url: `/api/listings?sort=price_asc&cursor=${first.nextCursor}` });
    expect([wrongCursor.statusCode, wrongCursor.json().error.code]).toEqual([422, 'CURSOR_INVALID']);
    const garbage = await app.inject({ method: 'GET', url: '/api/listings?cursor=%%%' });
    expect(garbage.statusCode).toBe(422);
  });

  it('serves the token detail (attributes, holder, provenance, history) and its image', async () => {
    const tokenId = buyerTokens[0] as bigint;
    const collection = chain.deployments.contracts.HarvestCards.address.toLowerCase();
    const response = await app.inject({ method: 'GET', url: `/api/tokens/${collection}/${tokenId}` });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ asset: 'card', owner: { address: BUYER.toLowerCase() }, provenance: { origin: 'starter' } });
    expect(body.attributes.map((a: { trait_type: string }) => a.trait_type)).toEqual(expect.arrayContaining(['Rarity', 'Element']));
    expect(body.history).toEqual([expect.objectContaining({ kind: 'mint', from: null, to: BUYER.toLowerCase() })]);
    expect(body.listing).toMatchObject({ tokenId: tokenId.toString(), price: '300', blockers: [] });
    // The seller's first token was listed, then voided by the counter move: no live listing, held by the seller.
    const voided = (await app.inject({ method: 'GET', url: `/api/tokens/${collection}/${sellerTokens[0]}` })).json();
    expect(voided).toMatchObject({ owner: { address: SELLER.toLowerCase(), playerId: seller.id }, listing: null });
    const image = await app.inject({ method: 'GET', url: `/api/tokens/${collection}/${tokenId}/image.svg` });
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toContain('image/svg+xml');
    expect(image.body.startsWith('<svg')).toBe(true);
    const other = await app.inject({ method: 'GET', url: `/api/tokens/${zeroAddress}/1` });
    expect([other.statusCode, other.json().error.code]).toEqual([404, 'TOKEN_NOT_FOUND']);
  });
});

describe('robustness', () => {
  it('answers 1,000 fuzzed orders without a server error', async () => {
    const cards = getAddress(chain.deployments.contracts.HarvestCards.address);
    const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((a) => `0x${Buffer.from(a).toString('hex')}`);
    const uint = fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 256n) + 5n }).map(String),
      fc.constantFrom('0', '1', (1n << 256n).toString()),
      fc.string({ maxLength: 12 }),
    );
    const now = Math.floor(Date.now() / 1000);
    const time = fc.oneof(fc.integer({ min: now - 10_000, max: now + 40_000_000 }).map(String), uint);
    const address = fc.oneof(hex(20), fc.constantFrom(cards, SELLER, zeroAddress, 'nope'));
    const order = fc.record({
      maker: address,
      collection: address,
      tokenId: fc.oneof(uint, fc.constantFrom(...sellerTokens.map(String))),
      price: uint,
      currency: fc.oneof(address, fc.constant(zeroAddress)),
      startTime: time,
      endTime: time,
      salt: uint,
      counter: fc.oneof(uint, fc.constant('0')),
    });
    const body = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record({
          chainId: fc.oneof(fc.constant(31337), fc.integer()),
          order,
          signature: fc.oneof(hex(65), hex(64), hex(1), fc.string()),
        }),
      },
      { weight: 1, arbitrary: fc.anything() },
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const response = await app.inject({
          method: 'POST',
          url: '/api/listings',
          payload: JSON.stringify(payload),
          headers: { 'content-type': 'application/json' },
        });
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        expect(response.statusCode, response.body).toBeLessThan(500);
        expect(response.json().error?.code ?? 'OK').toMatch(/^[A-Z_]+$/);
      }),
      { numRuns: 1000 },
    );
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it('rate-limits writes per client IP with 429 RATE_LIMITED and Retry-After', async () => {
    const limited = await buildMarketApp({ db, chain, rateLimits: { read: 1000, write: 2 } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) codes.push((await limited.app.inject({ method: 'POST', url: '/api/listings', payload: {} })).statusCode);
      expect(codes).toEqual([422, 422, 429]);
      const refused = await limited.app.inject({ method: 'POST', url: '/api/listings', payload: {} });
      expect(refused.json().error.code).toBe('RATE_LIMITED');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect((await limited.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('publishes an OpenAPI document with every route', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/listings',
        '/api/listings/{orderHash}',
        '/api/listings/{orderHash}/cancel',
        '/api/tokens/{collection}/{tokenId}',
        '/api/activity',
        '/api/me',
      ]),
    );
  });
});
