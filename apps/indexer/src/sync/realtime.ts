/**
 * Live head following, Ponder style: each tick yields `block` (a new head block whose parent is the local head,
 * with its logs), `reorg` (the local chain left the canonical one: roll back to `ancestor`, the newest block both
 * share) and `finalize` (blocks up to `block` are past the confirmation depth). The consumer applies each event
 * before the generator goes on, and the next tick starts from what the consumer stored.
 *
 * Logs are fetched by block hash (EIP-234) and checked against it, so logs of another block (one that is no longer
 * canonical) are refused; a block that vanished between its header and its logs ends the tick, and the next tick
 * sees the reorg in the parent hashes.
 */
import { AppError } from '@harvest/shared/errors';
import { findLogContradiction, type RpcLog } from '../decode/index.ts';
import type { LogFilter, RpcBlock, RpcClient } from './rpc.ts';

/** What the local chain looks like (the store's checkpoint and unfinalized blocks). */
export interface LocalChainView {
  head(): Promise<{ number: bigint; hash: string | null; finalized: bigint; finalizedHash: string | null }>;
  /** The local hash of block `number` (an unfinalized block, or the finalized anchor), null when unknown. */
  hashAt(number: bigint): Promise<string | null>;
}

export type RealtimeEvent =
  | { type: 'block'; block: RpcBlock; logs: RpcLog[] }
  | { type: 'reorg'; ancestor: { number: bigint; hash: string }; localHead: bigint; remoteHead: bigint }
  | { type: 'finalize'; block: { number: bigint; hash: string } };

export interface RealtimeOptions {
  rpc: RpcClient;
  filter: LogFilter;
  confirmations: number;
  local: LocalChainView;
  /** Most blocks applied per tick (the rest waits for the next tick). */
  maxBlocksPerTick: number;
}

export interface RealtimeSync {
  /** One round of following: new blocks, a reorg, then finality. */
  tick(): AsyncGenerator<RealtimeEvent>;
  /** The newest block the endpoint reported during the last tick. */
  readonly remoteHead: bigint | null;
}

/** Creates the follower of one chain. */
export function createRealtimeSync(options: RealtimeOptions): RealtimeSync {
  const { rpc, local } = options;
  let remoteHead: bigint | null = null;

  /** Walks down from `from` to the newest block whose local and remote hashes agree. */
  async function findAncestor(from: bigint): Promise<{ number: bigint; hash: string }> {
    const state = await local.head();
    for (let k = from; k >= state.finalized; k--) {
      const mine = k === state.finalized ? (state.finalizedHash ?? (await local.hashAt(k))) : await local.hashAt(k);
      const theirs = await rpc.getBlock(k);
      if (mine === null && k === state.finalized) {
        // A finalized block whose hash was never recorded (an interrupted backfill): trust finality.
        return { number: k, hash: theirs?.hash ?? '' };
      }
      if (mine !== null && theirs !== null && theirs.hash === mine) return { number: k, hash: mine };
    }
    throw new AppError('CHAIN_REORG_TOO_DEEP', `the chain no longer has finalized block ${state.finalized} (${state.finalizedHash})`, {
      finalized: state.finalized.toString(),
    });
  }

  async function* tick(): AsyncGenerator<RealtimeEvent> {
    const latest = await rpc.getBlock('latest');
    if (!latest) return;
    remoteHead = latest.number;
    const state = await local.head();
    if (latest.number <= state.number && state.hash !== null) {
      const remoteAtHead = latest.number === state.number ? latest : await rpc.getBlock(state.number);
      if (remoteAtHead === null || remoteAtHead.hash !== state.hash) {
        // Our head is gone (a shorter chain) or replaced: roll back to the newest shared block.
        const ancestor = await findAncestor(remoteAtHead === null ? latest.number : state.number);
        yield { type: 'reorg', ancestor, localHead: state.number, remoteHead: latest.number };
        return;
      }
    }
    let parent = state.hash;
    const last =
      latest.number < state.number + BigInt(options.maxBlocksPerTick) ? latest.number : state.number + BigInt(options.maxBlocksPerTick);
    for (let n = state.number + 1n; n <= last; n++) {
      const block = n === latest.number ? latest : await rpc.getBlock(n);
      if (!block) break;
      if (parent !== null && block.parentHash !== parent) {
        const ancestor = await findAncestor(n - 1n);
        yield { type: 'reorg', ancestor, localHead: n - 1n, remoteHead: latest.number };
        return;
      }
      let logs: RpcLog[];
      try {
        logs = await rpc.getLogs(
          { ...options.filter, blockHash: block.hash },
          (answer) => findLogContradiction(answer, { from: n, to: n, addresses: options.filter.address, blockHash: block.hash }),
          2,
        );
      } catch (error) {
        // The block was replaced between its header and its logs: the next tick sees the reorg.
        if (error instanceof AppError && (error.code === 'CHAIN_RPC_UNAVAILABLE' || error.code === 'CHAIN_RPC_CONTRADICTION')) return;
        throw error;
      }
      yield { type: 'block', block, logs };
      parent = block.hash;
    }
    const after = await local.head();
    const target = latest.number - BigInt(options.confirmations);
    const finalTo = target < after.number ? target : after.number;
    if (finalTo > after.finalized) {
      const hash = await local.hashAt(finalTo);
      if (hash !== null) yield { type: 'finalize', block: { number: finalTo, hash } };
    }
  }

  return {
    tick,
    get remoteHead() {
      return remoteHead;
    },
  };
}
