/**
 * The world of a marketplace test: a Hardhat node with the contracts, a test database with the repository's game
 * data, players whose linked wallets are the node's unlocked dev accounts, cards put through the real mint request
 * and minted by the minter account, the real indexer (apps/indexer as a child process) following the node, and the
 * marketplace app over all of it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createTokenVerifier, type TokenVerifier } from '@harvest/auth';
import { cardTokenId, createMintRequest, type Db, publishGameData } from '@harvest/db';
import { createLogger } from '@harvest/service';
import { type HarvestDeployments, harvestCardsAbi, harvestLandAbi, marketplaceAbi } from '@harvest/shared/abi';
import { loadGameData } from '@harvest/shared/gamedata';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { createPublicClient, createWalletClient, getAddress, type Hex, http, parseAbi, zeroAddress } from 'viem';
import { hardhat } from 'viem/chains';
import { buildApp } from '../../src/app.ts';
import { createMarketChain, type MarketChain, type Order } from '../../src/chain.ts';
import type { MarketDeps } from '../../src/routes/deps.ts';
import { chainRpc, freePort, type LocalChain, REPO } from './chain.ts';

/** Hardhat's unlocked dev accounts: #0 deploys, #1 mints; the rest are players' wallets in tests. */
export const ACCOUNTS = [
  '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
  '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65',
  '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc',
  '0x976EA74026E726554dB657fA54763abd0C3a0aa9',
  '0x14dC79964da2C08b23698B3D3cc7Ca32193d9955',
] as const satisfies readonly Hex[];

/** Publishes gamedata/ as version 1 (card definitions, recipes and land parcels come with it). */
export async function publishRepoGameData(db: Db): Promise<void> {
  const dir = join(REPO, 'gamedata');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => ({ path: relative(REPO, join(dir, name)), text: readFileSync(join(dir, name), 'utf8') }));
  const loaded = loadGameData(files);
  if (!loaded.data) throw new Error('the repository game data has errors');
  await publishGameData(db, { content: loaded.data, author: 'marketplace-test', message: 'test data' });
}

export const DEFINITIONS = ['sunpetal-sprite', 'ember-finch', 'dawn-scout', 'torch-bearer'];

export interface WorldPlayer {
  id: string;
  wallet: Hex;
  cardIds: string[];
}

/** A player whose linked wallet is `wallet`, with `cards` in-game cards. */
export async function createPlayer(db: Db, wallet: Hex, cards: number, definitions: readonly string[] = DEFINITIONS): Promise<WorldPlayer> {
  const player = await db.player.create({ data: { isGuest: false, displayName: `player-${randomBytes(3).toString('hex')}` } });
  await db.wallet.create({ data: { address: wallet.toLowerCase(), playerId: player.id } });
  const cardIds: string[] = [];
  for (let i = 0; i < cards; i++) {
    const card = await db.cardInstance.create({
      data: { definitionId: definitions[i % definitions.length] as string, ownerId: player.id, origin: 'starter', contentVersion: 1 },
    });
    cardIds.push(card.id);
  }
  return { id: player.id, wallet: getAddress(wallet), cardIds };
}

/** Clients that send from (and sign with) the node's unlocked accounts. */
export function chainClients(rpcUrl: string) {
  const transport = http(rpcUrl, { retryCount: 0 });
  return {
    public: createPublicClient({ chain: hardhat, transport, pollingInterval: 20 }),
    wallet: createWalletClient({ chain: hardhat, transport }),
  };
}

/** Requests the mint of cards to the player's wallet (in_game -> minting) and mints them from the minter account. */
export async function mintCards(db: Db, chain: LocalChain, player: WorldPlayer, cardIds: readonly string[]): Promise<bigint[]> {
  const d = chain.deployments;
  const contracts = { cards: d.contracts.HarvestCards.address, land: d.contracts.HarvestLand.address };
  await createMintRequest(db, { playerId: player.id, chainId: d.chainId, walletAddress: player.wallet, contracts, cardIds });
  const cards = await db.cardInstance.findMany({ where: { id: { in: [...cardIds] } }, select: { id: true, definitionId: true } });
  const byId = new Map(cards.map((c) => [c.id, cardTokenId(c.definitionId, c.id)]));
  const tokenIds = cardIds.map((id) => byId.get(id) as bigint);
  await mintTokens(chain, player.wallet, tokenIds);
  return tokenIds;
}

/** Mints card tokens from the minter account straight to `to` (no mint request: the game is not told). */
export async function mintTokens(chain: LocalChain, to: Hex, tokenIds: readonly bigint[]): Promise<void> {
  const d = chain.deployments;
  const { wallet, public: reader } = chainClients(chain.rpcUrl);
  const hash = await wallet.writeContract({
    account: d.minter as Hex,
    address: d.contracts.HarvestCards.address as Hex,
    abi: harvestCardsAbi,
    functionName: 'mintBatch',
    args: [tokenIds.map(() => to), [...tokenIds]],
  });
  await reader.waitForTransactionReceipt({ hash });
}

/** Gives a parcel to the player in game, requests its mint to the player's wallet and mints it. Returns the token id. */
export async function mintParcel(db: Db, chain: LocalChain, player: WorldPlayer, parcelId: string): Promise<bigint> {
  const d = chain.deployments;
  await db.landParcel.update({ where: { id: parcelId }, data: { ownerId: player.id } });
  const contracts = { cards: d.contracts.HarvestCards.address, land: d.contracts.HarvestLand.address };
  const request = await createMintRequest(db, {
    playerId: player.id,
    chainId: d.chainId,
    walletAddress: player.wallet,
    contracts,
    landId: parcelId,
  });
  const tokenId = BigInt(request.items[0]?.tokenId ?? '0');
  const { wallet, public: reader } = chainClients(chain.rpcUrl);
  const hash = await wallet.writeContract({
    account: d.minter as Hex,
    address: d.contracts.HarvestLand.address as Hex,
    abi: harvestLandAbi,
    functionName: 'mintBatch',
    args: [[player.wallet], [tokenId]],
  });
  await reader.waitForTransactionReceipt({ hash });
  return tokenId;
}

const erc721 = parseAbi([
  'function setApprovalForAll(address operator, bool approved)',
  'function approve(address to, uint256 tokenId)',
  'function transferFrom(address from, address to, uint256 tokenId)',
]);

/** Sends a transaction from an unlocked account and waits for its receipt; returns the receipt. */
export async function send(
  chain: LocalChain,
  from: Hex,
  request: { address: Hex; abi: readonly unknown[]; functionName: string; args: readonly unknown[]; value?: bigint },
) {
  const { wallet, public: reader } = chainClients(chain.rpcUrl);
  const hash = await wallet.writeContract({ account: from, ...(request as object) } as never);
  return reader.waitForTransactionReceipt({ hash });
}

/** `owner` approves the marketplace for all its cards (or parcels). */
export function approveAll(chain: LocalChain, owner: Hex, approved = true, collection: 'cards' | 'land' = 'cards') {
  return send(chain, owner, {
    address: (collection === 'cards'
      ? chain.deployments.contracts.HarvestCards.address
      : chain.deployments.contracts.HarvestLand.address) as Hex,
    abi: erc721,
    functionName: 'setApprovalForAll',
    args: [chain.deployments.contracts.Marketplace.address, approved],
  });
}

/** `owner` approves the marketplace for one card. */
export function approveToken(chain: LocalChain, owner: Hex, tokenId: bigint) {
  return send(chain, owner, {
    address: chain.deployments.contracts.HarvestCards.address as Hex,
    abi: erc721,
    functionName: 'approve',
    args: [chain.deployments.contracts.Marketplace.address, tokenId],
  });
}

/** Moves a card token. */
export function transferToken(chain: LocalChain, from: Hex, to: Hex, tokenId: bigint) {
  return send(chain, from, {
    address: chain.deployments.contracts.HarvestCards.address as Hex,
    abi: erc721,
    functionName: 'transferFrom',
    args: [from, to, tokenId],
  });
}

/** `maker` cancels salt on chain. */
export function hardCancel(chain: LocalChain, maker: Hex, salt: bigint) {
  return send(chain, maker, {
    address: chain.deployments.contracts.Marketplace.address as Hex,
    abi: marketplaceAbi,
    functionName: 'cancel',
    args: [salt],
  });
}

/** `maker` increments its counter on chain. */
export function incrementCounter(chain: LocalChain, maker: Hex) {
  return send(chain, maker, {
    address: chain.deployments.contracts.Marketplace.address as Hex,
    abi: marketplaceAbi,
    functionName: 'incrementCounter',
    args: [],
  });
}

/** The EIP-712 domain of the test chain's marketplace. */
export function domainOf(deployments: HarvestDeployments, chainId = deployments.chainId) {
  return { name: 'Harvest Marketplace', version: '1', chainId, verifyingContract: getAddress(deployments.contracts.Marketplace.address) };
}

/** A native-currency order for a card, live for a day from the node's clock. */
export function cardOrder(deployments: HarvestDeployments, maker: Hex, tokenId: bigint, overrides: Partial<Order> = {}): Order {
  const now = BigInt(Math.floor(Date.now() / 1000));
  return {
    maker: getAddress(maker),
    collection: getAddress(deployments.contracts.HarvestCards.address),
    tokenId,
    price: 10n ** 16n,
    currency: zeroAddress,
    startTime: now - 60n,
    endTime: now + 86_400n,
    // Above every fixed salt the tests use (all under 200, some of them hard-cancelled or filled): a random salt
    // under 190 was now and then one a test had spent (salt 150), and the listing was refused MARKET_ORDER_CLOSED.
    salt: 200n + BigInt(`0x${randomBytes(6).toString('hex')}`),
    counter: 0n,
    ...overrides,
  };
}

/** The maker's EIP-712 signature of `order`, made by the node (eth_signTypedData_v4 of an unlocked account). */
export async function signOrder(chain: LocalChain, order: Order, options: { signer?: Hex; chainId?: number } = {}): Promise<Hex> {
  const { wallet } = chainClients(chain.rpcUrl);
  const { MARKETPLACE_ORDER_TYPES } = await import('@harvest/shared/abi');
  return wallet.signTypedData({
    account: options.signer ?? order.maker,
    domain: domainOf(chain.deployments, options.chainId),
    types: MARKETPLACE_ORDER_TYPES,
    primaryType: 'Order',
    message: order,
  });
}

/** The body of POST /api/listings. */
export function listingBody(order: Order, signature: Hex, chainId = 31337) {
  return {
    chainId,
    signature,
    order: {
      maker: order.maker,
      collection: order.collection,
      tokenId: order.tokenId.toString(),
      price: order.price.toString(),
      currency: order.currency,
      startTime: order.startTime.toString(),
      endTime: order.endTime.toString(),
      salt: order.salt.toString(),
      counter: order.counter.toString(),
    },
  };
}

/** The real indexer (apps/indexer/src/server.ts) as a child process following the node into `databaseUrl`. */
export interface IndexerChild {
  stop(): Promise<void>;
}

/** Starts apps/indexer against the chain and database (fast polling, the chain's own confirmation depth). */
export async function startIndexer(chain: LocalChain, databaseUrl: string): Promise<IndexerChild> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(REPO, 'apps', 'indexer', 'src', 'server.ts')], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      INDEXER_PORT: String(port),
      DATABASE_URL: databaseUrl,
      CHAIN_ID: String(chain.deployments.chainId),
      CHAIN_RPC_URL: chain.rpcUrl,
      DEPLOYMENTS_FILE: chain.deploymentsFile,
      INDEXER_POLL_MS: '25',
      INDEXER_HOLDER_SYNC_MS: '250',
      INDEXER_STANDBY_POLL_MS: '100',
      INDEXER_RPC_BACKOFF_MS: '20',
    },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  await waitFor('the indexer to answer /healthz', async () => {
    if (child.exitCode !== null) throw new Error(`the indexer exited: ${stderr}`);
    return fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
  });
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits (polling every `everyMs`, at most `timeoutMs`) until `condition` holds; throws naming `what` otherwise. */
export async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Mines `n` empty blocks (the indexer finalizes a block once one more is on top of it). */
export async function mine(rpcUrl: string, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await chainRpc(rpcUrl, 'evm_mine');
}

/** Waits until the indexer's mirror says `owner` holds the card token. */
export function waitForOwner(db: Db, chain: LocalChain, tokenId: bigint, owner: Hex, timeoutMs = 30_000): Promise<void> {
  const contract = chain.deployments.contracts.HarvestCards.address.toLowerCase();
  return waitFor(
    `token ${tokenId} held by ${owner} in the mirror`,
    async () => {
      const rows = await db.$queryRaw<Array<{ owner: string }>>`
        SELECT owner FROM chain_token_owners WHERE contract = ${contract} AND token_id = ${tokenId.toString()}::numeric`;
      return rows[0]?.owner === owner.toLowerCase();
    },
    timeoutMs,
  );
}

/** Waits until the indexer's head is at least the node's current block. */
export async function waitForIndexed(db: Db, chain: LocalChain, timeoutMs = 30_000): Promise<void> {
  const head = BigInt((await chainRpc(chain.rpcUrl, 'eth_blockNumber')) as string);
  await waitFor(
    `the indexer at block ${head}`,
    async () => {
      const rows = await db.$queryRaw<
        Array<{ head_block: bigint }>
      >`SELECT head_block FROM chain_checkpoints WHERE chain_id = ${chain.deployments.chainId}::int`;
      return rows[0] !== undefined && BigInt(rows[0].head_block) >= head;
    },
    timeoutMs,
  );
}

/** A token verifier for tests that never verifies anything (no game-api in API tests: /api/me is tested end to end). */
export function unusedVerifier(): TokenVerifier {
  return createTokenVerifier({
    jwks: { load: async () => ({ keys: [] }) },
    issuer: 'http://127.0.0.1:1',
    audience: 'harvest',
  });
}

/** The marketplace app over the world's database, chain and Redis. */
export async function buildMarketApp(input: {
  db: Db;
  chain: LocalChain;
  now?: () => number;
  rateLimits?: { read: number; write: number };
  verifier?: TokenVerifier;
  gameApiUrl?: string;
}): Promise<{ app: FastifyInstance; market: MarketDeps; marketChain: MarketChain; close(): Promise<void> }> {
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) throw new Error('REDIS_URL is not set: run the tests through `node scripts/run.mjs test`');
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const marketChain = createMarketChain({
    rpcUrl: input.chain.rpcUrl,
    chainId: input.chain.deployments.chainId,
    deployments: input.chain.deployments,
  });
  const market: MarketDeps = {
    db: input.db,
    chain: marketChain,
    policy: { currencies: [], maxOrderSeconds: 180 * 24 * 3600 },
    now: input.now ?? Date.now,
    verifier: input.verifier ?? unusedVerifier(),
    gameApiUrl: input.gameApiUrl ?? 'http://127.0.0.1:1',
    rateLimits: input.rateLimits ?? { read: 1_000_000, write: 1_000_000 },
  };
  const app = await buildApp({
    log: createLogger('marketplace-test', 'silent'),
    dependencies: {},
    market,
    redis,
    rateLimitPrefix: `mkt-test-${randomBytes(6).toString('hex')}:`,
  });
  await app.ready();
  return {
    app,
    market,
    marketChain,
    async close() {
      await app.close();
      redis.disconnect();
    },
  };
}
