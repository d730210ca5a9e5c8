/**
 * The indexer's store: the packages/db chain services bound to one chain, its contracts and the writer epoch, plus
 * the local-chain view the live follower reads. Every write is idempotent (keyed by chain id, tx hash, log index)
 * and one transaction (see packages/db/src/chain).
 */
import {
  applyBlock,
  applyFinalRange,
  type ChainBlockHeader,
  type ChainCheckpointView,
  type ChainContracts,
  type ChainEvent,
  type ChainWriteResult,
  confirmPendingMints,
  type Db,
  finalizeBlocks,
  getChainCheckpoint,
  getLocalBlocks,
  type HolderMove,
  type PendingMintsResult,
  type RollbackResult,
  resetChainIndex,
  rollbackToAncestor,
  syncAllHolders,
} from '@harvest/db';
import type { LocalChainView } from '../sync/realtime.ts';

export interface ChainStore {
  checkpoint(): Promise<ChainCheckpointView>;
  applyFinalRange(input: {
    fromBlock: bigint;
    toBlock: bigint;
    toHash: string | null;
    events: readonly ChainEvent[];
  }): Promise<ChainWriteResult>;
  applyBlock(block: ChainBlockHeader, events: readonly ChainEvent[]): Promise<ChainWriteResult>;
  finalize(block: { number: bigint; hash: string }): Promise<ChainWriteResult>;
  rollback(ancestor: { number: bigint; hash: string }): Promise<RollbackResult>;
  /** Confirms every queued final mint (confirmMintedTokens), in rounds of `limit`. */
  confirmPendingMints(limit?: number): Promise<PendingMintsResult>;
  syncAllHolders(): Promise<HolderMove[]>;
  reset(startBlock: bigint): Promise<void>;
  /** The local chain for the live follower. */
  localView(): LocalChainView;
}

export function createChainStore(deps: { db: Db; chainId: number; contracts: ChainContracts; epoch: number }): ChainStore {
  const { db, chainId, contracts, epoch } = deps;
  const writer = { chainId, contracts, epoch };
  const checkpoint = async () => {
    const found = await getChainCheckpoint(db, chainId);
    if (!found) throw new Error(`chain ${chainId} has no checkpoint (claimChainWriter first)`);
    return found;
  };
  return {
    checkpoint,
    applyFinalRange: (input) => applyFinalRange(db, { ...writer, ...input }),
    applyBlock: (block, events) => applyBlock(db, { ...writer, block, events }),
    finalize: (block) => finalizeBlocks(db, { ...writer, block }),
    rollback: (ancestor) => rollbackToAncestor(db, { ...writer, ancestor }),
    async confirmPendingMints(limit = 2000) {
      const total: PendingMintsResult = { handled: 0, outcomes: [], moves: [] };
      for (;;) {
        const round = await confirmPendingMints(db, { ...writer, limit });
        total.handled += round.handled;
        total.outcomes.push(...round.outcomes);
        total.moves.push(...round.moves);
        if (round.handled < limit) return total;
      }
    },
    async syncAllHolders() {
      const moves: HolderMove[] = [];
      for (;;) {
        const round = await syncAllHolders(db, { chainId, contracts, limit: 500 });
        moves.push(...round);
        if (round.length < 500) return moves;
      }
    },
    reset: (startBlock) => resetChainIndex(db, { chainId, epoch, startBlock }),
    localView() {
      return {
        async head() {
          const c = await checkpoint();
          return { number: c.headBlock, hash: c.headHash, finalized: c.finalizedBlock, finalizedHash: c.finalizedHash };
        },
        async hashAt(number) {
          const c = await checkpoint();
          if (number === c.headBlock && c.headHash !== null) return c.headHash;
          if (number === c.finalizedBlock && c.finalizedHash !== null) return c.finalizedHash;
          const [block] = await getLocalBlocks(db, chainId, number, 1);
          return block && block.number === number ? block.hash : null;
        },
      };
    },
  };
}
