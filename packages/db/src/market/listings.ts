/**
 * Marketplace listings: accepting a maker's signed order (after the app has checked what only the chain can tell:
 * the signature, the counter, the salt and the approval), soft cancels, reads and search.
 *
 * The checks made here, in the listing's transaction: the maker holds the token in the ownership mirror, the game
 * card behind it is `on_chain` (not locked in a match, being minted, burned or consumed), and the maker has no other
 * live listing of the token (serialised per token by an advisory lock). The listing row, its activity row and the
 * `listing_created` event are written together.
 */
import { AppError } from '@harvest/shared/errors';
import { Prisma } from '../generated/prisma/client.ts';
import type { Db, DbTransaction } from '../index.ts';
import { appendEvent } from '../outbox/index.ts';
import { type ListingBlocker, listingBlockersSql, liveListingSql } from './live.ts';
import { getTokenGameInfo, type MarketCollections } from './tokens.ts';

/** A sell order as signed (EIP-712 `Order` of the Marketplace contract); uint256 fields as bigints. */
export interface MarketOrder {
  maker: string;
  collection: string;
  tokenId: bigint;
  price: bigint;
  currency: string;
  startTime: bigint;
  endTime: bigint;
  salt: bigint;
  counter: bigint;
}

/** What {@link createListing} needs: the order, verified by the caller against the chain. */
export interface NewListingInput {
  chainId: number;
  marketplace: string;
  collections: MarketCollections;
  order: MarketOrder;
  orderHash: string;
  signature: string;
  /** How the caller found the marketplace approved on chain. */
  approval: 'all' | 'token';
  /** Unix seconds. */
  now: bigint;
}

/** A listing as the API shows it. */
export interface ListingView {
  orderHash: string;
  chainId: number;
  marketplace: string;
  asset: 'card' | 'land';
  collection: string;
  tokenId: string;
  name: string;
  rarity: string | null;
  element: string | null;
  definitionId: string | null;
  biome: string | null;
  cardId: string | null;
  parcelId: string | null;
  maker: string;
  price: string;
  currency: string;
  startTime: string;
  endTime: string;
  salt: string;
  counter: string;
  signature: string;
  status: string;
  closedReason: string | null;
  createdAt: Date;
  /** Why it cannot be filled now (empty: it can). */
  blockers: ListingBlocker[];
}

interface ListingRow {
  order_hash: string;
  chain_id: number;
  marketplace: string;
  asset: 'card' | 'land';
  collection: string;
  token_id: string;
  name: string;
  rarity: string | null;
  element: string | null;
  definition_id: string | null;
  biome: string | null;
  card_id: string | null;
  parcel_id: string | null;
  maker: string;
  price: string;
  currency: string;
  start_time: bigint;
  end_time: bigint;
  salt: string;
  counter: string;
  signature: string;
  status: string;
  closed_reason: string | null;
  created_at: Date;
  blockers: ListingBlocker[];
}

const toView = (r: ListingRow): ListingView => ({
  orderHash: r.order_hash,
  chainId: r.chain_id,
  marketplace: r.marketplace,
  asset: r.asset,
  collection: r.collection,
  tokenId: r.token_id,
  name: r.name,
  rarity: r.rarity,
  element: r.element,
  definitionId: r.definition_id,
  biome: r.biome,
  cardId: r.card_id,
  parcelId: r.parcel_id,
  maker: r.maker,
  price: r.price,
  currency: r.currency,
  startTime: String(r.start_time),
  endTime: String(r.end_time),
  salt: r.salt,
  counter: r.counter,
  signature: r.signature,
  status: r.status,
  closedReason: r.closed_reason,
  createdAt: r.created_at,
  blockers: r.status === 'active' ? r.blockers : [],
});

const LISTING_COLUMNS = Prisma.sql`l.order_hash, l.chain_id, l.marketplace, l.asset, l.collection, l.token_id::text, l.name, l.rarity,
  l.element, l.definition_id, l.biome, l.card_id::text, l.parcel_id, l.maker, l.price::text, l.currency, l.start_time, l.end_time,
  l.salt::text, l.counter::text, l.signature, l.status, l.closed_reason, l.created_at`;

/** First key of the two-key advisory lock taken per listed token ('MKTL'). */
export const MARKET_TOKEN_LOCK_SPACE = 0x4d4b544c;

async function getListingInTx(db: Pick<Db, '$queryRaw'> | DbTransaction, orderHash: string, now: bigint): Promise<ListingView | null> {
  const rows = await db.$queryRaw<ListingRow[]>`
    SELECT ${LISTING_COLUMNS}, ${listingBlockersSql(now)} AS blockers FROM market_listings l WHERE l.order_hash = ${orderHash.toLowerCase()}`;
  return rows[0] ? toView(rows[0]) : null;
}

/** A listing by order hash with its blockers at `now` (unix seconds), or null. */
export function getListing(db: Pick<Db, '$queryRaw'>, input: { orderHash: string; now: bigint }): Promise<ListingView | null> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(input.orderHash)) return Promise.resolve(null);
  return getListingInTx(db, input.orderHash, input.now);
}

/**
 * Lists a verified order (see the module comment for what is checked here). Idempotent per order hash: the same
 * order again returns the existing listing with `created: false`. Refusals: MARKET_NOT_OWNER, MARKET_CARD_LOCKED,
 * MARKET_TOKEN_UNAVAILABLE, TOKEN_NOT_FOUND (the game knows no such token), MARKET_ALREADY_LISTED.
 */
export async function createListing(db: Db, input: NewListingInput): Promise<{ listing: ListingView; created: boolean }> {
  const order = input.order;
  const maker = order.maker.toLowerCase();
  const collection = order.collection.toLowerCase();
  const tokenId = order.tokenId.toString();
  const orderHash = input.orderHash.toLowerCase();
  return db.$transaction(async (tx) => {
    const existing = await getListingInTx(tx, orderHash, input.now);
    if (existing) return { listing: existing, created: false };
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${MARKET_TOKEN_LOCK_SPACE}::int, hashtext(${`${input.chainId}:${collection}:${tokenId}`}))`;

    const owners = await tx.$queryRaw<Array<{ owner: string }>>`
      SELECT owner FROM chain_token_owners WHERE chain_id = ${input.chainId}::int AND contract = ${collection} AND token_id = ${tokenId}::numeric`;
    if (owners[0]?.owner !== maker) {
      throw new AppError('MARKET_NOT_OWNER', `${maker} does not hold token ${tokenId}`, { owner: owners[0]?.owner ?? null });
    }
    const info = await getTokenGameInfo(tx, { collections: input.collections, collection, tokenId, lock: true });
    if (!info) throw new AppError('TOKEN_NOT_FOUND', `the game knows no token ${tokenId} of ${collection}`);
    if (info.asset === 'card' && info.state !== 'on_chain') {
      if (info.state === 'in_match') throw new AppError('MARKET_CARD_LOCKED', 'the card is locked in a match', { state: info.state });
      throw new AppError('MARKET_TOKEN_UNAVAILABLE', `the card is ${info.state}`, { state: info.state });
    }

    const live = await tx.$queryRaw<Array<{ order_hash: string }>>`
      SELECT l.order_hash FROM market_listings l
      WHERE l.chain_id = ${input.chainId}::int AND l.collection = ${collection} AND l.token_id = ${tokenId}::numeric
        AND l.maker = ${maker} AND ${liveListingSql(input.now)} LIMIT 1`;
    if (live[0])
      throw new AppError('MARKET_ALREADY_LISTED', 'the token already has a live listing of yours', { orderHash: live[0].order_hash });

    const card = info.asset === 'card' ? info : null;
    const land = info.asset === 'land' ? info : null;
    await tx.$executeRaw`
      INSERT INTO market_listings (order_hash, chain_id, marketplace, maker, collection, asset, token_id, price, currency,
        start_time, end_time, salt, counter, signature, approval, card_id, parcel_id, definition_id, name, rarity, element, biome)
      VALUES (${orderHash}, ${input.chainId}::int, ${input.marketplace.toLowerCase()}, ${maker}, ${collection}, ${info.asset},
        ${tokenId}::numeric, ${order.price.toString()}::numeric, ${order.currency.toLowerCase()}, ${order.startTime.toString()}::bigint,
        ${order.endTime.toString()}::bigint, ${order.salt.toString()}::numeric, ${order.counter.toString()}::numeric,
        ${input.signature.toLowerCase()}, ${input.approval}, ${card?.cardId ?? null}::uuid, ${land?.parcelId ?? null},
        ${card?.definitionId ?? null}, ${info.name}, ${card?.rarity ?? null}, ${card?.element ?? null}, ${land?.biome ?? null})`;
    await tx.$executeRaw`
      INSERT INTO market_activity (chain_id, kind, order_hash, collection, token_id, maker, price, currency)
      VALUES (${input.chainId}::int, 'listed', ${orderHash}, ${collection}, ${tokenId}::numeric, ${maker},
        ${order.price.toString()}::numeric, ${order.currency.toLowerCase()})`;
    await appendEvent(tx, {
      type: 'listing_created',
      key: orderHash,
      payload: { orderHash, contract: collection, tokenId, maker, price: order.price.toString(), currency: order.currency.toLowerCase() },
    });
    const listing = await getListingInTx(tx, orderHash, input.now);
    return { listing: listing as ListingView, created: true };
  });
}

/**
 * Soft cancel: the maker (whose signature the caller verified) withdraws a listing off chain. The order stays
 * fillable on chain by anyone who kept its signature; a hard cancel (`cancel(salt)`) closes it for good.
 * LISTING_NOT_FOUND for an unknown hash or another maker's listing; a listing already closed is returned unchanged.
 */
export async function cancelListing(db: Db, input: { orderHash: string; maker: string; now: bigint }): Promise<ListingView> {
  const orderHash = input.orderHash.toLowerCase();
  const notFound = new AppError('LISTING_NOT_FOUND', `no listing ${orderHash} of ${input.maker}`);
  if (!/^0x[0-9a-f]{64}$/.test(orderHash)) throw notFound;
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ maker: string; status: string; chain_id: number; collection: string; token_id: string }>>`
      SELECT maker, status, chain_id, collection, token_id::text FROM market_listings WHERE order_hash = ${orderHash} FOR UPDATE`;
    const row = rows[0];
    if (!row || row.maker !== input.maker.toLowerCase()) throw notFound;
    if (row.status === 'active') {
      await tx.$executeRaw`
        UPDATE market_listings SET status = 'cancelled', closed_reason = 'soft', closed_at = now() WHERE order_hash = ${orderHash}`;
      await tx.$executeRaw`
        INSERT INTO market_activity (chain_id, kind, order_hash, collection, token_id, maker, detail)
        VALUES (${row.chain_id}::int, 'cancelled', ${orderHash}, ${row.collection}, ${row.token_id}::numeric, ${row.maker}, 'soft')`;
      await appendEvent(tx, { type: 'listing_cancelled', key: orderHash, payload: { orderHash, how: 'soft' } });
    }
    return (await getListingInTx(tx, orderHash, input.now)) as ListingView;
  });
}

/** Sort orders of {@link searchListings}. */
export type ListingSort = 'price_asc' | 'price_desc' | 'newest';

/** Filters, sort and page of {@link searchListings}. */
export interface ListingSearch {
  chainId: number;
  /** Unix seconds. */
  now: bigint;
  asset?: 'card' | 'land' | undefined;
  rarity?: readonly string[] | undefined;
  element?: readonly string[] | undefined;
  definitionId?: string | undefined;
  biome?: readonly string[] | undefined;
  seller?: string | undefined;
  currency?: string | undefined;
  minPrice?: bigint | undefined;
  maxPrice?: bigint | undefined;
  sort: ListingSort;
  limit: number;
  cursor?: string | undefined;
}

/** A page of live listings. */
export interface ListingPage {
  items: ListingView[];
  /** Pass as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
}

type SearchCursor = { s: 'price_asc' | 'price_desc'; p: string; h: string } | { s: 'newest'; t: string; h: string };

function encodeSearchCursor(sort: ListingSort, last: ListingView): string {
  const value: SearchCursor =
    sort === 'newest' ? { s: sort, t: last.createdAt.toISOString(), h: last.orderHash } : { s: sort, p: last.price, h: last.orderHash };
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeSearchCursor(cursor: string, sort: ListingSort): SearchCursor {
  const invalid = new AppError('CURSOR_INVALID', 'not a cursor of this listing search');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (typeof value !== 'object' || value === null) throw invalid;
  const v = value as Record<string, unknown>;
  if (v.s !== sort || typeof v.h !== 'string' || !/^0x[0-9a-f]{64}$/.test(v.h)) throw invalid;
  if (sort === 'newest') {
    if (typeof v.t !== 'string' || Number.isNaN(Date.parse(v.t)) || !/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(v.t)) throw invalid;
    return { s: sort, t: v.t, h: v.h };
  }
  if (typeof v.p !== 'string' || !/^[1-9][0-9]{0,77}$/.test(v.p)) throw invalid;
  return { s: sort, p: v.p, h: v.h };
}

/** Keyset position of a listing in one sort order. */
type SortKey = { s: 'price_asc' | 'price_desc'; p: string; h: string } | { s: 'newest'; t: string; h: string };

function keyOf(sort: ListingSort, row: ListingView): SortKey {
  return sort === 'newest' ? { s: sort, t: row.createdAt.toISOString(), h: row.orderHash } : { s: sort, p: row.price, h: row.orderHash };
}

function afterSql(key: SortKey | null): Prisma.Sql | null {
  if (!key) return null;
  if (key.s === 'newest') return Prisma.sql`(l.created_at, l.order_hash) < (${key.t}::timestamptz, ${key.h})`;
  if (key.s === 'price_desc') return Prisma.sql`(l.price, l.order_hash) < (${key.p}::numeric, ${key.h})`;
  return Prisma.sql`(l.price, l.order_hash) > (${key.p}::numeric, ${key.h})`;
}

const ORDER_SQL: Record<ListingSort, Prisma.Sql> = {
  newest: Prisma.sql`l.created_at DESC, l.order_hash DESC`,
  price_desc: Prisma.sql`l.price DESC, l.order_hash DESC`,
  price_asc: Prisma.sql`l.price ASC, l.order_hash ASC`,
};

/**
 * Live listings (fillable now, see ./live.ts) matching the filters, sorted by price (either way) or newest first,
 * with keyset pagination on (price or creation time, order hash). CURSOR_INVALID for a cursor of another sort.
 *
 * Two phases, so the work is bounded by the page and not by the table: candidates come from the sort's index with
 * the cheap column filters only (a LIMIT in a subquery keeps PostgreSQL from flattening it), and the read-time
 * liveness check runs on those candidates alone, as a column. Were the check a WHERE condition, the planner (which
 * cannot estimate the check's selectivity) would evaluate it on every matching row before sorting. Rarely, when many
 * candidates are dead, the next batch is read after the last candidate.
 */
export async function searchListings(db: Pick<Db, '$queryRaw'>, search: ListingSearch): Promise<ListingPage> {
  const filters: Prisma.Sql[] = [Prisma.sql`l.chain_id = ${search.chainId}::int`, Prisma.sql`l.status = 'active'`];
  if (search.asset) filters.push(Prisma.sql`l.asset = ${search.asset}`);
  if (search.rarity?.length) filters.push(Prisma.sql`l.rarity = ANY(${[...search.rarity]}::text[])`);
  if (search.element?.length) filters.push(Prisma.sql`l.element = ANY(${[...search.element]}::text[])`);
  if (search.biome?.length) filters.push(Prisma.sql`l.biome = ANY(${[...search.biome]}::text[])`);
  if (search.definitionId) filters.push(Prisma.sql`l.definition_id = ${search.definitionId}`);
  if (search.seller) filters.push(Prisma.sql`l.maker = ${search.seller.toLowerCase()}`);
  if (search.currency) filters.push(Prisma.sql`l.currency = ${search.currency.toLowerCase()}`);
  if (search.minPrice !== undefined) filters.push(Prisma.sql`l.price >= ${search.minPrice.toString()}::numeric`);
  if (search.maxPrice !== undefined) filters.push(Prisma.sql`l.price <= ${search.maxPrice.toString()}::numeric`);
  const t = search.now.toString();
  filters.push(Prisma.sql`l.start_time <= ${t}::bigint AND l.end_time > ${t}::bigint`);
  const order = ORDER_SQL[search.sort];
  const wanted = search.limit + 1;
  const batch = Math.max(2 * wanted, 20);
  let after: SortKey | null = search.cursor === undefined ? null : decodeSearchCursor(search.cursor, search.sort);
  const live: ListingView[] = [];
  for (;;) {
    const keyset = afterSql(after);
    const where = Prisma.join(keyset ? [...filters, keyset] : filters, ' AND ');
    const rows = await db.$queryRaw<Array<ListingRow & { live: boolean }>>`
      SELECT ${LISTING_COLUMNS}, ARRAY[]::text[] AS blockers, ${liveListingSql(search.now)} AS live
      FROM (SELECT l.* FROM market_listings l WHERE ${where} ORDER BY ${order} LIMIT ${batch}::int) AS l
      ORDER BY ${order}`;
    for (const row of rows) if (row.live && live.length < wanted) live.push(toView(row));
    const lastRow = rows[rows.length - 1];
    if (live.length >= wanted || rows.length < batch || !lastRow) break;
    after = keyOf(search.sort, toView(lastRow));
  }
  const items = live.slice(0, search.limit);
  const last = items[items.length - 1];
  return { items, nextCursor: live.length > search.limit && last ? encodeSearchCursor(search.sort, last) : null };
}

/** The listings of a maker (any status, newest first): "my listings". */
export async function listMakerListings(
  db: Pick<Db, '$queryRaw'>,
  input: { chainId: number; makers: readonly string[]; now: bigint; limit?: number },
): Promise<ListingView[]> {
  if (input.makers.length === 0) return [];
  const rows = await db.$queryRaw<ListingRow[]>`
    SELECT ${LISTING_COLUMNS}, ${listingBlockersSql(input.now)} AS blockers FROM market_listings l
    WHERE l.chain_id = ${input.chainId}::int AND l.maker = ANY(${input.makers.map((m) => m.toLowerCase())}::text[])
    ORDER BY l.created_at DESC, l.order_hash DESC LIMIT ${input.limit ?? 100}::int`;
  return rows.map(toView);
}

/** The live listing of a token, if any (the cheapest when several makers somehow list it). */
export async function getLiveListingOfToken(
  db: Pick<Db, '$queryRaw'>,
  input: { chainId: number; collection: string; tokenId: string; now: bigint },
): Promise<ListingView | null> {
  if (!/^(0|[1-9][0-9]{0,77})$/.test(input.tokenId)) return null;
  const rows = await db.$queryRaw<ListingRow[]>`
    SELECT ${LISTING_COLUMNS}, ARRAY[]::text[] AS blockers FROM market_listings l
    WHERE l.chain_id = ${input.chainId}::int AND l.collection = ${input.collection.toLowerCase()}
      AND l.token_id = ${input.tokenId}::numeric AND ${liveListingSql(input.now)}
    ORDER BY l.price, l.order_hash LIMIT 1`;
  return rows[0] ? toView(rows[0]) : null;
}
