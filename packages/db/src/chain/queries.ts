/**
 * Reads of the indexer's tables for the marketplace (#11) and the game: who holds a token, and whether signed
 * orders can still be filled. Everything reflects the indexer's head; `final` says whether it is past the
 * confirmation depth.
 */
import type { Db } from '../index.ts';

/** A token's holder as the ownership mirror has it. */
export interface TokenHolder {
  contract: string;
  tokenId: string;
  /** The zero address once burned. */
  owner: string;
  /** The player whose linked wallet it is; null: an external wallet. */
  playerId: string | null;
  sinceBlock: bigint;
  sinceTxHash: string;
  /** Whether the transfer that gave it to `owner` is past the confirmation depth. */
  final: boolean;
}

/** Holders of tokens of one collection (missing tokens are left out). */
export async function getTokenHolders(
  db: Pick<Db, '$queryRaw'>,
  input: { chainId: number; contract: string; tokenIds: readonly (bigint | string)[] },
): Promise<TokenHolder[]> {
  const rows = await db.$queryRaw<
    Array<{
      contract: string;
      token_id: string;
      owner: string;
      player_id: string | null;
      since_block: bigint;
      since_tx_hash: string;
      final: boolean;
    }>
  >`
    SELECT o.contract, o.token_id::text, o.owner, w.player_id::text, o.since_block, o.since_tx_hash,
           o.since_block <= COALESCE(c.finalized_block, -1) AS final
    FROM chain_token_owners o
    LEFT JOIN wallets w ON w.address = o.owner
    LEFT JOIN chain_checkpoints c ON c.chain_id = o.chain_id
    WHERE o.chain_id = ${input.chainId}::int AND o.contract = ${input.contract.toLowerCase()}
      AND o.token_id = ANY(${input.tokenIds.map(String)}::numeric[])
    ORDER BY o.token_id`;
  return rows.map((r) => ({
    contract: r.contract,
    tokenId: r.token_id,
    owner: r.owner,
    playerId: r.player_id,
    sinceBlock: BigInt(r.since_block),
    sinceTxHash: r.since_tx_hash,
    final: r.final,
  }));
}

/** A signed marketplace order, as far as its validity on chain goes. */
export interface OrderRef {
  orderHash: string;
  maker: string;
  collection: string;
  tokenId: bigint | string;
  salt: bigint | string;
  counter: bigint | string;
}

/** Why an order can no longer be filled. */
export type OrderInvalidity = 'filled' | 'cancelled' | 'counter_stale' | 'maker_not_owner' | 'approval_revoked';

/**
 * Which of `orders` the chain has made unfillable, and why: filled (a sale of its hash), cancelled (its maker's salt
 * was cancelled), counter_stale (the maker's counter moved past it), maker_not_owner (the token left the maker or
 * was burned), approval_revoked (the maker's newest ApprovalForAll for the marketplace on the collection is false).
 * Orders with no problem are absent from the result.
 */
export async function checkOrders(
  db: Pick<Db, '$queryRaw'>,
  input: { chainId: number; marketplace: string; orders: readonly OrderRef[] },
): Promise<Map<string, OrderInvalidity[]>> {
  const result = new Map<string, OrderInvalidity[]>();
  if (input.orders.length === 0) return result;
  const o = input.orders;
  const rows = await db.$queryRaw<
    Array<{
      order_hash: string;
      filled: boolean;
      cancelled: boolean;
      counter: string | null;
      owner: string | null;
      approved: boolean | null;
    }>
  >`
    SELECT x.order_hash,
      EXISTS (SELECT 1 FROM chain_sales s WHERE s.chain_id = ${input.chainId}::int AND s.order_hash = x.order_hash) AS filled,
      EXISTS (SELECT 1 FROM chain_order_cancels k WHERE k.chain_id = ${input.chainId}::int AND k.marketplace = ${input.marketplace.toLowerCase()}
              AND k.maker = x.maker AND k.salt = x.salt) AS cancelled,
      (SELECT max(n.new_counter)::text FROM chain_counter_increments n WHERE n.chain_id = ${input.chainId}::int
              AND n.marketplace = ${input.marketplace.toLowerCase()} AND n.maker = x.maker) AS counter,
      (SELECT t.owner FROM chain_token_owners t WHERE t.chain_id = ${input.chainId}::int AND t.contract = x.collection AND t.token_id = x.token_id) AS owner,
      (SELECT a.approved FROM chain_approvals a WHERE a.chain_id = ${input.chainId}::int AND a.contract = x.collection AND a.owner = x.maker
              AND a.operator = ${input.marketplace.toLowerCase()} ORDER BY a.block_number DESC, a.log_index DESC LIMIT 1) AS approved
    FROM unnest(${o.map((r) => r.orderHash.toLowerCase())}::text[], ${o.map((r) => r.maker.toLowerCase())}::text[],
                ${o.map((r) => r.collection.toLowerCase())}::text[], ${o.map((r) => String(r.tokenId))}::numeric[],
                ${o.map((r) => String(r.salt))}::numeric[]) AS x(order_hash, maker, collection, token_id, salt)`;
  o.forEach((order, i) => {
    const row = rows[i];
    if (!row) return;
    const reasons: OrderInvalidity[] = [];
    if (row.filled) reasons.push('filled');
    if (row.cancelled) reasons.push('cancelled');
    if (BigInt(row.counter ?? '0') > BigInt(order.counter)) reasons.push('counter_stale');
    if (row.owner !== order.maker.toLowerCase()) reasons.push('maker_not_owner');
    if (row.approved === false) reasons.push('approval_revoked');
    if (reasons.length > 0) result.set(order.orderHash.toLowerCase(), reasons);
  });
  return result;
}
