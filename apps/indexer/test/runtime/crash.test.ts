/**
 * Acceptance: the indexer process (src/server.ts) is SIGKILLed three times in the middle of a backfill and started
 * again; after the last run its database holds the same state as an uninterrupted run (transfer rows, mirror, the
 * chain's outbox events with their ids, checkpoint, confirmed mints) and the same as the chain: every Transfer log
 * once (no gap, no duplicate).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Db } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { createLogger } from '@harvest/service';
import { harvestCardsAbi } from '@harvest/shared/abi';
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
  publishRepoGameData,
  testChainConfig,
  type WorldPlayer,
  waitFor,
} from '../support/world.ts';

const CONFIRMATIONS = 2;
const SERVER = join(import.meta.dirname, '..', '..', 'src', 'server.ts');

type Row = Record<string, unknown>;

async function snapshot(
  db: Db,
  chainId: number,
): Promise<{ transfers: Row[]; owners: Row[]; events: Row[]; cards: Row[]; checkpoint: Row[]; pending: number }> {
  const transfers = await db.$queryRaw<Row[]>`
    SELECT tx_hash, log_index, block_number::text, block_hash, contract, token_id::text, from_address, to_address
    FROM chain_transfers ORDER BY block_number, log_index`;
  const owners = await db.$queryRaw<Row[]>`
    SELECT contract, token_id::text, owner, since_block::text, since_log_index, since_tx_hash FROM chain_token_owners ORDER BY contract, token_id`;
  const events = await db.$queryRaw<Row[]>`
    SELECT event_id::text, type, key, payload FROM outbox WHERE type IN ('card_transferred', 'land_transferred', 'card_minted', 'sale') ORDER BY event_id`;
  const cards = await db.$queryRaw<Row[]>`
    SELECT id::text, state::text, owner_id::text, token_id::text FROM card_instances ORDER BY id`;
  const checkpoint = await db.$queryRaw<Row[]>`
    SELECT finalized_block::text, finalized_hash FROM chain_checkpoints WHERE chain_id = ${chainId}::int`;
  const pending = await db.chainPendingMint.count();
  return { transfers, owners, events, cards, checkpoint, pending };
}

describe('indexer killed mid-backfill', () => {
  const reference = useTestDatabase();
  const killed = useTestDatabase();
  let chain: LocalChain;

  beforeAll(async () => {
    chain = await startLocalChain();
  });
  afterAll(async () => {
    await chain?.stop();
  });

  it('SIGKILL three times mid-backfill -> the same end state, no gap, no duplicate', async () => {
    const { deployments, rpcUrl, deploymentsFile } = chain;
    const accounts = (await devAccounts(rpcUrl)).map((a) => a.toLowerCase() as Hex);
    // The same game world in both databases (players, wallets, cards, mint requests: ids differ, checked by token).
    const worlds: WorldPlayer[] = [];
    for (const db of [reference.db, killed.db]) {
      await publishRepoGameData(db);
      worlds.push(await createPlayer(db, [accounts[2] as Hex], 20));
    }
    // Game cards minted through the pipeline of the reference world, then the same token ids requested in the other
    // world cannot exist (ids come from card ids): so the killed world requests its own cards and the chain mints both.
    for (const [i, db] of [reference.db, killed.db].entries()) {
      const world = worlds[i] as WorldPlayer;
      await mintCards(db, rpcUrl, deployments, world, world.cardIds, accounts[2] as Hex);
    }
    // Bulk traffic: 30 mintBatch transactions of 150 tokens to unlinked wallets, then 150 transfers.
    const { wallet, public: reader } = chainClients(rpcUrl);
    const cards = deployments.contracts.HarvestCards.address as Hex;
    let next = 1n;
    for (let b = 0; b < 30; b++) {
      const ids = Array.from({ length: 150 }, () => next++);
      const hash = await wallet.writeContract({
        account: deployments.minter as Hex,
        address: cards,
        abi: harvestCardsAbi,
        functionName: 'mintBatch',
        args: [ids.map((_, i) => accounts[10 + (i % 5)] as Hex), ids],
      });
      await reader.waitForTransactionReceipt({ hash, pollingInterval: 10 });
    }
    for (let i = 0; i < 150; i++) {
      const tokenId = BigInt(1 + i * 7);
      const from = accounts[10 + (Number(tokenId - 1n) % 5)] as Hex;
      const hash = await wallet.writeContract({
        account: from,
        address: cards,
        abi: harvestCardsAbi,
        functionName: 'transferFrom',
        args: [from, accounts[3] as Hex, tokenId],
      });
      await reader.waitForTransactionReceipt({ hash, pollingInterval: 10 });
    }
    await mine(rpcUrl, CONFIRMATIONS);
    const head = BigInt(await chainRpc<string>(rpcUrl, 'eth_blockNumber'));
    const target = head - BigInt(CONFIRMATIONS);
    const start = BigInt(deployments.contracts.HarvestCards.blockNumber);

    // The reference: one uninterrupted in-process run.
    const settings = {
      INDEXER_CONFIRMATIONS: String(CONFIRMATIONS),
      INDEXER_BACKFILL_RANGE: '1',
      INDEXER_BACKFILL_MAX_RANGE: '2',
      INDEXER_BACKFILL_CONCURRENCY: '1',
      INDEXER_BATCH_EVENTS: '10',
      INDEXER_CATCHUP_BLOCKS: '1',
    };
    const metrics = createIndexerMetrics(deployments.chainId);
    const run = startIndexerProcess({
      databaseUrl: reference.url,
      config: testChainConfig(rpcUrl, deployments, settings),
      log: createLogger('indexer-reference', 'silent'),
      metrics,
    });
    const caughtUp = (db: Db) => async () => {
      const c = await db.chainCheckpoint.findUnique({ where: { chainId: deployments.chainId } });
      return c !== null && c.finalizedBlock >= target && (await db.chainPendingMint.count()) === 0;
    };
    await waitFor('the reference run', caughtUp(reference.db), 120_000);
    await run.stop();

    // The killed run: the real process, SIGKILLed three times while its checkpoint is between start and target.
    const env = {
      ...process.env,
      ...settings,
      DATABASE_URL: killed.url,
      CHAIN_ID: String(deployments.chainId),
      CHAIN_RPC_URL: rpcUrl,
      DEPLOYMENTS_FILE: deploymentsFile,
      INDEXER_PORT: '0',
      INDEXER_POLL_MS: '30',
      LOG_LEVEL: 'warn',
    };
    const spawnIndexer = (): ChildProcess => spawn(process.execPath, [SERVER], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const headOf = async () => (await killed.db.chainCheckpoint.findUnique({ where: { chainId: deployments.chainId } }))?.headBlock ?? -1n;
    const killPoints: bigint[] = [];
    for (const fraction of [0.2, 0.45, 0.7]) {
      const threshold = start + BigInt(Math.floor(Number(target - start) * fraction));
      const child = spawnIndexer();
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const previous = killPoints.at(-1) ?? -1n;
      await waitFor(
        `checkpoint past ${threshold} (${stderr})`,
        async () => {
          const at = await headOf();
          return at >= threshold && at > previous;
        },
        60_000,
        5,
      );
      child.kill('SIGKILL');
      await exited;
      const at = await headOf();
      killPoints.push(at);
      expect(at).toBeLessThan(target);
    }
    expect(new Set(killPoints).size).toBe(3);
    const last = spawnIndexer();
    const lastExit = new Promise<number | null>((resolve) => last.once('exit', (code) => resolve(code)));
    await waitFor('the last run', caughtUp(killed.db), 120_000);
    last.kill('SIGTERM');
    expect(await lastExit).toBe(0);

    const a = await snapshot(reference.db, deployments.chainId);
    const b = await snapshot(killed.db, deployments.chainId);
    expect(b.transfers).toEqual(a.transfers);
    expect(b.owners).toEqual(a.owners);
    expect(b.checkpoint).toEqual(a.checkpoint);
    expect(b.pending).toBe(0);
    // Outbox: the chain's events are the same rows with the same deterministic ids; card_minted names each world's
    // own cards (the other world's tokens are unknown there), 20 each, once each.
    const chainEvents = (s: typeof a) => s.events.filter((e) => e.type !== 'card_minted');
    expect(chainEvents(b)).toEqual(chainEvents(a));
    for (const [i, s] of [a, b].entries()) {
      const minted = s.events.filter((e) => e.type === 'card_minted').map((e) => (e.payload as { tokenId: string }).tokenId);
      expect(new Set(minted).size).toBe(20);
      expect(minted.sort()).toEqual(
        s.cards
          .filter((c) => c.token_id !== null)
          .map((c) => c.token_id as string)
          .sort(),
      );
      expect(worlds[i]?.cardIds.length).toBe(20);
    }
    // Each world's own cards are on chain, held by its player.
    for (const [i, s] of [a, b].entries()) {
      const mine = s.cards.filter((c) => c.state === 'on_chain');
      expect(mine.length).toBe(20);
      expect(mine.every((c) => c.owner_id === worlds[i]?.id)).toBe(true);
    }
    // And the chain: every Transfer log exactly once.
    const logs = await chainRpc<Array<{ transactionHash: string; logIndex: string }>>(rpcUrl, 'eth_getLogs', [
      { fromBlock: '0x0', toBlock: `0x${target.toString(16)}`, address: [cards.toLowerCase()], topics: [TOPICS.Transfer] },
    ]);
    expect(b.transfers.map((t) => `${t.tx_hash}:${t.log_index}`).sort()).toEqual(
      logs.map((l) => `${l.transactionHash.toLowerCase()}:${BigInt(l.logIndex)}`).sort(),
    );
    expect(b.events.filter((e) => e.type === 'card_transferred').length).toBe(logs.length);
    process.stdout.write(`crash test: killed at blocks ${killPoints.join(', ')} of ${start}-${target}; ${logs.length} transfers\n`);
  });
});
