/**
 * The minting pipeline's writes, shared by the minter and (later) the indexer:
 *
 * ```
 * queued --claimMintBatch--> batched --(minter journals a transaction)--> submitted --markMintItemsMined--> mined
 *   mined|submitted|batched --confirmMintedTokens--> confirmed          (the one confirmation function)
 *   any but confirmed --failMintItems--> failed (card fail_mint -> in_game, with a reason a player can read)
 *   batched|submitted|mined --requeueMintItems--> queued (a reverted or dropped send; attempts + 1)
 * ```
 *
 * Confirmation authority: until the indexer (#10) exists, the minter calls {@link confirmMintedTokens} once a
 * receipt has the chain's confirmations (`by: 'minter'`). The indexer will call the same function for every mint
 * it sees (`by: 'indexer'`): it confirms what the minter has not, marks what the minter confirmed as seen by the
 * indexer, and revives an item the minter had given up on if its token exists after all. With
 * `MINT_CONFIRMED_BY=indexer` the minter stops at `mined` and leaves confirmation to the indexer alone.
 */
import { AppError } from '@harvest/shared/errors';
import { confirmMintInTx, failMintInTx, lockCardsInTx } from '../cards/index.ts';
import type { MintItemStatus } from '../generated/prisma/enums.ts';
import type { Db, DbTransaction } from '../index.ts';
import { isUuid } from '../ledger/index.ts';
import { appendEvents, type OutboxEventInput } from '../outbox/index.ts';

/** An item as the minter handles it. */
export interface PipelineItem {
  id: string;
  requestId: string;
  cardId: string | null;
  landId: string | null;
  chainId: number;
  contract: string;
  tokenId: bigint;
  /** The target wallet (lower case). */
  walletAddress: string;
  status: MintItemStatus;
  txHash: string | null;
  attempts: number;
}

/** A batch with its items. */
export interface MintBatchView {
  id: string;
  chainId: number;
  contract: string;
  provider: string;
  status: 'pending' | 'sent' | 'done' | 'dead';
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  items: PipelineItem[];
}

interface PipelineRow {
  id: string;
  request_id: string;
  card_id: string | null;
  land_id: string | null;
  chain_id: number;
  contract: string;
  token_id: string;
  wallet_address: string;
  status: MintItemStatus;
  tx_hash: string | null;
  attempts: number;
}

const toPipeline = (r: PipelineRow): PipelineItem => ({
  id: r.id,
  requestId: r.request_id,
  cardId: r.card_id,
  landId: r.land_id,
  chainId: r.chain_id,
  contract: r.contract,
  tokenId: BigInt(r.token_id),
  walletAddress: r.wallet_address,
  status: r.status,
  txHash: r.tx_hash,
  attempts: r.attempts,
});

type Tx = DbTransaction;

async function itemsOfBatch(reader: Pick<Tx, '$queryRaw'>, batchId: string): Promise<PipelineItem[]> {
  const rows = await reader.$queryRaw<PipelineRow[]>`
    SELECT i.id::text, i.request_id::text, i.card_id::text, i.land_id, i.chain_id, i.contract, i.token_id::text,
           r.wallet_address, i.status::text AS status, i.tx_hash, i.attempts
    FROM mint_items i JOIN mint_requests r ON r.id = i.request_id
    WHERE i.batch_id = ${batchId}::uuid ORDER BY i.token_id`;
  return rows.map(toPipeline);
}

/** The (chain, contract) pairs with queued items, how many and since when, oldest first. */
export async function listQueuedMintTargets(db: Db): Promise<Array<{ chainId: number; contract: string; queued: number; oldest: Date }>> {
  const rows = await db.$queryRaw<Array<{ chain_id: number; contract: string; queued: number; oldest: Date }>>`
    SELECT chain_id, contract, count(*)::int AS queued, min(updated_at) AS oldest FROM mint_items WHERE status = 'queued'
    GROUP BY chain_id, contract ORDER BY min(updated_at)`;
  return rows.map((r) => ({ chainId: r.chain_id, contract: r.contract, queued: r.queued, oldest: r.oldest }));
}

/**
 * Claims up to `limit` queued items of one collection into a new batch (oldest first; rows another claimer holds
 * are skipped), or returns null when none is queued.
 */
export async function claimMintBatch(
  db: Db,
  input: { chainId: number; contract: string; provider: string; limit: number },
): Promise<MintBatchView | null> {
  return db.$transaction(async (tx) => {
    const picked = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id::text FROM mint_items WHERE status = 'queued' AND chain_id = ${input.chainId}::int AND contract = ${input.contract.toLowerCase()}
      ORDER BY updated_at, id LIMIT ${Math.max(1, input.limit)}::int FOR UPDATE SKIP LOCKED`;
    if (picked.length === 0) return null;
    const [batch] = await tx.$queryRaw<Array<{ id: string }>>`
      INSERT INTO mint_batches (chain_id, contract, provider) VALUES (${input.chainId}::int, ${input.contract.toLowerCase()}, ${input.provider})
      RETURNING id::text`;
    const batchId = (batch as { id: string }).id;
    await tx.$executeRaw`
      UPDATE mint_items SET status = 'batched', batch_id = ${batchId}::uuid, updated_at = now()
      WHERE id = ANY(${picked.map((p) => p.id)}::uuid[])`;
    return (await getMintBatchInTx(tx, batchId)) as MintBatchView;
  });
}

async function getMintBatchInTx(reader: Pick<Tx, '$queryRaw'>, batchId: string): Promise<MintBatchView | null> {
  if (!isUuid(batchId)) return null;
  const rows = await reader.$queryRaw<
    Array<{
      id: string;
      chain_id: number;
      contract: string;
      provider: string;
      status: string;
      last_error: string | null;
      created_at: Date;
      updated_at: Date;
    }>
  >`SELECT id::text, chain_id, contract, provider, status, last_error, created_at, updated_at FROM mint_batches WHERE id = ${batchId}::uuid`;
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    chainId: row.chain_id,
    contract: row.contract,
    provider: row.provider,
    status: row.status as MintBatchView['status'],
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    items: await itemsOfBatch(reader, batchId),
  };
}

/** A batch and its items, or null. */
export function getMintBatch(db: Db, batchId: string): Promise<MintBatchView | null> {
  return getMintBatchInTx(db, batchId);
}

/** Batches in `statuses` (e.g. pending and sent ones to resume after a restart), oldest first. */
export async function listMintBatches(
  db: Db,
  input: { statuses: ReadonlyArray<MintBatchView['status']>; provider?: string; limit?: number },
): Promise<MintBatchView[]> {
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    SELECT id::text FROM mint_batches WHERE status = ANY(${[...input.statuses]}::text[])
      AND (${input.provider ?? null}::text IS NULL OR provider = ${input.provider ?? null})
    ORDER BY created_at, id LIMIT ${input.limit ?? 1000}::int`;
  const out: MintBatchView[] = [];
  for (const r of rows) {
    const batch = await getMintBatchInTx(db, r.id);
    if (batch) out.push(batch);
  }
  return out;
}

/** Sets a batch's status (and last error); `done` once none of its items is still on its way. */
export async function setMintBatchStatusInTx(
  tx: Pick<Tx, '$executeRaw'>,
  batchId: string,
  status: MintBatchView['status'],
  lastError?: string | null,
): Promise<void> {
  await tx.$executeRaw`
    UPDATE mint_batches SET status = ${status}, last_error = CASE WHEN ${lastError !== undefined} THEN ${lastError ?? null} ELSE last_error END,
      updated_at = now() WHERE id = ${batchId}::uuid`;
}

/** Marks items as carried by a transaction (or provider request) `txHash`, inside the caller's transaction. */
export async function markMintItemsSubmittedInTx(
  tx: Pick<Tx, '$executeRaw'>,
  input: { itemIds: readonly string[]; txHash: string | null },
): Promise<void> {
  await tx.$executeRaw`
    UPDATE mint_items SET status = 'submitted', tx_hash = COALESCE(${input.txHash}, tx_hash), updated_at = now()
    WHERE id = ANY(${[...input.itemIds]}::uuid[]) AND status IN ('batched', 'submitted')`;
}

/** Marks items as mined in `txHash` at `blockNumber` (a receipt, not yet final). */
export async function markMintItemsMined(
  db: Db,
  input: { itemIds: readonly string[]; txHash: string; blockNumber: bigint | null },
): Promise<void> {
  await db.$executeRaw`
    UPDATE mint_items SET status = 'mined', tx_hash = ${input.txHash}, block_number = ${input.blockNumber?.toString() ?? null}::bigint, updated_at = now()
    WHERE id = ANY(${[...input.itemIds]}::uuid[]) AND status IN ('batched', 'submitted', 'mined')`;
}

/** Recomputes the status of requests from their items (pending until every item is confirmed or failed). */
async function refreshRequestsInTx(tx: Tx, requestIds: readonly string[]): Promise<void> {
  if (requestIds.length === 0) return;
  await tx.$executeRaw`
    WITH tally AS (
      SELECT request_id, count(*) AS total, count(*) FILTER (WHERE status = 'confirmed') AS confirmed,
             count(*) FILTER (WHERE status = 'failed') AS failed,
             min(failure_reason) FILTER (WHERE status = 'failed') AS reason
      FROM mint_items WHERE request_id = ANY(${[...new Set(requestIds)]}::uuid[]) GROUP BY request_id
    )
    UPDATE mint_requests r SET
      status = (CASE WHEN t.confirmed = t.total THEN 'confirmed' WHEN t.failed = t.total THEN 'failed'
                     WHEN t.confirmed + t.failed = t.total THEN 'partial' ELSE 'pending' END)::mint_request_status,
      failure_reason = CASE WHEN t.failed = t.total THEN t.reason ELSE NULL END,
      finished_at = CASE WHEN t.confirmed + t.failed = t.total THEN COALESCE(r.finished_at, now()) ELSE NULL END,
      updated_at = now()
    FROM tally t WHERE r.id = t.request_id`;
}

interface LockedItemRow extends PipelineRow {
  live: boolean | null;
  confirmed_by: string | null;
  player_id: string;
}

async function lockItemsInTx(
  tx: Tx,
  where: { ids: readonly string[] } | { chainId: number; contract: string; tokenIds: readonly string[] },
): Promise<LockedItemRow[]> {
  if ('ids' in where) {
    return tx.$queryRaw<LockedItemRow[]>`
      SELECT i.id::text, i.request_id::text, i.card_id::text, i.land_id, i.chain_id, i.contract, i.token_id::text, r.wallet_address,
             i.status::text AS status, i.tx_hash, i.attempts, i.live, i.confirmed_by, r.player_id::text
      FROM mint_items i JOIN mint_requests r ON r.id = i.request_id
      WHERE i.id = ANY(${[...where.ids]}::uuid[]) ORDER BY i.id FOR UPDATE OF i`;
  }
  return tx.$queryRaw<LockedItemRow[]>`
    SELECT i.id::text, i.request_id::text, i.card_id::text, i.land_id, i.chain_id, i.contract, i.token_id::text, r.wallet_address,
           i.status::text AS status, i.tx_hash, i.attempts, i.live, i.confirmed_by, r.player_id::text
    FROM mint_items i JOIN mint_requests r ON r.id = i.request_id
    WHERE i.chain_id = ${where.chainId}::int AND i.contract = ${where.contract.toLowerCase()}
      AND i.token_id = ANY(${[...where.tokenIds]}::numeric[])
    ORDER BY i.id FOR UPDATE OF i`;
}

/** A token seen on chain: who holds it and where it was minted. */
export interface MintedToken {
  tokenId: bigint;
  /** The holder now (the minted-to wallet unless it moved since). */
  owner: string;
  txHash: string;
  /** The mint's block (null when the provider does not say, e.g. Immutable's minting API). */
  blockNumber: bigint | null;
}

/** What {@link confirmMintedTokens} did with each token. */
export interface ConfirmOutcome {
  confirmed: string[];
  /** Already confirmed (by the minter, or before). */
  already: string[];
  /** No mint item has this token (minted outside the pipeline). */
  unknown: string[];
}

/**
 * THE confirmation: a token exists on chain with enough confirmations. For each token's mint item: the card moves
 * minting -> on_chain with its token id and the holder's player as owner (null: a wallet nobody linked) and a
 * card_minted event is appended; a parcel gets its token id and owner; the item and its request are confirmed.
 * Idempotent (a confirmed item is left as it is, except that `by: 'indexer'` records that the indexer saw it), and
 * an item given up on whose token exists after all is revived (its card goes in_game -> minting -> on_chain) so
 * the database never disagrees with the chain. One transaction.
 */
export async function confirmMintedTokens(
  db: Db,
  input: { chainId: number; contract: string; tokens: readonly MintedToken[]; by: 'minter' | 'indexer' },
): Promise<ConfirmOutcome> {
  const outcome: ConfirmOutcome = { confirmed: [], already: [], unknown: [] };
  if (input.tokens.length === 0) return outcome;
  const contract = input.contract.toLowerCase();
  return db.$transaction(
    async (tx) => {
      const tokenIds = input.tokens.map((t) => t.tokenId.toString());
      const rows = await lockItemsInTx(tx, { chainId: input.chainId, contract, tokenIds });
      const holders = [...new Set(input.tokens.map((t) => t.owner.toLowerCase()))];
      const wallets = await tx.$queryRaw<Array<{ address: string; player_id: string }>>`
        SELECT address, player_id::text FROM wallets WHERE address = ANY(${holders}::text[])`;
      const playerOf = new Map(wallets.map((w) => [w.address, w.player_id]));
      const events: OutboxEventInput[] = [];
      const requestIds: string[] = [];
      for (const token of input.tokens) {
        const id = token.tokenId.toString();
        const candidates = rows.filter((r) => r.token_id === id);
        const live = candidates.find((r) => r.live === true);
        // A failed item whose token exists after all: revive the newest one whose card (or parcel) is still free.
        const item = live ?? candidates.filter((r) => r.status === 'failed').at(-1);
        if (!item) {
          outcome.unknown.push(id);
          continue;
        }
        if (item.status === 'confirmed') {
          if (input.by === 'indexer' && item.confirmed_by !== 'indexer') {
            await tx.$executeRaw`UPDATE mint_items SET confirmed_by = 'indexer', updated_at = now() WHERE id = ${item.id}::uuid`;
          }
          outcome.already.push(id);
          continue;
        }
        const ownerId = playerOf.get(token.owner.toLowerCase()) ?? null;
        if (item.card_id !== null) {
          if (!live) {
            const [card] = await lockCardsInTx(tx, [item.card_id]);
            if (card?.state !== 'in_game') {
              outcome.unknown.push(id);
              continue;
            }
            await tx.$executeRaw`UPDATE card_instances SET state = 'minting', updated_at = now() WHERE id = ${item.card_id}::uuid`;
          }
          await confirmMintInTx(tx, { cardId: item.card_id, tokenId: id, ownerId });
          events.push({
            type: 'card_minted',
            key: `${contract}:${id}`,
            payload: {
              chainId: input.chainId,
              contract,
              tokenId: id,
              cardId: item.card_id,
              owner: token.owner.toLowerCase(),
              txHash: token.txHash,
            },
          });
        } else if (item.land_id !== null) {
          await tx.$executeRaw`
            UPDATE land_parcels SET token_id = ${id}::numeric, owner_id = ${ownerId}::uuid, updated_at = now() WHERE id = ${item.land_id}`;
        }
        await tx.$executeRaw`
          UPDATE mint_items SET status = 'confirmed', live = true, failure_code = NULL, failure_reason = NULL,
            tx_hash = ${token.txHash}, block_number = ${token.blockNumber?.toString() ?? null}::bigint,
            confirmed_by = ${input.by}, confirmed_at = now(), updated_at = now()
          WHERE id = ${item.id}::uuid`;
        outcome.confirmed.push(id);
        requestIds.push(item.request_id);
      }
      await appendEvents(tx, events);
      await refreshRequestsInTx(tx, requestIds);
      return outcome;
    },
    { maxWait: 10_000, timeout: 30_000 },
  );
}

/** Player-readable reasons for failures the pipeline knows. */
export const MINT_FAILURE_REASONS = {
  TOKEN_BURNED: 'This card was minted and burned before; a burned card can never be minted again.',
  TOKEN_HELD_ELSEWHERE: 'A token with this id already exists in another wallet, so this card cannot be minted.',
  REVERTED: 'The blockchain refused the mint several times. Your card is back in your collection; you can try again later.',
  UNAVAILABLE: 'Minting is unavailable right now. Your card is back in your collection; you can try again later.',
  PROVIDER_FAILED: 'The minting service could not mint this card. It is back in your collection; you can try again later.',
  ADMIN: 'An administrator cancelled this mint. Your card is back in your collection.',
} as const;

/** A failure code of {@link MINT_FAILURE_REASONS}. */
export type MintFailureCode = keyof typeof MINT_FAILURE_REASONS;

/**
 * Fails items for good: each card goes back minting -> in_game, the item records the code and the reason (the
 * player reads it in GET /v1/mints/:id), its request's status follows. Items already confirmed or failed are left
 * alone. One transaction; returns the ids it failed.
 */
export async function failMintItems(
  db: Db,
  input: { itemIds: readonly string[]; code: MintFailureCode; reason?: string },
): Promise<string[]> {
  const reason = input.reason ?? MINT_FAILURE_REASONS[input.code];
  return db.$transaction(async (tx) => {
    const rows = await lockItemsInTx(tx, { ids: input.itemIds });
    const failed: string[] = [];
    for (const item of rows) {
      if (item.status === 'confirmed' || item.status === 'failed') continue;
      if (item.card_id !== null) await failMintInTx(tx, { cardId: item.card_id });
      await tx.$executeRaw`
        UPDATE mint_items SET status = 'failed', live = NULL, failure_code = ${input.code}, failure_reason = ${reason}, updated_at = now()
        WHERE id = ${item.id}::uuid`;
      failed.push(item.id);
    }
    await refreshRequestsInTx(
      tx,
      rows.map((r) => r.request_id),
    );
    return failed;
  });
}

/**
 * Puts items back in the queue after a send that reverted or was dropped (attempts + 1); items that reached
 * `maxAttempts` fail for good with REVERTED instead. Returns what was requeued and what failed.
 */
export async function requeueMintItems(
  db: Db,
  input: { itemIds: readonly string[]; maxAttempts: number },
): Promise<{ requeued: string[]; failed: string[] }> {
  const rows = await db.$transaction(async (tx) => {
    const locked = await lockItemsInTx(tx, { ids: input.itemIds });
    const again = locked.filter((r) => r.live === true && r.status !== 'confirmed' && r.attempts + 1 < input.maxAttempts).map((r) => r.id);
    await tx.$executeRaw`
      UPDATE mint_items SET status = 'queued', batch_id = NULL, tx_hash = NULL, block_number = NULL, attempts = attempts + 1, updated_at = now()
      WHERE id = ANY(${again}::uuid[])`;
    return { locked, again };
  });
  const giveUp = rows.locked.filter((r) => r.live === true && r.status !== 'confirmed' && !rows.again.includes(r.id)).map((r) => r.id);
  const failed = giveUp.length > 0 ? await failMintItems(db, { itemIds: giveUp, code: 'REVERTED' }) : [];
  return { requeued: rows.again, failed };
}

/** A dead letter: a batch whose retries ran out, with what admins need to decide. */
export interface DeadMintBatch {
  id: string;
  chainId: number;
  contract: string;
  provider: string;
  lastError: string | null;
  items: number;
  /** Transactions the direct minter journaled for it (0: nothing was ever broadcast, failing it is safe). */
  transactions: number;
  updatedAt: Date;
}

/** Dead-lettered batches, newest first. */
export async function listDeadMintBatches(db: Db, limit = 100): Promise<DeadMintBatch[]> {
  const rows = await db.$queryRaw<
    Array<{
      id: string;
      chain_id: number;
      contract: string;
      provider: string;
      last_error: string | null;
      items: number;
      transactions: number;
      updated_at: Date;
    }>
  >`SELECT b.id::text, b.chain_id, b.contract, b.provider, b.last_error, b.updated_at,
           (SELECT count(*)::int FROM mint_items i WHERE i.batch_id = b.id AND i.live) AS items,
           (SELECT count(*)::int FROM mint_transactions t WHERE t.batch_id = b.id) AS transactions
    FROM mint_batches b WHERE b.status = 'dead' ORDER BY b.updated_at DESC LIMIT ${limit}::int`;
  return rows.map((r) => ({
    id: r.id,
    chainId: r.chain_id,
    contract: r.contract,
    provider: r.provider,
    lastError: r.last_error,
    items: r.items,
    transactions: r.transactions,
    updatedAt: r.updated_at,
  }));
}

/** Takes a batch out of the dead letters for another round of attempts (MINT_BATCH_NOT_DEAD unless dead). */
export async function reviveDeadMintBatch(db: Db, batchId: string): Promise<void> {
  const batch = await getMintBatch(db, batchId);
  if (!batch) throw new AppError('MINT_BATCH_NOT_FOUND', `no mint batch ${batchId}`);
  if (batch.status !== 'dead') throw new AppError('MINT_BATCH_NOT_DEAD', `batch ${batchId} is ${batch.status}, not dead`);
  const sent = await db.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM mint_transactions WHERE batch_id = ${batchId}::uuid`;
  await setMintBatchStatusInTx(db, batchId, (sent[0]?.n ?? 0) > 0 ? 'sent' : 'pending', null);
}

/**
 * Gives up on a dead-lettered batch: its open items fail (cards back in game, code ADMIN). Refused (CONFLICT)
 * once any of it may have reached the chain or the provider (a journaled transaction, a submitted item): then only
 * a retry, which asks the chain, may settle it.
 */
export async function failDeadMintBatch(db: Db, batchId: string): Promise<string[]> {
  const batch = await getMintBatch(db, batchId);
  if (!batch) throw new AppError('MINT_BATCH_NOT_FOUND', `no mint batch ${batchId}`);
  if (batch.status !== 'dead') throw new AppError('MINT_BATCH_NOT_DEAD', `batch ${batchId} is ${batch.status}, not dead`);
  const sent = await db.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM mint_transactions WHERE batch_id = ${batchId}::uuid`;
  const open = batch.items.filter((i) => i.status !== 'confirmed' && i.status !== 'failed');
  if ((sent[0]?.n ?? 0) > 0 || open.some((i) => i.status !== 'batched' && i.status !== 'queued')) {
    throw new AppError('CONFLICT', `batch ${batchId} may have reached the chain; retry it instead, the chain decides`);
  }
  return failMintItems(db, { itemIds: open.map((i) => i.id), code: 'ADMIN' });
}
