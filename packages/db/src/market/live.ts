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
 * SQL that is true when listing `l` (an alias of market_listings) can be filled at unix second `now`. Each check is
 * a correlated scalar subquery on one index of the indexer's tables: PostgreSQL runs those per row (EXISTS could be
 * planned as a hash of a whole table, which costs more than the page it decides).
 */
export function liveListingSql(now: bigint): Prisma.Sql {
  const t = now.toString();
  return Prisma.sql`(
    l.status = 'active' AND l.start_time <= ${t}::bigint AND l.end_time > ${t}::bigint
    AND (SELECT o.owner FROM chain_token_owners o WHERE o.chain_id = l.chain_id AND o.contract = l.collection
         AND o.token_id = l.token_id) = l.maker
    AND (SELECT 1 FROM chain_sales s WHERE s.chain_id = l.chain_id AND s.order_hash = l.order_hash LIMIT 1) IS NULL
    AND (SELECT 1 FROM chain_order_cancels k WHERE k.chain_id = l.chain_id AND k.marketplace = l.marketplace
         AND k.maker = l.maker AND k.salt = l.salt LIMIT 1) IS NULL
    AND (SELECT 1 FROM chain_counter_increments n WHERE n.chain_id = l.chain_id AND n.marketplace = l.marketplace
         AND n.maker = l.maker AND n.new_counter > l.counter LIMIT 1) IS NULL
    AND (l.approval <> 'all' OR COALESCE((SELECT a.approved FROM chain_approvals a WHERE a.chain_id = l.chain_id
         AND a.contract = l.collection AND a.owner = l.maker AND a.operator = l.marketplace
         ORDER BY a.block_number DESC, a.log_index DESC LIMIT 1), true))
    AND (l.card_id IS NULL OR (SELECT c.state::text FROM card_instances c WHERE c.id = l.card_id) = 'on_chain')
  )`;
}

/** SQL giving the blockers of listing `l` at `now` as a text array (empty: fillable); the same checks as above. */
export function listingBlockersSql(now: bigint): Prisma.Sql {
  const t = now.toString();
  return Prisma.sql`array_remove(ARRAY[
    CASE WHEN l.end_time <= ${t}::bigint THEN 'expired' END,
    CASE WHEN l.start_time > ${t}::bigint THEN 'not_started' END,
    CASE WHEN (SELECT 1 FROM chain_sales s WHERE s.chain_id = l.chain_id AND s.order_hash = l.order_hash LIMIT 1) IS NOT NULL
         THEN 'filled' END,
    CASE WHEN (SELECT 1 FROM chain_order_cancels k WHERE k.chain_id = l.chain_id AND k.marketplace = l.marketplace
               AND k.maker = l.maker AND k.salt = l.salt LIMIT 1) IS NOT NULL THEN 'cancelled' END,
    CASE WHEN (SELECT 1 FROM chain_counter_increments n WHERE n.chain_id = l.chain_id AND n.marketplace = l.marketplace
               AND n.maker = l.maker AND n.new_counter > l.counter LIMIT 1) IS NOT NULL THEN 'counter' END,
    CASE WHEN (SELECT o.owner FROM chain_token_owners o WHERE o.chain_id = l.chain_id AND o.contract = l.collection
               AND o.token_id = l.token_id) IS DISTINCT FROM l.maker THEN 'owner' END,
    CASE WHEN l.approval = 'all' AND NOT COALESCE((SELECT a.approved FROM chain_approvals a WHERE a.chain_id = l.chain_id
               AND a.contract = l.collection AND a.owner = l.maker AND a.operator = l.marketplace
               ORDER BY a.block_number DESC, a.log_index DESC LIMIT 1), true) THEN 'approval' END,
    CASE WHEN l.card_id IS NOT NULL AND (SELECT c.state::text FROM card_instances c WHERE c.id = l.card_id) IS DISTINCT FROM 'on_chain'
         THEN 'card' END
  ]::text[], NULL)`;
}
