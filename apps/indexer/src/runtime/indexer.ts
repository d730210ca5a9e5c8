/**
 * Orchestration of one chain: claim the writer epoch, then loop: backfill while the final block is far ahead
 * (adaptive eth_getLogs ranges, several in flight, one transaction per batch of whole blocks with the checkpoint),
 * otherwise follow the head block by block (block | reorg | finalize from ../sync/realtime.ts), confirm the mints
 * that became final, and keep game holders in line with the mirror. Every step resumes from the checkpoint, so a
 * process killed anywhere starts again where its last transaction committed.
 */
import { type ChainEvent, claimChainWriter, type Db, type HolderMove } from '@harvest/db';
import type { Logger } from '@harvest/service';
import { AppError } from '@harvest/shared/errors';
import type { ChainConfig } from '../config.ts';
import { decodeLogs, FOLLOWED_TOPICS } from '../decode/index.ts';
import { type ChainStore, createChainStore } from '../store/index.ts';
import { createRangeSizer, fetchLogRanges } from '../sync/backfill.ts';
import { createRealtimeSync } from '../sync/realtime.ts';
import type { LogFilter, RpcClient } from '../sync/rpc.ts';
import type { IndexerMetrics } from './metrics.ts';

export interface ChainIndexerDeps {
  db: Db;
  rpc: RpcClient;
  config: ChainConfig;
  log: Logger;
  metrics: IndexerMetrics;
}

export interface ChainIndexer {
  /** Runs until `signal` aborts (resolves) or a fatal error (rejects: fenced, reorg below finality). */
  run(signal: AbortSignal): Promise<void>;
  /** Where the indexer is (for /readyz, tests and logs). */
  readonly status: { head: bigint; finalized: bigint; remoteHead: bigint | null; backfilling: boolean };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** Splits chain-ordered events into batches of whole blocks with about `size` events each. */
export function splitAtBlocks(events: readonly ChainEvent[], size: number): ChainEvent[][] {
  const batches: ChainEvent[][] = [];
  let current: ChainEvent[] = [];
  for (const event of events) {
    const last = current.at(-1);
    if (last && current.length >= size && event.blockNumber !== last.blockNumber) {
      batches.push(current);
      current = [];
    }
    current.push(event);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Fatal errors stop the indexer; everything else is retried from the checkpoint. */
function isFatal(error: unknown): boolean {
  return error instanceof AppError && (error.code === 'INDEXER_FENCED' || error.code === 'CHAIN_REORG_TOO_DEEP');
}

export function createChainIndexer(deps: ChainIndexerDeps): ChainIndexer {
  const { db, rpc, config, log, metrics } = deps;
  const filter: LogFilter = {
    address: [config.contracts.cards, config.contracts.land, config.contracts.marketplace],
    topics: [[...FOLLOWED_TOPICS]],
  };
  const status: ChainIndexer['status'] = { head: -1n, finalized: -1n, remoteHead: null, backfilling: false };
  const sizer = createRangeSizer({
    initial: config.backfill.initialRange,
    max: config.backfill.maxRange,
    targetLogs: config.backfill.targetLogs,
    onChange: (size) => metrics.rangeBlocks.set(size),
  });
  metrics.rangeBlocks.set(sizer.size);

  const recordMoves = (moves: readonly HolderMove[]) => {
    for (const move of moves) metrics.gameMoves.inc({ asset: move.asset, move: move.move });
  };
  const countEvents = (events: readonly ChainEvent[], inserted: number) => {
    if (inserted === events.length) {
      const kinds = new Map<string, number>();
      for (const e of events) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
      for (const [kind, n] of kinds) metrics.countEvents(kind, n);
    } else metrics.countEvents('replayed_batch', inserted);
  };
  const observe = async (store: ChainStore) => {
    const c = await store.checkpoint();
    status.head = c.headBlock;
    status.finalized = c.finalizedBlock;
    metrics.headBlock.set(Number(c.headBlock));
    metrics.finalizedBlock.set(Number(c.finalizedBlock));
    if (status.remoteHead !== null) {
      metrics.chainHead.set(Number(status.remoteHead));
      metrics.headLag.set(Math.max(0, Number(status.remoteHead - c.headBlock)));
    }
    return c;
  };

  /** A local chain restarted from scratch (same chain id, new blocks): start its index again. */
  async function checkRestartedChain(store: ChainStore): Promise<void> {
    const c = await store.checkpoint();
    const known = c.finalizedHash ?? c.headHash;
    const at = c.finalizedHash !== null ? c.finalizedBlock : c.headBlock;
    if (known === null || at < 0n) return;
    const remote = await rpc.getBlock(at);
    if (remote?.hash === known) return;
    if (!config.local) {
      throw new AppError('CHAIN_REORG_TOO_DEEP', `chain ${config.chainId} no longer has block ${at} (${known})`, { block: at.toString() });
    }
    log.warn({ chainId: config.chainId, block: at.toString() }, 'the local chain was restarted: indexing it again from the start');
    await store.reset(config.startBlock);
  }

  async function confirmMints(store: ChainStore): Promise<void> {
    const result = await store.confirmPendingMints();
    recordMoves(result.moves);
    const confirmed = result.outcomes.reduce((n, o) => n + o.confirmed.length, 0);
    if (confirmed > 0) log.info({ confirmed, handled: result.handled }, 'mints confirmed');
  }

  async function backfill(store: ChainStore, signal: AbortSignal, target: { number: bigint; hash: string }): Promise<void> {
    const start = await store.checkpoint();
    const from = start.headBlock + 1n;
    if (from > target.number) return;
    status.backfilling = true;
    const began = performance.now();
    let lastLog = began;
    let blocksDone = 0n;
    let eventsDone = 0;
    const total = target.number - from + 1n;
    log.info({ from: from.toString(), to: target.number.toString(), blocks: total.toString() }, 'backfill started');
    let pendingFrom = from;
    let pending: ChainEvent[] = [];
    const flush = async (to: bigint) => {
      const batches = splitAtBlocks(pending, config.backfill.batchEvents);
      if (batches.length === 0) batches.push([]);
      for (const [index, batch] of batches.entries()) {
        // Every batch ends on a block boundary; the last one carries the checkpoint to the end of the range.
        const batchTo = index === batches.length - 1 ? to : (batch.at(-1) as ChainEvent).blockNumber;
        const result = await store.applyFinalRange({
          fromBlock: pendingFrom,
          toBlock: batchTo,
          toHash: batchTo === target.number ? target.hash : null,
          events: batch,
        });
        countEvents(batch, result.inserted);
        recordMoves(result.moves);
        eventsDone += batch.length;
        pendingFrom = batchTo + 1n;
      }
      pending = [];
      blocksDone = to - from + 1n;
      await confirmMints(store);
      await observe(store);
    };
    let lastFlush = performance.now();
    for await (const range of fetchLogRanges({ rpc, filter, ...config.backfill, signal }, from, target.number, sizer)) {
      const events = decodeLogs(range.logs, config.contracts);
      const stray = events.find((e) => e.blockNumber === target.number && e.blockHash !== target.hash);
      if (stray)
        throw new AppError(
          'CHAIN_RPC_CONTRADICTION',
          `logs of block ${target.number} carry hash ${stray.blockHash}, its header ${target.hash}`,
        );
      pending.push(...events);
      const now = performance.now();
      if (pending.length >= config.backfill.batchEvents || range.to === target.number || now - lastFlush > 2000) {
        await flush(range.to);
        lastFlush = performance.now();
      }
      if (now - lastLog >= config.progressMs || range.to === target.number) {
        const seconds = (performance.now() - began) / 1000;
        const blocksPerSecond = Number(blocksDone) / seconds;
        const eventsPerSecond = eventsDone / seconds;
        const left = Number(total - blocksDone);
        log.info(
          {
            at: (from + blocksDone - 1n).toString(),
            to: target.number.toString(),
            percent: Math.round((Number(blocksDone) / Number(total)) * 1000) / 10,
            blocksPerSecond: Math.round(blocksPerSecond),
            eventsPerSecond: Math.round(eventsPerSecond),
            events: eventsDone,
            etaSeconds: blocksPerSecond > 0 ? Math.round(left / blocksPerSecond) : null,
            rangeBlocks: sizer.size,
          },
          'backfill progress',
        );
        lastLog = performance.now();
      }
      if (signal.aborted) break;
    }
    status.backfilling = false;
    if (!signal.aborted) {
      const seconds = (performance.now() - began) / 1000;
      log.info(
        {
          to: target.number.toString(),
          events: eventsDone,
          seconds: Math.round(seconds * 10) / 10,
          eventsPerSecond: Math.round(eventsDone / seconds),
        },
        'backfill done',
      );
    }
  }

  /** Moves from following the head to a backfill: the local head must still be canonical and becomes final. */
  async function catchUp(store: ChainStore, signal: AbortSignal, finalTarget: bigint): Promise<boolean> {
    const c = await store.checkpoint();
    if (c.headBlock > c.finalizedBlock && c.headHash !== null) {
      const remote = await rpc.getBlock(c.headBlock);
      if (remote?.hash !== c.headHash) return false;
      await store.finalize({ number: c.headBlock, hash: c.headHash });
      await confirmMints(store);
    }
    const header = await rpc.getBlock(finalTarget);
    if (!header) return false;
    await backfill(store, signal, { number: header.number, hash: header.hash });
    return true;
  }

  async function follow(store: ChainStore, realtime: ReturnType<typeof createRealtimeSync>, signal: AbortSignal): Promise<void> {
    for await (const event of realtime.tick()) {
      if (event.type === 'block') {
        const events = decodeLogs(event.logs, config.contracts);
        const result = await store.applyBlock(event.block, events);
        countEvents(events, result.inserted);
        recordMoves(result.moves);
      } else if (event.type === 'reorg') {
        const result = await store.rollback(event.ancestor);
        metrics.reorgs.inc();
        metrics.reorgDepth.observe(result.depth);
        recordMoves(result.moves);
        log.warn(
          { ancestor: event.ancestor.number.toString(), depth: result.depth, removed: result.removed, moves: result.moves.length },
          'reorg: rolled back to the common ancestor',
        );
      } else {
        const result = await store.finalize(event.block);
        if (result.published > 0) log.debug({ finalized: event.block.number.toString(), events: result.published }, 'blocks final');
        await confirmMints(store);
      }
      if (signal.aborted) return;
    }
  }

  return {
    status,
    async run(signal) {
      try {
        await runUntilStopped(signal);
      } catch (error) {
        // Stopping aborts RPC calls and transactions in flight: that is the end of the run, not a failure.
        if (!signal.aborted) throw error;
      }
    },
  };

  /** Start-up (retried while the chain or the database is unreachable), then the loop. */
  async function runUntilStopped(signal: AbortSignal): Promise<void> {
    let store: ChainStore | null = null;
    while (!store) {
      try {
        await rpc.verifyChainId(config.chainId);
        const claimed = await claimChainWriter(db, { chainId: config.chainId, startBlock: config.startBlock });
        log.info({ chainId: config.chainId, epoch: claimed.epoch, head: claimed.headBlock.toString() }, 'indexer writing');
        const claimedStore = createChainStore({ db, chainId: config.chainId, contracts: config.contracts, epoch: claimed.epoch });
        await checkRestartedChain(claimedStore);
        store = claimedStore;
      } catch (error) {
        if (isFatal(error) || (error instanceof AppError && error.code === 'CHAIN_RPC_CONTRADICTION') || signal.aborted) throw error;
        log.error({ err: error }, 'indexer start-up failed; retrying');
        await sleep(2000, signal);
      }
    }
    const realtime = createRealtimeSync({
      rpc,
      filter,
      confirmations: config.confirmations,
      local: store.localView(),
      maxBlocksPerTick: 256,
    });
    let lastHolderSync = 0;
    while (!signal.aborted) {
      try {
        const remote = await rpc.blockNumber();
        status.remoteHead = remote;
        const c = await observe(store);
        const finalTarget = remote - BigInt(config.confirmations);
        if (
          finalTarget - c.headBlock > BigInt(config.catchupBlocks) ||
          (c.headBlock < config.startBlock && finalTarget >= config.startBlock)
        ) {
          if (await catchUp(store, signal, finalTarget)) continue;
        }
        await follow(store, realtime, signal);
        await confirmMints(store);
        if (Date.now() - lastHolderSync >= config.holderSyncMs) {
          const moves = await store.syncAllHolders();
          recordMoves(moves);
          if (moves.length > 0) log.info({ moves: moves.length }, 'game holders brought in line with the chain');
          lastHolderSync = Date.now();
        }
        const after = await observe(store);
        if (realtime.remoteHead === null || after.headBlock >= realtime.remoteHead) await sleep(config.pollMs, signal);
      } catch (error) {
        if (isFatal(error) || signal.aborted) throw error;
        log.error({ err: error }, 'indexer step failed; retrying from the checkpoint');
        await sleep(Math.min(5000, config.pollMs * 4), signal);
      }
    }
  }
}
