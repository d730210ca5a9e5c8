/**
 * Whether an `active` listing can still be filled, decided against the chain indexer's tables at its head and the
 * game card's state. This is the one place that says it: search, listing reads and the duplicate check all use it,
 * so a listing disappears the moment the indexer records a sale, a cancel, a counter move, a transfer or a revoked
 * approval, and comes back if a reorg takes that row away.
 *
 * The indexer's tables it reads (prisma/migrations/20261121180000_chain_indexer): chain_token_owners (the ownership
 * mirror), chain_sales, chain_order_cancels, chain_counter_increments, chain_approvals. Addresses are lower case.
 */
import { Prisma } from '../generated/prisma/client.ts';

/** Why an active listing cannot be filled now. */
export type ListingBlocker = 'expired' | 'not_started' | 'filled' | 'cancelled' | 'counter' | 'owner' | 'approval' | 'card';

/**
 * SQL that is true when listing `l` (an alias of market_listings) can be filled at unix second `now`. The
 * subqueries each hit one index of the indexer's tables.
 */
export function liveListingSql(now: bigint): Prisma.Sql {
  const t = now.toString();
  return Prisma.sql`(
    l.status = 'active' AND l.start_time <= ${t}::bigint AND l.end_time > ${t}::bigint
    AND EXISTS (SELECT 1 FROM chain_token_owners o WHERE o.chain_id = l.chain_id AND o.contract = l.collection
                AND o.token_id = l.token_id AND o.owner = l.maker)
    AND NOT EXISTS (SELECT 1 FROM chain_sales s WHERE s.chain_id = l.chain_id AND s.order_hash = l.order_hash)
    AND NOT EXISTS (SELECT 1 FROM chain_order_cancels k WHERE k.chain_id = l.chain_id AND k.marketplace = l.marketplace
                    AND k.maker = l.maker AND k.salt = l.salt)
    AND NOT EXISTS (SELECT 1 FROM chain_counter_increments n WHERE n.chain_id = l.chain_id AND n.marketplace = l.marketplace
                    AND n.maker = l.maker AND n.new_counter > l.counter)
    AND (l.approval <> 'all' OR COALESCE((SELECT a.approved FROM chain_approvals a WHERE a.chain_id = l.chain_id
                    AND a.contract = l.collection AND a.owner = l.maker AND a.operator = l.marketplace
                    ORDER BY a.block_number DESC, a.log_index DESC LIMIT 1), true))
    AND (l.card_id IS NULL OR EXISTS (SELECT 1 FROM card_instances c WHERE c.id = l.card_id AND c.state = 'on_chain'))
  )`;
}

/** SQL giving the blockers of listing `l` at `now` as a text array (empty: fillable). */
export function listingBlockersSql(now: bigint): Prisma.Sql {
  const t = now.toString();
  return Prisma.sql`array_remove(ARRAY[
    CASE WHEN l.end_time <= ${t}::bigint THEN 'expired' END,
    CASE WHEN l.start_time > ${t}::bigint THEN 'not_started' END,
    CASE WHEN EXISTS (SELECT 1 FROM chain_sales s WHERE s.chain_id = l.chain_id AND s.order_hash = l.order_hash) THEN 'filled' END,
    CASE WHEN EXISTS (SELECT 1 FROM chain_order_cancels k WHERE k.chain_id = l.chain_id AND k.marketplace = l.marketplace
                      AND k.maker = l.maker AND k.salt = l.salt) THEN 'cancelled' END,
    CASE WHEN EXISTS (SELECT 1 FROM chain_counter_increments n WHERE n.chain_id = l.chain_id AND n.marketplace = l.marketplace
                      AND n.maker = l.maker AND n.new_counter > l.counter) THEN 'counter' END,
    CASE WHEN NOT EXISTS (SELECT 1 FROM chain_token_owners o WHERE o.chain_id = l.chain_id AND o.contract = l.collection
                          AND o.token_id = l.token_id AND o.owner = l.maker) THEN 'owner' END,
    CASE WHEN l.approval = 'all' AND NOT COALESCE((SELECT a.approved FROM chain_approvals a WHERE a.chain_id = l.chain_id
                      AND a.contract = l.collection AND a.owner = l.maker AND a.operator = l.marketplace
                      ORDER BY a.block_number DESC, a.log_index DESC LIMIT 1), true) THEN 'approval' END,
    CASE WHEN l.card_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM card_instances c WHERE c.id = l.card_id AND c.state = 'on_chain')
         THEN 'card' END
  ]::text[], NULL)`;
}
