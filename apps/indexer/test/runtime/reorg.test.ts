/**
 * Acceptance: random reorgs up to depth 6 during 1,000 transfers on a real Hardhat node (evm_snapshot, transfers
 * the indexer applies, evm_revert, then a different branch). At the end the database's holder of every token is
 * `ownerOf` on chain, the transfer rows are exactly the canonical Transfer logs (none twice, none of a dropped
 * branch), each final transfer published exactly one outbox event, and the game's cards and parcels follow their
 * wallets' players (external wallets: no owner; burned cards burned).
 */

import { useTestDatabase } from '@harvest/db/testing';
import { createLogger } from '@harvest/service';
import { harvestCardsAbi, harvestLandAbi } from '@harvest/shared/abi';
import type { Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '../../src/decode/index.ts';
import { startIndexerProcess } from '../../src/runtime/main.ts';
import { createIndexerMetrics } from '../../src/runtime/metrics.ts';
import { chainRpc, devAccounts, type LocalChain, startLocalChain } from '../support/chain.ts';
import {
  chainClients,
  createPlayer,
  mine,
  mintCards,
  mintParcel,
  publishRepoGameData,
  testChainConfig,
  type WorldPlayer,
  waitFor,
} from '../support/world.ts';

const CONFIRMATIONS = 8;
const TRANSFERS = 1000;
const ZERO = '0x0000000000000000000000000000000000000000';

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('indexer under random reorgs', () => {
  const database = useTestDatabase();
  let chain: LocalChain;

  beforeAll(async () => {
    chain = await startLocalChain();
  });
  afterAll(async () => {
    await chain?.stop();
  });

  it('follows 1,000 transfers with reorgs up to depth 6: mirror = ownerOf, no duplicate, game follows', async () => {
    const seed = Number(process.env.INDEXER_REORG_SEED ?? Date.now() % 1_000_000);
    process.stdout.write(`indexer reorg test seed ${seed} (INDEXER_REORG_SEED=${seed} replays the same chain)\n`);
    const random = prng(seed);
    const db = database.db;
    const { deployments, rpcUrl } = chain;
    const accounts = (await devAccounts(rpcUrl)).map((a) => a.toLowerCase() as Hex);
    await publishRepoGameData(db);
    // Three players with two wallets each; three more wallets nobody linked ("external").
    const players: WorldPlayer[] = [];
    for (let i = 0; i < 3; i++) players.push(await createPlayer(db, [accounts[2 + 2 * i] as Hex, accounts[3 + 2 * i] as Hex], 12));
    const external = [accounts[8], accounts[9], accounts[10]] as Hex[];
    const holders = [...players.flatMap((p) => p.wallets), ...external];
    const playerOf = new Map(players.flatMap((p) => p.wallets.map((w) => [w, p.id] as const)));

    const cards = deployments.contracts.HarvestCards.address.toLowerCase() as Hex;
    const land = deployments.contracts.HarvestLand.address.toLowerCase() as Hex;
    const owners = new Map<string, Hex>(); // `${contract}:${tokenId}` -> holder ('0x0…0' once burned)
    for (const player of players) {
      const tokens = await mintCards(db, rpcUrl, deployments, player, player.cardIds, player.wallets[0] as Hex);
      for (const t of tokens) owners.set(`${cards}:${t}`, player.wallets[0] as Hex);
    }
    const parcels = await db.landParcel.findMany({ select: { id: true }, orderBy: { id: 'asc' }, take: 2 });
    for (const [i, parcel] of parcels.entries()) {
      const player = players[i] as WorldPlayer;
      const token = await mintParcel(db, rpcUrl, deployments, player, parcel.id, player.wallets[1] as Hex);
      owners.set(`${land}:${token}`, player.wallets[1] as Hex);
    }

    const log = createLogger('indexer-test', 'silent');
    const metrics = createIndexerMetrics(deployments.chainId);
    const config = testChainConfig(rpcUrl, deployments, { INDEXER_CONFIRMATIONS: String(CONFIRMATIONS) });
    const writer = startIndexerProcess({ databaseUrl: database.url, config, log, metrics });
    const { wallet, public: reader } = chainClients(rpcUrl);
    /** Waits until the indexer's head is the chain's tip, hash included (so a revert is rolled back first). */
    const indexedTip = async () => {
      const tip = await reader.getBlock({ blockTag: 'latest' });
      await waitFor(`indexer at block ${tip.number}`, async () => {
        const checkpoint = await db.chainCheckpoint.findUnique({ where: { chainId: deployments.chainId } });
        return checkpoint !== null && checkpoint.headBlock === tip.number && checkpoint.headHash === tip.hash;
      });
    };

    let burns = 0;
    const send = async () => {
      const live = [...owners.entries()].filter(([, owner]) => owner !== ZERO);
      const [key, from] = live[Math.floor(random() * live.length)] as [string, Hex];
      const [contract, id] = key.split(':') as [Hex, string];
      const tokenId = BigInt(id);
      const burn = contract === cards && burns < 8 && random() < 0.01;
      const others = holders.filter((h) => h !== from);
      const to = burn ? ZERO : (others[Math.floor(random() * others.length)] as Hex);
      const hash = burn
        ? await wallet.writeContract({ account: from, address: cards, abi: harvestCardsAbi, functionName: 'burn', args: [tokenId] })
        : await wallet.writeContract({
            account: from,
            address: contract,
            abi: contract === cards ? harvestCardsAbi : harvestLandAbi,
            functionName: 'transferFrom',
            args: [from, to, tokenId],
          });
      const receipt = await reader.waitForTransactionReceipt({ hash, pollingInterval: 10 });
      expect(receipt.status).toBe('success');
      owners.set(key, to);
      if (burn) burns++;
    };

    let canonical = 0;
    let episodes = 0;
    const depths: number[] = [];
    while (canonical < TRANSFERS) {
      if (random() < 0.05) {
        // A reorg: the indexer applies k blocks, then they vanish and another branch is mined instead.
        await indexedTip();
        const snapshot = await chainRpc<string>(rpcUrl, 'evm_snapshot');
        const saved = new Map(owners);
        const savedBurns = burns;
        const depth = 1 + Math.floor(random() * 6);
        for (let i = 0; i < depth; i++) await send();
        await indexedTip();
        expect(await chainRpc<boolean>(rpcUrl, 'evm_revert', [snapshot])).toBe(true);
        // The new branch starts with an empty block. Otherwise a depth-1 episode whose replacement transfer happens to
        // be the reverted one (same token, sender, receiver and nonce, mined in the same second) rebuilds the very
        // same block, hash included: no reorg at all, and the count below came up one short (seen once in CI).
        await mine(rpcUrl, 1);
        owners.clear();
        for (const [k, v] of saved) owners.set(k, v);
        burns = savedBurns;
        episodes++;
        depths.push(depth);
      }
      await send();
      canonical++;
    }
    await mine(rpcUrl, CONFIRMATIONS + 1);
    const head = BigInt(await chainRpc<string>(rpcUrl, 'eth_blockNumber'));
    await waitFor(
      'finality and mint confirmations',
      async () => {
        const checkpoint = await db.chainCheckpoint.findUnique({ where: { chainId: deployments.chainId } });
        const pending = await db.chainPendingMint.count();
        return (
          checkpoint !== null && checkpoint.finalizedBlock >= head - BigInt(CONFIRMATIONS) && checkpoint.headBlock === head && pending === 0
        );
      },
      120_000,
    );
    // One more holder-sync round after the last move.
    await new Promise((resolve) => setTimeout(resolve, 600));
    await writer.stop();

    // 1. The mirror is the chain, token by token.
    const mirror = await db.chainTokenOwner.findMany();
    expect(mirror.length).toBe(owners.size);
    for (const row of mirror) {
      const tokenId = BigInt(row.tokenId.toFixed());
      const onChain =
        row.contract === cards &&
        (await reader.readContract({ address: cards, abi: harvestCardsAbi, functionName: 'isBurned', args: [tokenId] }))
          ? ZERO
          : (
              await reader.readContract({
                address: row.contract as Hex,
                abi: row.contract === cards ? harvestCardsAbi : harvestLandAbi,
                functionName: 'ownerOf',
                args: [tokenId],
              })
            ).toLowerCase();
      expect({ token: `${row.contract}:${tokenId}`, owner: row.owner }).toEqual({ token: `${row.contract}:${tokenId}`, owner: onChain });
      expect(owners.get(`${row.contract}:${tokenId}`)).toBe(onChain);
    }

    // 2. Transfer rows are exactly the canonical Transfer logs; every one published exactly one event.
    const logs = await chainRpc<Array<{ transactionHash: string; logIndex: string }>>(rpcUrl, 'eth_getLogs', [
      { fromBlock: '0x0', toBlock: 'latest', address: [cards, land], topics: [TOPICS.Transfer] },
    ]);
    const canonicalKeys = logs.map((l) => `${l.transactionHash.toLowerCase()}:${BigInt(l.logIndex)}`).sort();
    const rows = await db.chainTransfer.findMany({ select: { txHash: true, logIndex: true } });
    expect(rows.map((r) => `${r.txHash}:${r.logIndex}`).sort()).toEqual(canonicalKeys);
    const events = await db.outboxEvent.findMany({
      where: { type: { in: ['card_transferred', 'land_transferred'] } },
      select: { payload: true, eventId: true },
    });
    const eventKeys = events.map((e) => {
      const payload = e.payload as { txHash: string; tokenId: string };
      const row = logs.find((l) => l.transactionHash.toLowerCase() === payload.txHash);
      return row ? `${payload.txHash}:${payload.tokenId}` : `dropped:${payload.txHash}`;
    });
    expect(events.length).toBe(canonicalKeys.length);
    expect(new Set(eventKeys).size).toBe(eventKeys.length);
    expect(eventKeys.filter((k) => k.startsWith('dropped:'))).toEqual([]);

    // 3. The game follows: every minted card and parcel is held by its wallet's player (external: nobody).
    const gameCards = await db.cardInstance.findMany({
      where: { tokenId: { not: null } },
      select: { tokenId: true, ownerId: true, state: true },
    });
    expect(gameCards.length).toBe(players.reduce((n, p) => n + p.cardIds.length, 0));
    for (const card of gameCards) {
      const holder = owners.get(`${cards}:${card.tokenId?.toFixed()}`);
      if (holder === ZERO) expect(card).toMatchObject({ state: 'burned', ownerId: null });
      else expect(card).toMatchObject({ state: 'on_chain', ownerId: playerOf.get(holder as Hex) ?? null });
    }
    const gameLand = await db.landParcel.findMany({ where: { tokenId: { not: null } }, select: { tokenId: true, ownerId: true } });
    expect(gameLand.length).toBe(2);
    for (const parcel of gameLand)
      expect(parcel.ownerId).toBe(playerOf.get(owners.get(`${land}:${parcel.tokenId?.toFixed()}`) as Hex) ?? null);
    const items = await db.mintItem.findMany({ select: { status: true, confirmedBy: true } });
    expect(items.every((i) => i.status === 'confirmed' && i.confirmedBy === 'indexer')).toBe(true);

    // 4. Every reorg was seen and rolled back once.
    const reorgs = (await metrics.reorgs.get()).values[0]?.value ?? 0;
    expect(episodes).toBeGreaterThan(0);
    expect(reorgs).toBe(episodes);
    expect(Math.max(...depths)).toBeLessThanOrEqual(6);
    process.stdout.write(
      `reorg test: seed ${seed}, ${canonical} canonical transfers, ${episodes} reorgs (depths ${depths.join(',')}), ${burns} burns\n`,
    );
  });
});
