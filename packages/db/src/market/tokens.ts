/**
 * What the game knows of a token the marketplace trades: the card or parcel behind it (for search columns, the
 * match lock and provenance), its holder in the ownership mirror, and its chain history (transfers and sales).
 */
import { AppError } from '@harvest/shared/errors';
import { Prisma } from '../generated/prisma/client.ts';
import type { Db, DbTransaction } from '../index.ts';
import { cardDefinitionKey, landTokenId } from '../mints/token-ids.ts';

/** The contracts of one chain the marketplace trades (lower case). */
export interface MarketCollections {
  cards: string;
  land: string;
}

/** The game object behind a token. */
export type TokenGameInfo =
  | {
      asset: 'card';
      cardId: string;
      /** The card's state (`on_chain` is the only tradeable one). */
      state: string;
      definitionId: string;
      name: string;
      rarity: string | null;
      element: string | null;
    }
  | { asset: 'land'; parcelId: string; name: string; biome: string };

type Reader = Pick<Db, '$queryRaw'> | DbTransaction;

const TOKEN_ID = /^(0|[1-9][0-9]{0,77})$/;
const SERIAL_BITS = 96n;
const SERIAL_MASK = (1n << SERIAL_BITS) - 1n;

/** Definition keys are a pure function of the id, computed once per id per process. */
const definitionKeys = new Map<string, bigint>();
function keyOf(definitionId: string): bigint {
  let key = definitionKeys.get(definitionId);
  if (key === undefined) {
    key = cardDefinitionKey(definitionId);
    definitionKeys.set(definitionId, key);
  }
  return key;
}

const title = (id: string) => id.replace(/(^|-)([a-z])/g, (_, sep: string, c: string) => `${sep ? ' ' : ''}${c.toUpperCase()}`);

/**
 * The card of a card token: by the token id the mint wrote on the card, else by decoding the id (definition key and
 * the low 96 bits of the card's UUID, contracts/README.md "Token ids"), so a token whose mint the game has not
 * confirmed yet is still found. With `lock`, the card row is locked FOR SHARE (a transaction deciding on its state).
 */
async function cardOfToken(db: Reader, tokenId: string, lock: boolean): Promise<TokenGameInfo | null> {
  type Row = { id: string; state: string; definition_id: string; name: string | null; rarity: string | null; element: string | null };
  const forShare = lock ? Prisma.sql`FOR SHARE OF c` : Prisma.empty;
  const byToken = await db.$queryRaw<Row[]>`
    SELECT c.id::text, c.state::text AS state, c.definition_id, d.name, d.rarity, d.element
    FROM card_instances c JOIN card_definitions d ON d.id = c.definition_id WHERE c.token_id = ${tokenId}::numeric ${forShare}`;
  let row = byToken[0];
  if (!row) {
    const id = BigInt(tokenId);
    const key = id >> SERIAL_BITS;
    const serialHex = (id & SERIAL_MASK).toString(16).padStart(24, '0');
    const definitions = await db.$queryRaw<Array<{ id: string }>>`SELECT id FROM card_definitions`;
    const definition = definitions.find((d) => keyOf(d.id) === key);
    if (!definition) return null;
    const rows = await db.$queryRaw<Row[]>`
      SELECT c.id::text, c.state::text AS state, c.definition_id, d.name, d.rarity, d.element
      FROM card_instances c JOIN card_definitions d ON d.id = c.definition_id
      WHERE c.definition_id = ${definition.id} AND right(replace(c.id::text, '-', ''), 24) = ${serialHex} AND c.token_id IS NULL ${forShare}`;
    row = rows[0];
  }
  if (!row) return null;
  return {
    asset: 'card',
    cardId: row.id,
    state: row.state,
    definitionId: row.definition_id,
    name: row.name ?? title(row.definition_id),
    rarity: row.rarity,
    element: row.element,
  };
}

async function parcelOfToken(db: Reader, tokenId: string): Promise<TokenGameInfo | null> {
  const byToken = await db.$queryRaw<Array<{ id: string; biome: string }>>`
    SELECT id, biome FROM land_parcels WHERE token_id = ${tokenId}::numeric`;
  let row = byToken[0];
  if (!row) {
    const parcels = await db.$queryRaw<Array<{ id: string; biome: string }>>`SELECT id, biome FROM land_parcels`;
    const wanted = BigInt(tokenId);
    row = parcels.find((p) => landTokenId(p.id) === wanted);
  }
  return row ? { asset: 'land', parcelId: row.id, name: `${title(row.id)} (${title(row.biome)})`, biome: row.biome } : null;
}

/**
 * The game object behind `tokenId` of `collection`, or null when the collection is not one of `collections` or the
 * game knows no such token. With `lock` (inside a transaction) a card row is locked FOR SHARE.
 */
export async function getTokenGameInfo(
  db: Reader,
  input: { collections: MarketCollections; collection: string; tokenId: string; lock?: boolean },
): Promise<TokenGameInfo | null> {
  if (!TOKEN_ID.test(input.tokenId)) return null;
  const collection = input.collection.toLowerCase();
  if (collection === input.collections.cards) return cardOfToken(db, input.tokenId, input.lock ?? false);
  if (collection === input.collections.land) return parcelOfToken(db, input.tokenId);
  return null;
}

/** A token's holder in the ownership mirror, with the player whose linked wallet it is. */
export interface MarketTokenOwner {
  address: string;
  playerId: string | null;
  displayName: string | null;
  sinceBlock: string;
}

/** One entry of a token's chain history. */
export interface TokenHistoryEntry {
  kind: 'mint' | 'transfer' | 'burn' | 'sale';
  from: string | null;
  to: string | null;
  price: string | null;
  currency: string | null;
  orderHash: string | null;
  txHash: string;
  logIndex: number;
  blockNumber: string;
}

/** A token's holder and its chain history (oldest first), as the indexer has them at its head. */
export interface TokenChainView {
  owner: MarketTokenOwner | null;
  history: TokenHistoryEntry[];
  sales: TokenHistoryEntry[];
}

const ZERO = '0x0000000000000000000000000000000000000000';

/** The mirror's holder of the token and its transfers and sales (TOKEN_NOT_FOUND for a malformed id). */
export async function getTokenChainView(
  db: Pick<Db, '$queryRaw'>,
  input: { chainId: number; collection: string; tokenId: string; historyLimit?: number },
): Promise<TokenChainView> {
  if (!TOKEN_ID.test(input.tokenId)) throw new AppError('TOKEN_NOT_FOUND', `no token ${input.tokenId}`);
  const collection = input.collection.toLowerCase();
  const limit = input.historyLimit ?? 200;
  const [owners, transfers, sales] = await Promise.all([
    db.$queryRaw<Array<{ owner: string; player_id: string | null; display_name: string | null; since_block: bigint }>>`
      SELECT o.owner, w.player_id::text, p.display_name, o.since_block FROM chain_token_owners o
      LEFT JOIN wallets w ON w.address = o.owner LEFT JOIN players p ON p.id = w.player_id
      WHERE o.chain_id = ${input.chainId}::int AND o.contract = ${collection} AND o.token_id = ${input.tokenId}::numeric`,
    db.$queryRaw<Array<{ from_address: string; to_address: string; tx_hash: string; log_index: number; block_number: bigint }>>`
      SELECT from_address, to_address, tx_hash, log_index, block_number FROM chain_transfers
      WHERE chain_id = ${input.chainId}::int AND contract = ${collection} AND token_id = ${input.tokenId}::numeric
      ORDER BY block_number, log_index LIMIT ${limit}::int`,
    db.$queryRaw<
      Array<{
        maker: string;
        taker: string;
        price: string;
        currency: string;
        order_hash: string;
        tx_hash: string;
        log_index: number;
        block_number: bigint;
      }>
    >`
      SELECT maker, taker, price::text, currency, order_hash, tx_hash, log_index, block_number FROM chain_sales
      WHERE chain_id = ${input.chainId}::int AND collection = ${collection} AND token_id = ${input.tokenId}::numeric
      ORDER BY block_number, log_index LIMIT ${limit}::int`,
  ]);
  const owner = owners[0];
  const saleEntries: TokenHistoryEntry[] = sales.map((s) => ({
    kind: 'sale',
    from: s.maker,
    to: s.taker,
    price: s.price,
    currency: s.currency,
    orderHash: s.order_hash,
    txHash: s.tx_hash,
    logIndex: s.log_index,
    blockNumber: String(s.block_number),
  }));
  const transferEntries: TokenHistoryEntry[] = transfers.map((t) => ({
    kind: t.from_address === ZERO ? 'mint' : t.to_address === ZERO ? 'burn' : 'transfer',
    from: t.from_address === ZERO ? null : t.from_address,
    to: t.to_address === ZERO ? null : t.to_address,
    price: null,
    currency: null,
    orderHash: null,
    txHash: t.tx_hash,
    logIndex: t.log_index,
    blockNumber: String(t.block_number),
  }));
  const history = [...transferEntries, ...saleEntries].sort((a, b) =>
    BigInt(a.blockNumber) === BigInt(b.blockNumber) ? a.logIndex - b.logIndex : BigInt(a.blockNumber) < BigInt(b.blockNumber) ? -1 : 1,
  );
  return {
    owner: owner
      ? { address: owner.owner, playerId: owner.player_id, displayName: owner.display_name, sinceBlock: String(owner.since_block) }
      : null,
    history,
    sales: saleEntries,
  };
}

/** Tokens of the two collections held by `addresses` in the mirror (a player's wallets), newest holding first. */
export async function listTokensHeldBy(
  db: Pick<Db, '$queryRaw'>,
  input: { chainId: number; collections: MarketCollections; addresses: readonly string[]; limit?: number },
): Promise<Array<{ collection: string; tokenId: string; owner: string }>> {
  if (input.addresses.length === 0) return [];
  const rows = await db.$queryRaw<Array<{ contract: string; token_id: string; owner: string }>>`
    SELECT contract, token_id::text, owner FROM chain_token_owners
    WHERE chain_id = ${input.chainId}::int AND owner = ANY(${input.addresses.map((a) => a.toLowerCase())}::text[])
      AND contract = ANY(${[input.collections.cards, input.collections.land]}::text[])
    ORDER BY since_block DESC, since_log_index DESC LIMIT ${input.limit ?? 200}::int`;
  return rows.map((r) => ({ collection: r.contract, tokenId: r.token_id, owner: r.owner }));
}
