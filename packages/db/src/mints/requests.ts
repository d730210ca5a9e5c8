/**
 * Mint requests as players see them: create one (cards, or one land parcel, to a linked wallet), read one, list
 * theirs. Creating moves every card `in_game -> minting` through the card state machine in the same transaction,
 * so a card being minted cannot be played, crafted or asked for twice; a parcel is held by its live mint item (the
 * unique live-token index), since land has no state column.
 */
import { AppError } from '@harvest/shared/errors';
import { requestMintInTx } from '../cards/index.ts';
import type { MintAssetKind, MintItemStatus, MintRequestStatus } from '../generated/prisma/enums.ts';
import type { Db, DbTransaction } from '../index.ts';
import { isUuid } from '../ledger/index.ts';
import { cardTokenId, landTokenId } from './token-ids.ts';

/** Most cards one request may carry. */
export const MAX_CARDS_PER_MINT_REQUEST = 50;

/** The collection contracts of the chain a request targets (from the deployments file). */
export interface MintContracts {
  cards: string;
  land: string;
}

/** What {@link createMintRequestInTx} needs. Exactly one of `cardIds` and `landId`. */
export interface CreateMintRequestInput {
  playerId: string;
  chainId: number;
  /** One of the player's linked wallets. */
  walletAddress: string;
  contracts: MintContracts;
  cardIds?: readonly string[] | undefined;
  landId?: string | undefined;
}

/** One token of a request. */
export interface MintItemView {
  id: string;
  position: number;
  cardId: string | null;
  landId: string | null;
  contract: string;
  tokenId: string;
  status: MintItemStatus;
  txHash: string | null;
  blockNumber: string | null;
  failureCode: string | null;
  /** Why it failed, in words a player can read. */
  failureReason: string | null;
  confirmedAt: Date | null;
}

/** A mint request with its items. */
export interface MintRequestView {
  id: string;
  playerId: string;
  kind: MintAssetKind;
  chainId: number;
  walletAddress: string;
  status: MintRequestStatus;
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  items: MintItemView[];
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

interface RequestRow {
  id: string;
  player_id: string;
  kind: MintAssetKind;
  chain_id: number;
  wallet_address: string;
  status: MintRequestStatus;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

interface ItemRow {
  id: string;
  request_id: string;
  position: number;
  card_id: string | null;
  land_id: string | null;
  contract: string;
  token_id: string;
  status: MintItemStatus;
  tx_hash: string | null;
  block_number: string | null;
  failure_code: string | null;
  failure_reason: string | null;
  confirmed_at: Date | null;
}

const toItem = (r: ItemRow): MintItemView => ({
  id: r.id,
  position: r.position,
  cardId: r.card_id,
  landId: r.land_id,
  contract: r.contract,
  tokenId: r.token_id,
  status: r.status,
  txHash: r.tx_hash,
  blockNumber: r.block_number,
  failureCode: r.failure_code,
  failureReason: r.failure_reason,
  confirmedAt: r.confirmed_at,
});

type Reader = Pick<DbTransaction, '$queryRaw' | '$queryRawUnsafe'>;

async function loadViews(reader: Reader, requests: readonly RequestRow[]): Promise<MintRequestView[]> {
  if (requests.length === 0) return [];
  const items = await reader.$queryRaw<ItemRow[]>`
    SELECT id::text, request_id::text, position, card_id::text, land_id, contract, token_id::text, status::text AS status,
           tx_hash, block_number::text, failure_code, failure_reason, confirmed_at
    FROM mint_items WHERE request_id = ANY(${requests.map((r) => r.id)}::uuid[]) ORDER BY request_id, position`;
  const byRequest = new Map<string, MintItemView[]>();
  for (const item of items) {
    const list = byRequest.get(item.request_id) ?? [];
    list.push(toItem(item));
    byRequest.set(item.request_id, list);
  }
  return requests.map((r) => ({
    id: r.id,
    playerId: r.player_id,
    kind: r.kind,
    chainId: r.chain_id,
    walletAddress: r.wallet_address,
    status: r.status,
    failureReason: r.failure_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
    items: byRequest.get(r.id) ?? [],
  }));
}

const REQUEST_COLUMNS =
  'id::text, player_id::text, kind::text AS kind, chain_id, wallet_address, status::text AS status, failure_reason, created_at, updated_at, finished_at';

async function requestRows(reader: Reader, ids: readonly string[]): Promise<RequestRow[]> {
  return reader.$queryRawUnsafe<RequestRow[]>(
    `SELECT ${REQUEST_COLUMNS} FROM mint_requests WHERE id = ANY($1::uuid[]) ORDER BY created_at DESC, id DESC`,
    ids,
  ) as Promise<RequestRow[]>;
}

/** Reads requests by id (any player's; for the minter and admins). Missing ids are left out. */
export async function getMintRequestsById(db: Db | DbTransaction, ids: readonly string[]): Promise<MintRequestView[]> {
  const valid = ids.filter(isUuid);
  return loadViews(db, await requestRows(db, valid));
}

/**
 * Creates a mint request inside the caller's transaction: checks the player is no guest and owns the target
 * wallet, moves each card in_game -> minting (CARD_NOT_FOUND for a card that is not theirs, ILLEGAL_CARD_TRANSITION
 * for one in a match, already minting or on chain), or holds the parcel (LAND_NOT_FOUND, LAND_UNAVAILABLE), and
 * writes the request with one queued item per token. The minter picks queued items up from here.
 */
export async function createMintRequestInTx(tx: DbTransaction, input: CreateMintRequestInput): Promise<MintRequestView> {
  if (!isUuid(input.playerId)) throw new AppError('NOT_FOUND', 'no such player');
  const cardIds = [...new Set((input.cardIds ?? []).map((id) => id.toLowerCase()))].sort();
  const landId = input.landId;
  if (cardIds.length > 0 === (landId !== undefined)) {
    throw new AppError('VALIDATION_FAILED', 'a mint request carries either cards or one land parcel');
  }
  if (cardIds.length > MAX_CARDS_PER_MINT_REQUEST) {
    throw new AppError('VALIDATION_FAILED', `at most ${MAX_CARDS_PER_MINT_REQUEST} cards per mint request`);
  }
  if (!ADDRESS.test(input.walletAddress)) throw new AppError('VALIDATION_FAILED', 'the wallet is a 0x-prefixed 20-byte hex address');
  const wallet = input.walletAddress.toLowerCase();
  const contract = (landId === undefined ? input.contracts.cards : input.contracts.land).toLowerCase();
  if (!ADDRESS.test(contract)) throw new AppError('MINTING_UNAVAILABLE', `no collection contract is configured for chain ${input.chainId}`);

  const players = await tx.$queryRaw<Array<{ is_guest: boolean }>>`SELECT is_guest FROM players WHERE id = ${input.playerId}::uuid`;
  const player = players[0];
  if (!player) throw new AppError('NOT_FOUND', 'no such player');
  if (player.is_guest) throw new AppError('GUEST_NOT_ALLOWED', 'guests cannot mint; sign in with a wallet to upgrade the account');
  // KEY SHARE: the wallet cannot be unlinked (deleted) until this request is written.
  const wallets = await tx.$queryRaw<Array<{ address: string }>>`
    SELECT address FROM wallets WHERE player_id = ${input.playerId}::uuid AND address = ${wallet} FOR KEY SHARE`;
  if (wallets.length === 0) {
    throw new AppError('WALLET_NOT_LINKED', 'mint to one of the wallets linked to your account', { walletAddress: wallet });
  }

  const tokens: Array<{ cardId: string | null; landId: string | null; tokenId: bigint }> = [];
  if (landId !== undefined) {
    const parcels = await tx.$queryRaw<Array<{ owner_id: string | null; token_id: string | null }>>`
      SELECT owner_id::text, token_id::text FROM land_parcels WHERE id = ${landId} FOR UPDATE`;
    const parcel = parcels[0];
    if (!parcel || parcel.owner_id !== input.playerId) throw new AppError('LAND_NOT_FOUND', `no parcel ${landId}`, { landId });
    const live = await tx.$queryRaw<Array<{ id: string }>>`SELECT id::text FROM mint_items WHERE land_id = ${landId} AND live`;
    if (parcel.token_id !== null || live.length > 0) {
      throw new AppError('LAND_UNAVAILABLE', `parcel ${landId} is already a token or being minted`, { landId });
    }
    tokens.push({ cardId: null, landId, tokenId: landTokenId(landId) });
  } else {
    // In id order, so concurrent requests lock cards in the same order.
    for (const cardId of cardIds) {
      const card = await requestMintInTx(tx, { playerId: input.playerId, cardId });
      tokens.push({ cardId: card.id, landId: null, tokenId: cardTokenId(card.definitionId, card.id) });
    }
  }

  const created = await tx.$queryRawUnsafe<RequestRow[]>(
    `INSERT INTO mint_requests (player_id, kind, chain_id, wallet_address) VALUES ($1::uuid, $2::mint_asset_kind, $3::int, $4)
     RETURNING ${REQUEST_COLUMNS}`,
    input.playerId,
    landId === undefined ? 'card' : 'land',
    input.chainId,
    wallet,
  );
  const request = created[0] as RequestRow;
  await tx.$executeRaw`
    INSERT INTO mint_items (request_id, position, card_id, land_id, chain_id, contract, token_id)
    SELECT ${request.id}::uuid, t.position, t.card_id, t.land_id, ${input.chainId}::int, ${contract}, t.token_id
    FROM unnest(
      ${tokens.map((_, i) => i)}::int[],
      ${tokens.map((t) => t.cardId)}::uuid[],
      ${tokens.map((t) => t.landId)}::text[],
      ${tokens.map((t) => t.tokenId.toString())}::numeric[]
    ) AS t(position, card_id, land_id, token_id)`;
  return (await loadViews(tx, [request]))[0] as MintRequestView;
}

/** {@link createMintRequestInTx} in its own transaction. */
export function createMintRequest(db: Db, input: CreateMintRequestInput): Promise<MintRequestView> {
  return db.$transaction((tx) => createMintRequestInTx(tx, input), { maxWait: 10_000, timeout: 20_000 });
}

/** One of the player's requests; another player's id answers MINT_REQUEST_NOT_FOUND exactly like a missing one. */
export async function getMintRequest(db: Db, input: { playerId: string; requestId: string }): Promise<MintRequestView> {
  const notFound = new AppError('MINT_REQUEST_NOT_FOUND', `no mint request ${input.requestId}`);
  if (!isUuid(input.requestId) || !isUuid(input.playerId)) throw notFound;
  const [view] = await getMintRequestsById(db, [input.requestId]);
  if (!view || view.playerId !== input.playerId) throw notFound;
  return view;
}

/** A page of the player's requests, newest first. */
export interface MintRequestPage {
  requests: MintRequestView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

function encodeCursor(row: { created_at: Date; id: string }): string {
  return Buffer.from(JSON.stringify([row.created_at.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2) {
      const [createdAt, id] = value as unknown[];
      if (typeof createdAt === 'string' && typeof id === 'string' && isUuid(id) && !Number.isNaN(Date.parse(createdAt))) {
        return { createdAt: new Date(createdAt).toISOString(), id };
      }
    }
  } catch {
    // fall through
  }
  throw new AppError('CURSOR_INVALID', 'not a mint request cursor');
}

/** The player's requests, newest first, `limit` (1-200) per page. */
export async function listMintRequests(
  db: Db,
  input: { playerId: string; limit: number; cursor?: string | undefined },
): Promise<MintRequestPage> {
  if (!isUuid(input.playerId)) throw new AppError('NOT_FOUND', 'no such player');
  const limit = Math.max(1, Math.min(200, Math.trunc(input.limit)));
  const after = input.cursor === undefined ? null : decodeCursor(input.cursor);
  const rows = (await db.$queryRawUnsafe<RequestRow[]>(
    `SELECT ${REQUEST_COLUMNS} FROM mint_requests
     WHERE player_id = $1::uuid AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $4::int`,
    input.playerId,
    after?.createdAt ?? null,
    after?.id ?? null,
    limit + 1,
  )) as RequestRow[];
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { requests: await loadViews(db, page), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
