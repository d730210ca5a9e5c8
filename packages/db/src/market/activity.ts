/**
 * The marketplace activity feed and its reconciler.
 *
 * The feed (market_activity, newest first by id) gets `listed` and soft `cancelled` rows from the listing services,
 * and `sale` and hard `cancelled` rows from {@link reconcileMarket}, which copies them from the indexer's tables at
 * its head (and deletes the copies a reorg took away). Once the chain facts are final (at or below the indexer's
 * finalized block) the reconciler also closes the listings they end, for good: `filled`, hard `cancelled`, or
 * `invalid` (counter moved, token left the maker, approval revoked, each with an `invalidated` feed row and a
 * `listing_cancelled` event), and `expired` ones. Closing only what is final means a reorg never has to reopen one;
 * until then the read-time check (./live.ts) already hides them.
 */
import { AppError } from '@harvest/shared/errors';
import { Prisma } from '../generated/prisma/client.ts';
import type { Db, DbTransaction } from '../index.ts';
import { appendEvents, type OutboxEventInput } from '../outbox/index.ts';

/** One feed entry. */
export interface ActivityView {
  id: string;
  kind: 'listed' | 'cancelled' | 'sale' | 'invalidated';
  orderHash: string | null;
  collection: string;
  tokenId: string;
  name: string | null;
  maker: string | null;
  taker: string | null;
  price: string | null;
  currency: string | null;
  detail: string | null;
  txHash: string | null;
  blockNumber: string | null;
  at: Date;
}

/** A page of the feed. */
export interface ActivityPage {
  items: ActivityView[];
  nextCursor: string | null;
}

/** Newest-first activity, optionally of one token or one address (as maker or taker), keyset on the row id. */
export async function listActivity(
  db: Pick<Db, '$queryRaw'>,
  input: {
    chainId: number;
    collection?: string;
    tokenId?: string;
    address?: string;
    kinds?: readonly string[];
    limit: number;
    cursor?: string;
  },
): Promise<ActivityPage> {
  let before: bigint | null = null;
  if (input.cursor !== undefined) {
    if (!/^[1-9][0-9]{0,18}$/.test(input.cursor)) throw new AppError('CURSOR_INVALID', 'not an activity cursor');
    before = BigInt(input.cursor);
  }
  const where: Prisma.Sql[] = [Prisma.sql`a.chain_id = ${input.chainId}::int`];
  if (before !== null) where.push(Prisma.sql`a.id < ${before.toString()}::bigint`);
  if (input.collection) where.push(Prisma.sql`a.collection = ${input.collection.toLowerCase()}`);
  if (input.tokenId !== undefined) {
    if (!/^(0|[1-9][0-9]{0,77})$/.test(input.tokenId)) return { items: [], nextCursor: null };
    where.push(Prisma.sql`a.token_id = ${input.tokenId}::numeric`);
  }
  if (input.address) {
    const address = input.address.toLowerCase();
    where.push(Prisma.sql`(a.maker = ${address} OR a.taker = ${address})`);
  }
  if (input.kinds?.length) where.push(Prisma.sql`a.kind = ANY(${[...input.kinds]}::text[])`);
  const rows = await db.$queryRaw<
    Array<{
      id: bigint;
      kind: ActivityView['kind'];
      order_hash: string | null;
      collection: string;
      token_id: string;
      name: string | null;
      maker: string | null;
      taker: string | null;
      price: string | null;
      currency: string | null;
      detail: string | null;
      tx_hash: string | null;
      block_number: bigint | null;
      at: Date;
    }>
  >`
    SELECT a.id, a.kind, a.order_hash, a.collection, a.token_id::text, l.name, a.maker, a.taker, a.price::text, a.currency, a.detail,
           a.tx_hash, a.block_number, a.at
    FROM market_activity a LEFT JOIN market_listings l ON l.order_hash = a.order_hash
    WHERE ${Prisma.join(where, ' AND ')}
    ORDER BY a.id DESC LIMIT ${input.limit + 1}::int`;
  const items = rows.slice(0, input.limit).map((r) => ({
    id: String(r.id),
    kind: r.kind,
    orderHash: r.order_hash,
    collection: r.collection,
    tokenId: r.token_id,
    name: r.name,
    maker: r.maker,
    taker: r.taker,
    price: r.price,
    currency: r.currency,
    detail: r.detail,
    txHash: r.tx_hash,
    blockNumber: r.block_number === null ? null : String(r.block_number),
    at: r.at,
  }));
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > input.limit && last ? last.id : null };
}

/** What one reconciliation did. */
export interface ReconcileResult {
  /** False when another process holds the reconciler lock (nothing done). */
  ran: boolean;
  salesRecorded: number;
  hardCancelsRecorded: number;
  reorgedRemoved: number;
  filled: number;
  cancelled: number;
  invalidated: number;
  expired: number;
}

/** Advisory lock key of the reconciler ('MKTR' << 32 | chain id), so one replica reconciles a chain at a time. */
const reconcilerLockKey = (chainId: number) => (0x4d4b5452n << 32n) | BigInt(chainId);

/**
 * One pass of the reconciler for a chain's marketplace (see the module comment). One transaction; skipped (ran:
 * false) when another process holds the chain's reconciler lock. Idempotent.
 */
export async function reconcileMarket(db: Db, input: { chainId: number; marketplace: string; now: bigint }): Promise<ReconcileResult> {
  const idle: ReconcileResult = {
    ran: false,
    salesRecorded: 0,
    hardCancelsRecorded: 0,
    reorgedRemoved: 0,
    filled: 0,
    cancelled: 0,
    invalidated: 0,
    expired: 0,
  };
  return db.$transaction(
    async (tx) => {
      const c = input.chainId;
      const m = input.marketplace.toLowerCase();
      const locked = await tx.$queryRaw<
        Array<{ ok: boolean }>
      >`SELECT pg_try_advisory_xact_lock(${reconcilerLockKey(c).toString()}::bigint) AS ok`;
      if (!locked[0]?.ok) return idle;
      const checkpoint = await tx.$queryRaw<Array<{ finalized_block: bigint; head_block: bigint }>>`
        SELECT finalized_block, head_block FROM chain_checkpoints WHERE chain_id = ${c}::int`;
      const finalized = checkpoint[0] ? BigInt(checkpoint[0].finalized_block) : -1n;
      // Chain rows not yet final are re-read every pass; final ones were copied when they were still at the head.
      const from = await scanFrom(tx, c, finalized);
      const result: ReconcileResult = { ...idle, ran: true };

      result.reorgedRemoved = await tx.$executeRaw`
        DELETE FROM market_activity a WHERE a.chain_id = ${c}::int AND a.tx_hash IS NOT NULL AND a.block_number > ${finalized.toString()}::bigint
          AND NOT EXISTS (
            SELECT 1 FROM chain_sales s WHERE a.kind = 'sale' AND s.chain_id = a.chain_id AND s.tx_hash = a.tx_hash AND s.log_index = a.log_index
            UNION ALL
            SELECT 1 FROM chain_order_cancels k WHERE a.kind = 'cancelled' AND k.chain_id = a.chain_id AND k.tx_hash = a.tx_hash AND k.log_index = a.log_index)`;
      result.salesRecorded = await tx.$executeRaw`
        INSERT INTO market_activity (chain_id, kind, order_hash, collection, token_id, maker, taker, price, currency, tx_hash, log_index, block_number)
        SELECT s.chain_id, 'sale', s.order_hash, s.collection, s.token_id, s.maker, s.taker, NULLIF(s.price, 0), s.currency, s.tx_hash, s.log_index, s.block_number
        FROM chain_sales s WHERE s.chain_id = ${c}::int AND s.marketplace = ${m} AND s.block_number > ${from.toString()}::bigint
        ORDER BY s.block_number, s.log_index
        ON CONFLICT DO NOTHING`;
      result.hardCancelsRecorded = await tx.$executeRaw`
        INSERT INTO market_activity (chain_id, kind, order_hash, collection, token_id, maker, detail, tx_hash, log_index, block_number)
        SELECT k.chain_id, 'cancelled', l.order_hash, l.collection, l.token_id, l.maker, 'hard', k.tx_hash, k.log_index, k.block_number
        FROM chain_order_cancels k
        JOIN LATERAL (SELECT * FROM market_listings l WHERE l.chain_id = k.chain_id AND l.marketplace = k.marketplace AND l.maker = k.maker
                      AND l.salt = k.salt ORDER BY l.created_at DESC LIMIT 1) l ON true
        WHERE k.chain_id = ${c}::int AND k.marketplace = ${m} AND k.block_number > ${from.toString()}::bigint
        ORDER BY k.block_number, k.log_index
        ON CONFLICT DO NOTHING`;

      const f = finalized.toString();
      const filled = await tx.$queryRaw<Array<{ order_hash: string }>>`
        UPDATE market_listings l SET status = 'filled', closed_reason = 'filled', closed_at = now()
        WHERE l.chain_id = ${c}::int AND l.status = 'active' AND EXISTS (
          SELECT 1 FROM chain_sales s WHERE s.chain_id = l.chain_id AND s.order_hash = l.order_hash AND s.block_number <= ${f}::bigint)
        RETURNING l.order_hash`;
      result.filled = filled.length;
      const hard = await tx.$queryRaw<Array<{ order_hash: string }>>`
        UPDATE market_listings l SET status = 'cancelled', closed_reason = 'hard', closed_at = now()
        WHERE l.chain_id = ${c}::int AND l.status = 'active' AND EXISTS (
          SELECT 1 FROM chain_order_cancels k WHERE k.chain_id = l.chain_id AND k.marketplace = l.marketplace AND k.maker = l.maker
            AND k.salt = l.salt AND k.block_number <= ${f}::bigint)
        RETURNING l.order_hash`;
      result.cancelled = hard.length;
      const invalid = await tx.$queryRaw<
        Array<{ order_hash: string; reason: string; collection: string; token_id: string; maker: string }>
      >`
        WITH reasons AS (
          SELECT l.order_hash,
            CASE
              WHEN EXISTS (SELECT 1 FROM chain_token_owners o WHERE o.chain_id = l.chain_id AND o.contract = l.collection
                           AND o.token_id = l.token_id AND o.owner <> l.maker AND o.since_block <= ${f}::bigint) THEN 'owner'
              WHEN EXISTS (SELECT 1 FROM chain_counter_increments n WHERE n.chain_id = l.chain_id AND n.marketplace = l.marketplace
                           AND n.maker = l.maker AND n.new_counter > l.counter AND n.block_number <= ${f}::bigint) THEN 'counter'
              WHEN l.approval = 'all' AND (SELECT NOT a.approved AND a.block_number <= ${f}::bigint FROM chain_approvals a
                           WHERE a.chain_id = l.chain_id AND a.contract = l.collection AND a.owner = l.maker AND a.operator = l.marketplace
                           ORDER BY a.block_number DESC, a.log_index DESC LIMIT 1) THEN 'approval'
            END AS reason
          FROM market_listings l WHERE l.chain_id = ${c}::int AND l.status = 'active'
        )
        UPDATE market_listings l SET status = 'invalid', closed_reason = r.reason, closed_at = now()
        FROM reasons r WHERE r.order_hash = l.order_hash AND r.reason IS NOT NULL
        RETURNING l.order_hash, r.reason, l.collection, l.token_id::text, l.maker`;
      result.invalidated = invalid.length;
      if (invalid.length > 0) {
        await tx.$executeRaw`
          INSERT INTO market_activity (chain_id, kind, order_hash, collection, token_id, maker, detail)
          SELECT ${c}::int, 'invalidated', x.order_hash, x.collection, x.token_id, x.maker, x.reason
          FROM unnest(${invalid.map((r) => r.order_hash)}::text[], ${invalid.map((r) => r.collection)}::text[],
                      ${invalid.map((r) => r.token_id)}::numeric[], ${invalid.map((r) => r.maker)}::text[],
                      ${invalid.map((r) => r.reason)}::text[]) AS x(order_hash, collection, token_id, maker, reason)`;
      }
      const expired = await tx.$executeRaw`
        UPDATE market_listings SET status = 'expired', closed_reason = 'expired', closed_at = now()
        WHERE chain_id = ${c}::int AND status = 'active' AND end_time <= ${input.now.toString()}::bigint`;
      result.expired = expired;

      const events: OutboxEventInput[] = [
        ...hard.map((r) => ({
          type: 'listing_cancelled' as const,
          key: r.order_hash,
          payload: { orderHash: r.order_hash, how: 'hard' as const },
        })),
        ...invalid.map((r) => ({
          type: 'listing_cancelled' as const,
          key: r.order_hash,
          payload: { orderHash: r.order_hash, how: 'invalidated' as const },
        })),
      ];
      await appendEvents(tx, events);
      return result;
    },
    { maxWait: 10_000, timeout: 60_000 },
  );
}

/**
 * The block above which chain rows are (re)scanned: the lowest not-final block the feed may still lack. Rows at or
 * below the finalized block were copied by an earlier pass unless none ran since they were indexed, so the scan
 * starts below the newest chain row already copied when that is lower.
 */
async function scanFrom(tx: DbTransaction, chainId: number, finalized: bigint): Promise<bigint> {
  const rows = await tx.$queryRaw<Array<{ newest: bigint | null }>>`
    SELECT max(block_number) AS newest FROM market_activity WHERE chain_id = ${chainId}::int AND tx_hash IS NOT NULL AND block_number <= ${finalized.toString()}::bigint`;
  const newest = rows[0]?.newest === null || rows[0]?.newest === undefined ? -1n : BigInt(rows[0].newest);
  // Everything above the newest copied final row may be missing; below it every row was seen while at the head.
  return newest < finalized ? newest : finalized;
}

/**
 * A value that changes whenever a search result of the chain's marketplace may change: the indexer's head, final
 * block and writer epoch (chain facts, reorgs, mint confirmations) and the newest feed row (listings made,
 * soft-cancelled or invalidated). Expiry is a matter of time, which callers bound themselves. Two index reads.
 */
export async function getMarketVersion(db: Pick<Db, '$queryRaw'>, chainId: number): Promise<string> {
  const rows = await db.$queryRaw<Array<{ chain: string | null; activity: string | null }>>`
    SELECT (SELECT head_block::text || ':' || coalesce(head_hash, '') || ':' || finalized_block::text || ':' || epoch::text
            FROM chain_checkpoints WHERE chain_id = ${chainId}::int) AS chain,
           (SELECT max(id)::text FROM market_activity) AS activity`;
  return `${rows[0]?.chain ?? '-'}/${rows[0]?.activity ?? '-'}`;
}
