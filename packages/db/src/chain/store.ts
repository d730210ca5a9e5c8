/**
 * The indexer's writes (apps/indexer/src/store calls them): chain events, the ownership mirror, the checkpoint, the
 * unfinalized blocks, and what follows from them in game, each in one transaction.
 *
 * - Idempotent: every event row is keyed by (chain id, tx hash, log index) and inserted with ON CONFLICT DO NOTHING;
 *   the mirror only moves forward in chain order (a token's row changes only for a later (block, log index)).
 * - Final: a row is final once its block is at or below the checkpoint's `finalized_block`. Outbox events
 *   (card_transferred, land_transferred, sale, listing_filled) are appended in the transaction that moves the
 *   finalized block over the row, so a row becomes final, and its events exist, exactly once; a reorg never has to
 *   take an event back. Mints that became final are queued in chain_pending_mints for {@link confirmPendingMints}.
 * - Game effects at the head: each transaction that adds or removes transfers brings the game holders of the
 *   tokens it touched in line with the mirror (./holders.ts), so a reorg runs the card and land moves backwards.
 * - Fenced: every transaction first checks the writer epoch ({@link claimChainWriter}), under a row lock of the
 *   checkpoint, so a writer that lost its advisory lock cannot write and two writers never interleave.
 */
import { createHash } from 'node:crypto';
import { AppError } from '@harvest/shared/errors';
import type { Db, DbTransaction } from '../index.ts';
import { appendEvents, type OutboxEventInput } from '../outbox/index.ts';
import {
  type ApprovalForAllEvent,
  type ChainContracts,
  type ChainEvent,
  type CounterIncrementedEvent,
  compareLogPosition,
  type FeesSweptEvent,
  type LandUserEvent,
  type OrderCancelledEvent,
  type SaleEvent,
  type TransferEvent,
  ZERO_ADDRESS,
} from './events.ts';
import { type HolderMove, syncHoldersInTx } from './holders.ts';

/** A chain's checkpoint. */
export interface ChainCheckpointView {
  chainId: number;
  finalizedBlock: bigint;
  finalizedHash: string | null;
  headBlock: bigint;
  headHash: string | null;
  epoch: number;
}

/** A block header as the live follower keeps it. */
export interface ChainBlockHeader {
  number: bigint;
  hash: string;
  parentHash: string;
  timestamp: bigint;
}

/** Who writes and what: every write names its chain, its contracts and the writer epoch it holds. */
export interface ChainWriter {
  chainId: number;
  contracts: ChainContracts;
  epoch: number;
}

/** What a write did. */
export interface ChainWriteResult {
  /** Event rows written for the first time (replays are not counted). */
  inserted: number;
  /** Outbox events appended (rows that became final). */
  published: number;
  /** Game moves the mirror caused. */
  moves: HolderMove[];
}

interface CheckpointRow {
  chain_id: number;
  finalized_block: bigint;
  finalized_hash: string | null;
  head_block: bigint;
  head_hash: string | null;
  epoch: number;
}

const toCheckpoint = (r: CheckpointRow): ChainCheckpointView => ({
  chainId: r.chain_id,
  finalizedBlock: BigInt(r.finalized_block),
  finalizedHash: r.finalized_hash,
  headBlock: BigInt(r.head_block),
  headHash: r.head_hash,
  epoch: r.epoch,
});

const TX_OPTIONS = { maxWait: 10_000, timeout: 120_000 } as const;

/** The checkpoint of a chain, or null before its first run. */
export async function getChainCheckpoint(db: Pick<Db, '$queryRaw'>, chainId: number): Promise<ChainCheckpointView | null> {
  const rows = await db.$queryRaw<CheckpointRow[]>`
    SELECT chain_id, finalized_block, finalized_hash, head_block, head_hash, epoch FROM chain_checkpoints WHERE chain_id = ${chainId}::int`;
  return rows[0] ? toCheckpoint(rows[0]) : null;
}

/**
 * Makes the caller the chain's writer: creates the checkpoint just below `startBlock` on the first run, and bumps
 * the epoch, which fences any earlier writer out of every later transaction. Call it once the chain's advisory lock
 * is held.
 */
export async function claimChainWriter(db: Db, input: { chainId: number; startBlock: bigint }): Promise<ChainCheckpointView> {
  const start = (input.startBlock - 1n).toString();
  const rows = await db.$queryRaw<CheckpointRow[]>`
    INSERT INTO chain_checkpoints (chain_id, finalized_block, head_block, epoch, updated_at)
    VALUES (${input.chainId}::int, ${start}::bigint, ${start}::bigint, 1, now())
    ON CONFLICT (chain_id) DO UPDATE SET epoch = chain_checkpoints.epoch + 1, updated_at = now()
    RETURNING chain_id, finalized_block, finalized_hash, head_block, head_hash, epoch`;
  return toCheckpoint(rows[0] as CheckpointRow);
}

/** Locks the checkpoint and refuses (INDEXER_FENCED) unless the caller still holds the current epoch. */
export async function lockCheckpointInTx(tx: DbTransaction, writer: Pick<ChainWriter, 'chainId' | 'epoch'>): Promise<ChainCheckpointView> {
  const rows = await tx.$queryRaw<CheckpointRow[]>`
    SELECT chain_id, finalized_block, finalized_hash, head_block, head_hash, epoch FROM chain_checkpoints
    WHERE chain_id = ${writer.chainId}::int FOR UPDATE`;
  const row = rows[0];
  if (!row || row.epoch !== writer.epoch) {
    throw new AppError('INDEXER_FENCED', `chain ${writer.chainId}: writer epoch ${writer.epoch} is not current`, {
      chainId: writer.chainId,
      epoch: writer.epoch,
      current: row?.epoch ?? null,
    });
  }
  return toCheckpoint(row);
}

/** A deterministic UUID (version 8 layout) for an outbox event, so the same log can never publish twice. */
export function chainEventId(parts: readonly (string | number | bigint)[]): string {
  const hex = createHash('sha256').update(parts.join(':')).digest('hex');
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const str = (v: bigint) => v.toString();

function byKind(events: readonly ChainEvent[]) {
  const sorted = [...events].sort(compareLogPosition);
  const of = <K extends ChainEvent['kind']>(kind: K) => sorted.filter((e): e is Extract<ChainEvent, { kind: K }> => e.kind === kind);
  return {
    transfers: of('transfer') as TransferEvent[],
    users: of('land_user') as LandUserEvent[],
    sales: of('sale') as SaleEvent[],
    cancels: of('order_cancelled') as OrderCancelledEvent[],
    counters: of('counter_incremented') as CounterIncrementedEvent[],
    approvals: of('approval_for_all') as ApprovalForAllEvent[],
    sweeps: of('fees_swept') as FeesSweptEvent[],
  };
}

async function insertTransfersInTx(tx: DbTransaction, chainId: number, transfers: readonly TransferEvent[]): Promise<TransferEvent[]> {
  if (transfers.length === 0) return [];
  const rows = await tx.$queryRaw<Array<{ tx_hash: string; log_index: number }>>`
    INSERT INTO chain_transfers (chain_id, tx_hash, log_index, block_number, block_hash, contract, token_id, from_address, to_address)
    SELECT ${chainId}::int, x.* FROM unnest(
      ${transfers.map((t) => t.txHash)}::text[], ${transfers.map((t) => t.logIndex)}::int[],
      ${transfers.map((t) => str(t.blockNumber))}::bigint[], ${transfers.map((t) => t.blockHash)}::text[],
      ${transfers.map((t) => t.contract)}::text[], ${transfers.map((t) => str(t.tokenId))}::numeric[],
      ${transfers.map((t) => t.from)}::text[], ${transfers.map((t) => t.to)}::text[]
    ) AS x
    ON CONFLICT DO NOTHING
    RETURNING tx_hash, log_index`;
  if (rows.length === transfers.length) return [...transfers];
  const fresh = new Set(rows.map((r) => `${r.tx_hash}:${r.log_index}`));
  return transfers.filter((t) => fresh.has(`${t.txHash}:${t.logIndex}`));
}

/** Moves the mirror forward to the last of `transfers` per token (they are in chain order). */
async function advanceMirrorInTx(tx: DbTransaction, chainId: number, transfers: readonly TransferEvent[]): Promise<void> {
  if (transfers.length === 0) return;
  const last = new Map<string, TransferEvent>();
  for (const t of transfers) last.set(`${t.contract}:${t.tokenId}`, t);
  const rows = [...last.values()];
  await tx.$executeRaw`
    INSERT INTO chain_token_owners (chain_id, contract, token_id, owner, since_block, since_log_index, since_tx_hash, updated_at)
    SELECT ${chainId}::int, x.contract, x.token_id, x.owner, x.since_block, x.since_log_index, x.since_tx_hash, now()
    FROM unnest(
      ${rows.map((t) => t.contract)}::text[], ${rows.map((t) => str(t.tokenId))}::numeric[], ${rows.map((t) => t.to)}::text[],
      ${rows.map((t) => str(t.blockNumber))}::bigint[], ${rows.map((t) => t.logIndex)}::int[], ${rows.map((t) => t.txHash)}::text[]
    ) AS x(contract, token_id, owner, since_block, since_log_index, since_tx_hash)
    ON CONFLICT (chain_id, contract, token_id) DO UPDATE SET
      owner = EXCLUDED.owner, since_block = EXCLUDED.since_block, since_log_index = EXCLUDED.since_log_index,
      since_tx_hash = EXCLUDED.since_tx_hash, updated_at = now()
    WHERE (chain_token_owners.since_block, chain_token_owners.since_log_index) < (EXCLUDED.since_block, EXCLUDED.since_log_index)`;
}

async function insertOthersInTx(tx: DbTransaction, chainId: number, kinds: ReturnType<typeof byKind>): Promise<number> {
  let inserted = 0;
  const { users, sales, cancels, counters, approvals, sweeps } = kinds;
  const pos = <T extends { txHash: string; logIndex: number; blockNumber: bigint; blockHash: string }>(list: readonly T[]) => ({
    tx: list.map((e) => e.txHash),
    li: list.map((e) => e.logIndex),
    bn: list.map((e) => str(e.blockNumber)),
    bh: list.map((e) => e.blockHash),
  });
  if (users.length > 0) {
    const p = pos(users);
    inserted += await tx.$executeRaw`
      INSERT INTO chain_land_users (chain_id, tx_hash, log_index, block_number, block_hash, contract, token_id, "user", expires)
      SELECT ${chainId}::int, x.* FROM unnest(${p.tx}::text[], ${p.li}::int[], ${p.bn}::bigint[], ${p.bh}::text[],
        ${users.map((e) => e.contract)}::text[], ${users.map((e) => str(e.tokenId))}::numeric[], ${users.map((e) => e.user)}::text[],
        ${users.map((e) => str(e.expires))}::bigint[]) AS x
      ON CONFLICT DO NOTHING`;
  }
  if (sales.length > 0) {
    const p = pos(sales);
    inserted += await tx.$executeRaw`
      INSERT INTO chain_sales (chain_id, tx_hash, log_index, block_number, block_hash, marketplace, order_hash, maker, taker, collection, token_id, currency, price)
      SELECT ${chainId}::int, x.* FROM unnest(${p.tx}::text[], ${p.li}::int[], ${p.bn}::bigint[], ${p.bh}::text[],
        ${sales.map((e) => e.marketplace)}::text[], ${sales.map((e) => e.orderHash)}::text[], ${sales.map((e) => e.maker)}::text[],
        ${sales.map((e) => e.taker)}::text[], ${sales.map((e) => e.collection)}::text[], ${sales.map((e) => str(e.tokenId))}::numeric[],
        ${sales.map((e) => e.currency)}::text[], ${sales.map((e) => str(e.price))}::numeric[]) AS x
      ON CONFLICT DO NOTHING`;
  }
  if (cancels.length > 0) {
    const p = pos(cancels);
    inserted += await tx.$executeRaw`
      INSERT INTO chain_order_cancels (chain_id, tx_hash, log_index, block_number, block_hash, marketplace, maker, salt)
      SELECT ${chainId}::int, x.* FROM unnest(${p.tx}::text[], ${p.li}::int[], ${p.bn}::bigint[], ${p.bh}::text[],
        ${cancels.map((e) => e.marketplace)}::text[], ${cancels.map((e) => e.maker)}::text[], ${cancels.map((e) => str(e.salt))}::numeric[]) AS x
      ON CONFLICT DO NOTHING`;
  }
  if (counters.length > 0) {
    const p = pos(counters);
    inserted += await tx.$executeRaw`
      INSERT INTO chain_counter_increments (chain_id, tx_hash, log_index, block_number, block_hash, marketplace, maker, new_counter)
      SELECT ${chainId}::int, x.* FROM unnest(${p.tx}::text[], ${p.li}::int[], ${p.bn}::bigint[], ${p.bh}::text[],
        ${counters.map((e) => e.marketplace)}::text[], ${counters.map((e) => e.maker)}::text[], ${counters.map((e) => str(e.newCounter))}::numeric[]) AS x
      ON CONFLICT DO NOTHING`;
  }
  if (approvals.length > 0) {
    const p = pos(approvals);
    inserted += await tx.$executeRaw`
      INSERT INTO chain_approvals (chain_id, tx_hash, log_index, block_number, block_hash, contract, owner, operator, approved)
      SELECT ${chainId}::int, x.* FROM unnest(${p.tx}::text[], ${p.li}::int[], ${p.bn}::bigint[], ${p.bh}::text[],
        ${approvals.map((e) => e.contract)}::text[], ${approvals.map((e) => e.owner)}::text[], ${approvals.map((e) => e.operator)}::text[],
        ${approvals.map((e) => e.approved)}::boolean[]) AS x
      ON CONFLICT DO NOTHING`;
  }
  if (sweeps.length > 0) {
    const p = pos(sweeps);
    inserted += await tx.$executeRaw`
      INSERT INTO chain_fee_sweeps (chain_id, tx_hash, log_index, block_number, block_hash, marketplace, currency, recipient, amount)
      SELECT ${chainId}::int, x.* FROM unnest(${p.tx}::text[], ${p.li}::int[], ${p.bn}::bigint[], ${p.bh}::text[],
        ${sweeps.map((e) => e.marketplace)}::text[], ${sweeps.map((e) => e.currency)}::text[], ${sweeps.map((e) => e.recipient)}::text[],
        ${sweeps.map((e) => str(e.amount))}::numeric[]) AS x
      ON CONFLICT DO NOTHING`;
  }
  return inserted;
}

function tokensOf(contracts: ChainContracts, transfers: readonly { contract: string; tokenId: bigint | string }[]) {
  const cardTokens = new Set<string>();
  const landTokens = new Set<string>();
  for (const t of transfers) {
    if (t.contract === contracts.cards) cardTokens.add(t.tokenId.toString());
    else if (t.contract === contracts.land) landTokens.add(t.tokenId.toString());
  }
  return { cardTokens: [...cardTokens], landTokens: [...landTokens] };
}

/** Writes events (any block), the mirror and the game moves they cause. */
async function writeEventsInTx(
  tx: DbTransaction,
  writer: ChainWriter,
  events: readonly ChainEvent[],
): Promise<{ inserted: number; moves: HolderMove[] }> {
  const kinds = byKind(events);
  const fresh = await insertTransfersInTx(tx, writer.chainId, kinds.transfers);
  await advanceMirrorInTx(tx, writer.chainId, fresh);
  const others = await insertOthersInTx(tx, writer.chainId, kinds);
  const moves =
    fresh.length > 0
      ? await syncHoldersInTx(tx, { chainId: writer.chainId, contracts: writer.contracts, ...tokensOf(writer.contracts, fresh) })
      : [];
  return { inserted: fresh.length + others, moves };
}

interface FinalTransferRow {
  tx_hash: string;
  log_index: number;
  block_number: bigint;
  contract: string;
  token_id: string;
  from_address: string;
  to_address: string;
}

interface FinalSaleRow {
  tx_hash: string;
  log_index: number;
  order_hash: string;
  maker: string;
  taker: string;
  collection: string;
  token_id: string;
  currency: string;
  price: string;
}

const transferRow = (t: TransferEvent): FinalTransferRow => ({
  tx_hash: t.txHash,
  log_index: t.logIndex,
  block_number: t.blockNumber,
  contract: t.contract,
  token_id: t.tokenId.toString(),
  from_address: t.from,
  to_address: t.to,
});

const saleRow = (e: SaleEvent): FinalSaleRow => ({
  tx_hash: e.txHash,
  log_index: e.logIndex,
  order_hash: e.orderHash,
  maker: e.maker,
  taker: e.taker,
  collection: e.collection,
  token_id: e.tokenId.toString(),
  currency: e.currency,
  price: e.price.toString(),
});

/**
 * Moves the finalized block from the checkpoint's to `to`: appends the outbox events of every transfer and sale in
 * between, in chain order, and queues the mints among them for confirmation. The caller updates the checkpoint.
 */
async function finalizeRowsInTx(
  tx: DbTransaction,
  writer: ChainWriter,
  from: bigint,
  to: bigint,
  known?: { transfers: readonly TransferEvent[]; sales: readonly SaleEvent[] },
): Promise<number> {
  if (to <= from) return 0;
  const { chainId, contracts } = writer;
  const transfers = known
    ? known.transfers.map(transferRow)
    : await tx.$queryRaw<FinalTransferRow[]>`
        SELECT tx_hash, log_index, block_number, contract, token_id::text, from_address, to_address FROM chain_transfers
        WHERE chain_id = ${chainId}::int AND block_number > ${str(from)}::bigint AND block_number <= ${str(to)}::bigint
        ORDER BY block_number, log_index`;
  const sales = known
    ? known.sales.map(saleRow)
    : await tx.$queryRaw<FinalSaleRow[]>`
        SELECT tx_hash, log_index, order_hash, maker, taker, collection, token_id::text, currency, price::text FROM chain_sales
        WHERE chain_id = ${chainId}::int AND block_number > ${str(from)}::bigint AND block_number <= ${str(to)}::bigint
        ORDER BY block_number, log_index`;
  const events: OutboxEventInput[] = [];
  const mints: FinalTransferRow[] = [];
  for (const t of transfers) {
    const type = t.contract === contracts.cards ? 'card_transferred' : 'land_transferred';
    events.push({
      id: chainEventId([type, chainId, t.tx_hash, t.log_index]),
      type,
      key: `${t.contract}:${t.token_id}`,
      payload: {
        chainId,
        contract: t.contract,
        tokenId: t.token_id,
        from: t.from_address,
        to: t.to_address,
        blockNumber: Number(t.block_number),
        txHash: t.tx_hash,
      },
    });
    if (t.from_address === ZERO_ADDRESS) mints.push(t);
  }
  for (const s of sales) {
    events.push({
      id: chainEventId(['sale', chainId, s.tx_hash, s.log_index]),
      type: 'sale',
      key: `${s.collection}:${s.token_id}`,
      payload: {
        chainId,
        contract: s.collection,
        tokenId: s.token_id,
        orderHash: s.order_hash,
        seller: s.maker,
        buyer: s.taker,
        price: s.price,
        currency: s.currency,
        txHash: s.tx_hash,
      },
    });
    events.push({
      id: chainEventId(['listing_filled', chainId, s.tx_hash, s.log_index]),
      type: 'listing_filled',
      key: s.order_hash,
      payload: { orderHash: s.order_hash, buyer: s.taker, txHash: s.tx_hash },
    });
  }
  await appendEvents(tx, events);
  if (mints.length > 0) {
    // Only tokens some mint item names: confirmMintedTokens answers any other token `unknown` (minted outside the
    // game), so queueing it would change nothing.
    await tx.$executeRaw`
      INSERT INTO chain_pending_mints (chain_id, tx_hash, log_index, block_number, contract, token_id)
      SELECT ${chainId}::int, x.* FROM unnest(${mints.map((m) => m.tx_hash)}::text[], ${mints.map((m) => m.log_index)}::int[],
        ${mints.map((m) => str(BigInt(m.block_number)))}::bigint[], ${mints.map((m) => m.contract)}::text[], ${mints.map((m) => m.token_id)}::numeric[])
        AS x(tx_hash, log_index, block_number, contract, token_id)
      WHERE EXISTS (SELECT 1 FROM mint_items i WHERE i.chain_id = ${chainId}::int AND i.contract = x.contract AND i.token_id = x.token_id)
      ON CONFLICT DO NOTHING`;
  }
  return events.length;
}

/**
 * Backfill: writes the events of blocks (checkpoint head, `toBlock`], all already past the confirmation depth, and
 * moves both the head and the finalized block to `toBlock` (with its hash when known). One transaction. The range
 * must continue the checkpoint exactly (`fromBlock` = head + 1), so a gap or an overlap is refused.
 */
export async function applyFinalRange(
  db: Db,
  input: ChainWriter & { fromBlock: bigint; toBlock: bigint; toHash?: string | null; events: readonly ChainEvent[] },
): Promise<ChainWriteResult> {
  return db.$transaction(async (tx) => {
    const checkpoint = await lockCheckpointInTx(tx, input);
    if (input.fromBlock !== checkpoint.headBlock + 1n || checkpoint.headBlock !== checkpoint.finalizedBlock) {
      throw new AppError(
        'CONFLICT',
        `chain ${input.chainId}: range ${input.fromBlock}-${input.toBlock} does not continue head ${checkpoint.headBlock}`,
      );
    }
    const outside = input.events.find((e) => e.blockNumber < input.fromBlock || e.blockNumber > input.toBlock);
    if (outside)
      throw new AppError('VALIDATION_FAILED', `event at block ${outside.blockNumber} outside ${input.fromBlock}-${input.toBlock}`);
    const written = await writeEventsInTx(tx, input, input.events);
    // The head is the finalized block, and rows are only ever written with the head that covers them, so the rows
    // of (finalized, toBlock] are exactly these events: they become final without being read back.
    const kinds = byKind(input.events);
    const published = await finalizeRowsInTx(tx, input, checkpoint.finalizedBlock, input.toBlock, {
      transfers: kinds.transfers,
      sales: kinds.sales,
    });
    const hash = input.toHash ?? null;
    await tx.$executeRaw`DELETE FROM chain_blocks WHERE chain_id = ${input.chainId}::int`;
    await tx.$executeRaw`
      UPDATE chain_checkpoints SET finalized_block = ${str(input.toBlock)}::bigint, finalized_hash = ${hash},
        head_block = ${str(input.toBlock)}::bigint, head_hash = ${hash}, updated_at = now()
      WHERE chain_id = ${input.chainId}::int`;
    return { inserted: written.inserted, published, moves: written.moves };
  }, TX_OPTIONS);
}

/**
 * Live: applies one new head block (its parent must be the checkpoint's head) with its events, unfinalized.
 * One transaction: the events, the mirror, the game moves, the block row and the head.
 */
export async function applyBlock(
  db: Db,
  input: ChainWriter & { block: ChainBlockHeader; events: readonly ChainEvent[] },
): Promise<ChainWriteResult> {
  return db.$transaction(async (tx) => {
    const checkpoint = await lockCheckpointInTx(tx, input);
    const { block } = input;
    if (block.number !== checkpoint.headBlock + 1n || (checkpoint.headHash !== null && block.parentHash !== checkpoint.headHash)) {
      throw new AppError('CONFLICT', `chain ${input.chainId}: block ${block.number} does not extend head ${checkpoint.headBlock}`, {
        head: checkpoint.headBlock.toString(),
        headHash: checkpoint.headHash,
        parentHash: block.parentHash,
      });
    }
    const stray = input.events.find((e) => e.blockNumber !== block.number || e.blockHash !== block.hash);
    if (stray)
      throw new AppError(
        'CHAIN_RPC_CONTRADICTION',
        `a log of block ${stray.blockNumber} (${stray.blockHash}) given with block ${block.number}`,
      );
    const written = await writeEventsInTx(tx, input, input.events);
    await tx.$executeRaw`
      INSERT INTO chain_blocks (chain_id, number, hash, parent_hash, timestamp)
      VALUES (${input.chainId}::int, ${str(block.number)}::bigint, ${block.hash}, ${block.parentHash}, ${str(block.timestamp)}::bigint)
      ON CONFLICT (chain_id, number) DO UPDATE SET hash = EXCLUDED.hash, parent_hash = EXCLUDED.parent_hash, timestamp = EXCLUDED.timestamp`;
    await tx.$executeRaw`
      UPDATE chain_checkpoints SET head_block = ${str(block.number)}::bigint, head_hash = ${block.hash}, updated_at = now()
      WHERE chain_id = ${input.chainId}::int`;
    return { inserted: written.inserted, published: 0, moves: written.moves };
  }, TX_OPTIONS);
}

/**
 * Live: the blocks up to `block` are past the confirmation depth. Appends their outbox events, queues their mints,
 * keeps `block` as the anchor of the local chain and forgets the blocks below it. `block` must be at or below the
 * head and is refused unless it is the local chain's block of that number.
 */
export async function finalizeBlocks(db: Db, input: ChainWriter & { block: { number: bigint; hash: string } }): Promise<ChainWriteResult> {
  return db.$transaction(async (tx) => {
    const checkpoint = await lockCheckpointInTx(tx, input);
    const { number, hash } = input.block;
    if (number <= checkpoint.finalizedBlock) return { inserted: 0, published: 0, moves: [] };
    if (number > checkpoint.headBlock) throw new AppError('CONFLICT', `cannot finalize ${number} above head ${checkpoint.headBlock}`);
    const local = await tx.$queryRaw<Array<{ hash: string }>>`
      SELECT hash FROM chain_blocks WHERE chain_id = ${input.chainId}::int AND number = ${str(number)}::bigint`;
    if (local[0] && local[0].hash !== hash) {
      throw new AppError('CHAIN_RPC_CONTRADICTION', `block ${number} is ${local[0].hash} here, ${hash} on the endpoint`);
    }
    const published = await finalizeRowsInTx(tx, input, checkpoint.finalizedBlock, number);
    await tx.$executeRaw`DELETE FROM chain_blocks WHERE chain_id = ${input.chainId}::int AND number < ${str(number)}::bigint`;
    await tx.$executeRaw`
      UPDATE chain_checkpoints SET finalized_block = ${str(number)}::bigint, finalized_hash = ${hash}, updated_at = now()
      WHERE chain_id = ${input.chainId}::int`;
    return { inserted: 0, published, moves: [] };
  }, TX_OPTIONS);
}

/** The local chain (unfinalized blocks and the finalized anchor), newest first, from `below` down (inclusive). */
export async function getLocalBlocks(db: Pick<Db, '$queryRaw'>, chainId: number, below: bigint, limit = 256): Promise<ChainBlockHeader[]> {
  const rows = await db.$queryRaw<Array<{ number: bigint; hash: string; parent_hash: string; timestamp: bigint }>>`
    SELECT number, hash, parent_hash, timestamp FROM chain_blocks
    WHERE chain_id = ${chainId}::int AND number <= ${str(below)}::bigint ORDER BY number DESC LIMIT ${limit}::int`;
  return rows.map((r) => ({ number: BigInt(r.number), hash: r.hash, parentHash: r.parent_hash, timestamp: BigInt(r.timestamp) }));
}

/** What a rollback removed. */
export interface RollbackResult extends ChainWriteResult {
  /** Rows deleted per table. */
  removed: number;
  /** Blocks dropped from the local chain. */
  depth: number;
}

/**
 * Reorg: forgets everything above `ancestor` (the newest block the local chain shares with the canonical one):
 * event rows are deleted, the mirror of every token they touched is recomputed from the transfers that remain, and
 * the game holders follow (the card and land moves run backwards through the state machine). Refuses
 * (CHAIN_REORG_TOO_DEEP) an ancestor below the finalized block. One transaction.
 */
export async function rollbackToAncestor(
  db: Db,
  input: ChainWriter & { ancestor: { number: bigint; hash: string } },
): Promise<RollbackResult> {
  return db.$transaction(async (tx) => {
    const checkpoint = await lockCheckpointInTx(tx, input);
    const { chainId } = input;
    const ancestor = input.ancestor.number;
    if (
      ancestor < checkpoint.finalizedBlock ||
      (ancestor === checkpoint.finalizedBlock && checkpoint.finalizedHash !== null && checkpoint.finalizedHash !== input.ancestor.hash)
    ) {
      throw new AppError('CHAIN_REORG_TOO_DEEP', `chain ${chainId}: reorg below finalized block ${checkpoint.finalizedBlock}`, {
        finalizedBlock: checkpoint.finalizedBlock.toString(),
        ancestor: ancestor.toString(),
      });
    }
    const a = str(ancestor);
    const touched = await tx.$queryRaw<Array<{ contract: string; token_id: string }>>`
      DELETE FROM chain_transfers WHERE chain_id = ${chainId}::int AND block_number > ${a}::bigint RETURNING contract, token_id::text`;
    let removed = touched.length;
    removed += await tx.$executeRaw`DELETE FROM chain_land_users WHERE chain_id = ${chainId}::int AND block_number > ${a}::bigint`;
    removed += await tx.$executeRaw`DELETE FROM chain_sales WHERE chain_id = ${chainId}::int AND block_number > ${a}::bigint`;
    removed += await tx.$executeRaw`DELETE FROM chain_order_cancels WHERE chain_id = ${chainId}::int AND block_number > ${a}::bigint`;
    removed += await tx.$executeRaw`DELETE FROM chain_counter_increments WHERE chain_id = ${chainId}::int AND block_number > ${a}::bigint`;
    removed += await tx.$executeRaw`DELETE FROM chain_approvals WHERE chain_id = ${chainId}::int AND block_number > ${a}::bigint`;
    removed += await tx.$executeRaw`DELETE FROM chain_fee_sweeps WHERE chain_id = ${chainId}::int AND block_number > ${a}::bigint`;
    const tokens = [...new Map(touched.map((t) => [`${t.contract}:${t.token_id}`, t])).values()];
    if (tokens.length > 0) {
      const contracts = tokens.map((t) => t.contract);
      const ids = tokens.map((t) => t.token_id);
      await tx.$executeRaw`
        DELETE FROM chain_token_owners o USING unnest(${contracts}::text[], ${ids}::numeric[]) AS t(contract, token_id)
        WHERE o.chain_id = ${chainId}::int AND o.contract = t.contract AND o.token_id = t.token_id`;
      await tx.$executeRaw`
        INSERT INTO chain_token_owners (chain_id, contract, token_id, owner, since_block, since_log_index, since_tx_hash, updated_at)
        SELECT ${chainId}::int, l.contract, l.token_id, l.to_address, l.block_number, l.log_index, l.tx_hash, now()
        FROM unnest(${contracts}::text[], ${ids}::numeric[]) AS t(contract, token_id)
        CROSS JOIN LATERAL (
          SELECT x.contract, x.token_id, x.to_address, x.block_number, x.log_index, x.tx_hash FROM chain_transfers x
          WHERE x.chain_id = ${chainId}::int AND x.contract = t.contract AND x.token_id = t.token_id
          ORDER BY x.block_number DESC, x.log_index DESC LIMIT 1
        ) AS l`;
    }
    const moves =
      tokens.length > 0
        ? await syncHoldersInTx(tx, {
            chainId,
            contracts: input.contracts,
            ...tokensOf(
              input.contracts,
              tokens.map((t) => ({ contract: t.contract, tokenId: t.token_id })),
            ),
          })
        : [];
    const dropped = await tx.$executeRaw`DELETE FROM chain_blocks WHERE chain_id = ${chainId}::int AND number > ${a}::bigint`;
    await tx.$executeRaw`
      UPDATE chain_checkpoints SET head_block = ${a}::bigint, head_hash = ${input.ancestor.hash}, updated_at = now()
      WHERE chain_id = ${chainId}::int`;
    return { inserted: 0, published: 0, moves, removed, depth: Math.max(Number(checkpoint.headBlock - ancestor), dropped) };
  }, TX_OPTIONS);
}

/**
 * Forgets everything indexed for a chain (a local development chain that was restarted from scratch, so its blocks
 * are gone) and starts again just below `startBlock`. Game rows are left as they are.
 */
export async function resetChainIndex(db: Db, input: { chainId: number; epoch: number; startBlock: bigint }): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockCheckpointInTx(tx, input);
    const c = input.chainId;
    for (const table of [
      'chain_transfers',
      'chain_token_owners',
      'chain_pending_mints',
      'chain_sales',
      'chain_order_cancels',
      'chain_counter_increments',
      'chain_approvals',
      'chain_land_users',
      'chain_fee_sweeps',
      'chain_blocks',
    ]) {
      await tx.$executeRawUnsafe(`DELETE FROM ${table} WHERE chain_id = $1`, c);
    }
    const start = str(input.startBlock - 1n);
    await tx.$executeRaw`
      UPDATE chain_checkpoints SET finalized_block = ${start}::bigint, finalized_hash = NULL, head_block = ${start}::bigint,
        head_hash = NULL, updated_at = now() WHERE chain_id = ${c}::int`;
  }, TX_OPTIONS);
}
