/**
 * Game state and chain traffic for indexer tests: the repository's game data, players whose linked wallets are the
 * node's unlocked dev accounts, cards and parcels put through the real mint request (cards in_game -> minting) and
 * minted on chain by the minter account, and transfers sent from the holders' accounts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cardTokenId, createMintRequest, type Db, publishGameData } from '@harvest/db';
import type { HarvestDeployments } from '@harvest/shared/abi';
import { harvestCardsAbi, harvestLandAbi } from '@harvest/shared/abi';
import { loadGameData } from '@harvest/shared/gamedata';
import { createPublicClient, createWalletClient, type Hex, http } from 'viem';
import { hardhat } from 'viem/chains';
import { type ChainConfig, chainConfigOf } from '../../src/config.ts';
import { envFrom } from '../../src/env.ts';
import { chainRpc, REPO } from './chain.ts';

/** Publishes gamedata/ as version 1 (card definitions, recipes and land parcels come with it). */
export async function publishRepoGameData(db: Db): Promise<void> {
  const dir = join(REPO, 'gamedata');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => ({ path: relative(REPO, join(dir, name)), text: readFileSync(join(dir, name), 'utf8') }));
  const loaded = loadGameData(files);
  if (!loaded.data) throw new Error('the repository game data has errors');
  await publishGameData(db, { content: loaded.data, author: 'indexer-test', message: 'test data' });
}

const DEFINITIONS = ['sunpetal-sprite', 'ember-finch', 'dawn-scout', 'torch-bearer'];

export interface WorldPlayer {
  id: string;
  wallets: Hex[];
  cardIds: string[];
}

/** A player with the given linked wallets (lower case) and `cards` in-game cards. */
export async function createPlayer(db: Db, wallets: readonly Hex[], cards: number): Promise<WorldPlayer> {
  const player = await db.player.create({ data: { isGuest: false } });
  for (const wallet of wallets) await db.wallet.create({ data: { address: wallet.toLowerCase(), playerId: player.id } });
  const cardIds: string[] = [];
  for (let i = 0; i < cards; i++) {
    const card = await db.cardInstance.create({
      data: { definitionId: DEFINITIONS[i % DEFINITIONS.length] as string, ownerId: player.id, origin: 'starter', contentVersion: 1 },
    });
    cardIds.push(card.id);
  }
  return { id: player.id, wallets: wallets.map((w) => w.toLowerCase() as Hex), cardIds };
}

/** Clients that send from the node's unlocked accounts. */
export function chainClients(rpcUrl: string) {
  const transport = http(rpcUrl, { retryCount: 0 });
  return {
    public: createPublicClient({ chain: hardhat, transport }),
    wallet: createWalletClient({ chain: hardhat, transport }),
  };
}

/**
 * Requests mints of the player's cards to `wallet` (cards in_game -> minting, mint items queued) and mints them on
 * chain from the minter account in one mintBatch. Returns the token ids.
 */
export async function mintCards(
  db: Db,
  rpcUrl: string,
  deployments: HarvestDeployments,
  player: WorldPlayer,
  cardIds: readonly string[],
  wallet: Hex,
): Promise<bigint[]> {
  const contracts = { cards: deployments.contracts.HarvestCards.address, land: deployments.contracts.HarvestLand.address };
  await createMintRequest(db, { playerId: player.id, chainId: deployments.chainId, walletAddress: wallet, contracts, cardIds });
  const cards = await db.cardInstance.findMany({ where: { id: { in: [...cardIds] } }, select: { id: true, definitionId: true } });
  const tokenIds = cards.map((c) => cardTokenId(c.definitionId, c.id));
  const { wallet: sender, public: reader } = chainClients(rpcUrl);
  const hash = await sender.writeContract({
    account: deployments.minter as Hex,
    address: deployments.contracts.HarvestCards.address as Hex,
    abi: harvestCardsAbi,
    functionName: 'mintBatch',
    args: [tokenIds.map(() => wallet), tokenIds],
  });
  await reader.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  return tokenIds;
}

/** Gives a parcel to the player in game, requests its mint to `wallet` and mints it. Returns the token id. */
export async function mintParcel(
  db: Db,
  rpcUrl: string,
  deployments: HarvestDeployments,
  player: WorldPlayer,
  parcelId: string,
  wallet: Hex,
): Promise<bigint> {
  await db.landParcel.update({ where: { id: parcelId }, data: { ownerId: player.id } });
  const contracts = { cards: deployments.contracts.HarvestCards.address, land: deployments.contracts.HarvestLand.address };
  const request = await createMintRequest(db, {
    playerId: player.id,
    chainId: deployments.chainId,
    walletAddress: wallet,
    contracts,
    landId: parcelId,
  });
  const tokenId = BigInt(request.items[0]?.tokenId ?? '0');
  const { wallet: sender, public: reader } = chainClients(rpcUrl);
  const hash = await sender.writeContract({
    account: deployments.minter as Hex,
    address: deployments.contracts.HarvestLand.address as Hex,
    abi: harvestLandAbi,
    functionName: 'mintBatch',
    args: [[wallet], [tokenId]],
  });
  await reader.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  return tokenId;
}

/** The indexer configuration of a test chain (fast polling, the given confirmation depth and batch sizes). */
export function testChainConfig(rpcUrl: string, deployments: HarvestDeployments, overrides: Record<string, string> = {}): ChainConfig {
  const env = envFrom({
    DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
    CHAIN_ID: String(deployments.chainId),
    CHAIN_RPC_URL: rpcUrl,
    INDEXER_POLL_MS: '30',
    INDEXER_RPC_BACKOFF_MS: '20',
    INDEXER_PROGRESS_MS: '1000',
    INDEXER_HOLDER_SYNC_MS: '500',
    INDEXER_STANDBY_POLL_MS: '100',
    ...overrides,
  });
  return chainConfigOf(env, deployments);
}

/** Mines `n` empty blocks. */
export async function mine(rpcUrl: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await chainRpc(rpcUrl, 'evm_mine');
}

/** Waits (polling every `everyMs`, at most `timeoutMs`) until `condition` holds; throws naming `what` otherwise. */
export async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
