/** The marketplace API as the web front end uses it. Errors carry the server's stable code. */

export interface MarketConfig {
  chainId: number;
  chainName: string;
  contracts: { marketplace: `0x${string}`; cards: `0x${string}`; land: `0x${string}` };
  domain: { name: string; version: string; chainId: number; verifyingContract: `0x${string}` };
  orderTypes: Record<string, Array<{ name: string; type: string }>>;
  cancelTypes: Record<string, Array<{ name: string; type: string }>>;
  currencies: string[];
  maxOrderSeconds: number;
}

export interface OrderFields {
  maker: string;
  collection: string;
  tokenId: string;
  price: string;
  currency: string;
  startTime: string;
  endTime: string;
  salt: string;
  counter: string;
}

export interface Listing {
  orderHash: string;
  asset: 'card' | 'land';
  collection: string;
  tokenId: string;
  name: string;
  rarity: string | null;
  element: string | null;
  definitionId: string | null;
  biome: string | null;
  maker: string;
  price: string;
  currency: string;
  endTime: string;
  createdAt: string;
  imageUrl: string;
}

export interface ListingDetail extends Listing {
  salt: string;
  counter: string;
  signature: `0x${string}`;
  status: 'active' | 'cancelled' | 'filled' | 'invalid' | 'expired';
  closedReason: string | null;
  blockers: string[];
  order: OrderFields;
}

export interface HistoryEntry {
  kind: 'mint' | 'transfer' | 'burn' | 'sale';
  from: string | null;
  to: string | null;
  price: string | null;
  orderHash: string | null;
  txHash: string;
  blockNumber: string;
}

export interface TokenDetail {
  asset: 'card' | 'land';
  collection: string;
  tokenId: string;
  name: string;
  description: string;
  imageUrl: string;
  attributes: Array<{ trait_type: string; value: string | number; display_type?: string }>;
  owner: { address: string; playerId: string | null; displayName: string | null } | null;
  provenance: { origin: string | null; craftedBy: string | null; recipe: string | null; craftedAt: string | null };
  history: HistoryEntry[];
  sales: HistoryEntry[];
  listing: ListingDetail | null;
}

export interface Activity {
  id: string;
  kind: 'listed' | 'cancelled' | 'sale' | 'invalidated';
  orderHash: string | null;
  collection: string;
  tokenId: string;
  name: string | null;
  maker: string | null;
  taker: string | null;
  price: string | null;
  detail: string | null;
  txHash: string | null;
  at: string;
}

export interface MyItems {
  playerId: string;
  wallets: string[];
  items: Array<{
    asset: 'card' | 'land';
    collection: string;
    tokenId: string;
    owner: string;
    name: string;
    state: string | null;
    imageUrl: string;
  }>;
  listings: ListingDetail[];
}

/** A refusal from the API (or the network), with the server's code. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: string, message: string, status: number, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown, token?: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError('NETWORK', 'The marketplace cannot be reached. Check your connection and try again.', 0);
  }
  const payload = (await response.json().catch(() => null)) as {
    error?: { code: string; message: string; details?: Record<string, unknown> };
  } | null;
  if (!response.ok) {
    const error = payload?.error;
    throw new ApiError(error?.code ?? 'INTERNAL', error?.message ?? `HTTP ${response.status}`, response.status, error?.details);
  }
  return payload as T;
}

export const api = {
  config: () => request<MarketConfig>('GET', '/api/config'),
  search: (query: URLSearchParams) => request<{ items: Listing[]; nextCursor: string | null }>('GET', `/api/listings?${query}`),
  listing: (orderHash: string) => request<ListingDetail>('GET', `/api/listings/${orderHash}`),
  token: (collection: string, tokenId: string) => request<TokenDetail>('GET', `/api/tokens/${collection}/${tokenId}`),
  activity: (query: URLSearchParams) => request<{ items: Activity[]; nextCursor: string | null }>('GET', `/api/activity?${query}`),
  createListing: (body: { chainId: number; order: OrderFields; signature: string }) =>
    request<ListingDetail>('POST', '/api/listings', body),
  cancelListing: (orderHash: string, signature: string) =>
    request<ListingDetail>('POST', `/api/listings/${orderHash}/cancel`, { signature }),
  nonce: () => request<{ nonce: string; nonceSession: string }>('POST', '/api/auth/siwe/nonce'),
  signIn: (body: { message: string; signature: string; nonceSession: string }) =>
    request<{ accessToken: string; accessTokenExpiresAt: string; player: { id: string } }>('POST', '/api/auth/siwe/verify', body),
  me: (token: string) => request<MyItems>('GET', '/api/me', undefined, token),
};

/** A plain sentence for an error code (what happened and what to do). */
export function explain(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error) {
    const code = String((error as { code: unknown }).code);
    const messages: Record<string, string> = {
      '4001': 'You declined the request in your wallet.',
      NETWORK: 'The marketplace cannot be reached. Check your connection and try again.',
      MARKET_NOT_APPROVED: 'The marketplace is not approved to move this item yet. Approve it in your wallet and try again.',
      MARKET_NOT_OWNER: 'This wallet does not hold the item (the marketplace may not have seen a recent transfer yet).',
      MARKET_CARD_LOCKED: 'This card is in a match right now. List it after the match.',
      MARKET_TOKEN_UNAVAILABLE: 'This item cannot be traded right now (it may still be being minted).',
      MARKET_ALREADY_LISTED: 'You already have a live listing for this item. Cancel it first.',
      MARKET_SIGNATURE_INVALID: 'The signature did not match. Make sure the right account is selected in your wallet.',
      MARKET_WRONG_CHAIN: 'Your wallet is on another network. Switch network and try again.',
      MARKET_COUNTER_STALE: 'Your older listings were voided on chain. Try again to sign a fresh one.',
      MARKET_ORDER_CLOSED: 'That listing was already bought or cancelled.',
      MARKET_ORDER_EXPIRED: 'The listing would end too soon. Choose a longer duration.',
      MARKET_ORDER_WINDOW_TOO_LONG: 'The listing would last too long. Choose a shorter duration.',
      MARKET_PRICE_INVALID: 'Enter a price above zero.',
      LISTING_NOT_FOUND: 'That listing no longer exists.',
      TOKEN_NOT_FOUND: 'This item is not known to the marketplace.',
      RATE_LIMITED: 'Too many requests. Wait a minute and try again.',
      TOKEN_EXPIRED: 'Your sign-in expired. Sign in again.',
      TOKEN_INVALID: 'Your sign-in is no longer valid. Sign in again.',
      SERVICE_UNAVAILABLE: 'A service is busy. Try again in a moment.',
      CHAIN_RPC_UNAVAILABLE: 'The chain is not answering. Try again in a moment.',
    };
    if (messages[code]) return messages[code];
    if ('message' in error && typeof (error as { message: unknown }).message === 'string') return (error as { message: string }).message;
  }
  return error instanceof Error ? error.message : 'Something went wrong.';
}
