/**
 * Mint confirmation by the indexer, the final authority for mints (#9): every mint that became final on chain is
 * handed to `confirmMintedTokens` (../mints/pipeline.ts), the one confirmation function, with the token's holder
 * now (the mirror's owner: the minted-to wallet unless it moved since). The queue row is deleted only after the
 * confirmation committed, in the transaction that also brings the game holders in line with the mirror (a token
 * that moved or burned before its mint was final reaches the right state), so a crash in between confirms again,
 * which `confirmMintedTokens` answers as already confirmed.
 */
import type { Db } from '../index.ts';
import { type ConfirmOutcome, confirmMintedTokens } from '../mints/pipeline.ts';
import type { ChainContracts } from './events.ts';
import { type HolderMove, syncHoldersInTx } from './holders.ts';
import { lockCheckpointInTx } from './store.ts';

interface PendingRow {
  tx_hash: string;
  log_index: number;
  block_number: bigint;
  contract: string;
  token_id: string;
  holder: string;
}

/** What one round of {@link confirmPendingMints} did. */
export interface PendingMintsResult {
  /** Queue rows handled. */
  handled: number;
  /** Per contract, what confirmMintedTokens answered. */
  outcomes: Array<{ contract: string } & ConfirmOutcome>;
  moves: HolderMove[];
}

/** Confirms up to `limit` queued final mints (oldest first) and returns what was done; 0 handled: the queue is empty. */
export async function confirmPendingMints(
  db: Db,
  input: { chainId: number; contracts: ChainContracts; epoch: number; limit?: number },
): Promise<PendingMintsResult> {
  const rows = await db.$queryRaw<PendingRow[]>`
    WITH pending AS (
      SELECT * FROM chain_pending_mints WHERE chain_id = ${input.chainId}::int ORDER BY block_number, log_index LIMIT ${input.limit ?? 500}::int
    )
    SELECT p.tx_hash, p.log_index, p.block_number, p.contract, p.token_id::text,
      COALESCE(
        (SELECT o.owner FROM chain_token_owners o WHERE o.chain_id = p.chain_id AND o.contract = p.contract AND o.token_id = p.token_id),
        (SELECT t.to_address FROM chain_transfers t WHERE t.chain_id = p.chain_id AND t.tx_hash = p.tx_hash AND t.log_index = p.log_index)
      ) AS holder
    FROM pending p ORDER BY p.block_number, p.log_index`;
  if (rows.length === 0) return { handled: 0, outcomes: [], moves: [] };
  const outcomes: PendingMintsResult['outcomes'] = [];
  for (const contract of [...new Set(rows.map((r) => r.contract))]) {
    const tokens = rows
      .filter((r) => r.contract === contract)
      .map((r) => ({ tokenId: BigInt(r.token_id), owner: r.holder, txHash: r.tx_hash, blockNumber: BigInt(r.block_number) }));
    const outcome = await confirmMintedTokens(db, { chainId: input.chainId, contract, tokens, by: 'indexer' });
    outcomes.push({ contract, ...outcome });
  }
  const moves = await db.$transaction(
    async (tx) => {
      await lockCheckpointInTx(tx, input);
      const moved = await syncHoldersInTx(tx, {
        chainId: input.chainId,
        contracts: input.contracts,
        cardTokens: rows.filter((r) => r.contract === input.contracts.cards).map((r) => r.token_id),
        landTokens: rows.filter((r) => r.contract === input.contracts.land).map((r) => r.token_id),
      });
      await tx.$executeRaw`
        DELETE FROM chain_pending_mints p USING unnest(${rows.map((r) => r.tx_hash)}::text[], ${rows.map((r) => r.log_index)}::int[]) AS d(tx_hash, log_index)
        WHERE p.chain_id = ${input.chainId}::int AND p.tx_hash = d.tx_hash AND p.log_index = d.log_index`;
      return moved;
    },
    { maxWait: 10_000, timeout: 60_000 },
  );
  return { handled: rows.length, outcomes, moves };
}
