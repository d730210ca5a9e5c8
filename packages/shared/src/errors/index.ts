/**
 * One error type for every part of the backend. A code is stable (clients and tests match on it) and belongs to a
 * category that fixes how each transport maps it (HTTP status, room rejection) and whether a retry can help.
 */

/** How an error is handled: by transports (status codes) and by retry loops (only `retryable` is retried). */
export type ErrorCategory =
  | 'validation'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'retryable'
  | 'internal';

/** Every stable error code with its category. Add codes here; never rename one that clients may have seen. */
export const ERROR_CODES = {
  VALIDATION_FAILED: 'validation',
  BAD_REQUEST: 'validation',
  IDEMPOTENCY_KEY_REUSED: 'validation',
  UNAUTHENTICATED: 'unauthenticated',
  TOKEN_INVALID: 'unauthenticated',
  TOKEN_EXPIRED: 'unauthenticated',
  FORBIDDEN: 'forbidden',
  GUEST_NOT_ALLOWED: 'forbidden',
  NOT_FOUND: 'not_found',
  CARD_NOT_FOUND: 'not_found',
  CARD_NOT_OWNED: 'not_found',
  CONFLICT: 'conflict',
  ILLEGAL_CARD_TRANSITION: 'conflict',
  INSUFFICIENT_GOLD: 'conflict',
  INSUFFICIENT_RESOURCES: 'conflict',
  RATE_LIMITED: 'rate_limited',
  // Identity (game-api auth): each SIWE check has its own code so clients and tests can tell them apart.
  SIWE_MESSAGE_INVALID: 'validation',
  SIWE_DOMAIN_NOT_ALLOWED: 'unauthenticated',
  SIWE_URI_NOT_ALLOWED: 'unauthenticated',
  SIWE_CHAIN_NOT_ALLOWED: 'unauthenticated',
  SIWE_EXPIRED: 'unauthenticated',
  SIWE_NOT_YET_VALID: 'unauthenticated',
  SIWE_SIGNATURE_INVALID: 'unauthenticated',
  SIWE_NONCE_UNKNOWN: 'unauthenticated',
  SIWE_NONCE_USED: 'unauthenticated',
  SIWE_NONCE_SESSION_MISMATCH: 'unauthenticated',
  REFRESH_TOKEN_INVALID: 'unauthenticated',
  REFRESH_TOKEN_REUSED: 'unauthenticated',
  SESSION_REVOKED: 'unauthenticated',
  GUEST_CREDENTIALS_INVALID: 'unauthenticated',
  WALLET_ALREADY_LINKED: 'conflict',
  WALLET_HOLDS_ASSETS: 'conflict',
  WALLET_LAST_CREDENTIAL: 'conflict',
  DISPLAY_NAME_TAKEN: 'conflict',
  AVATAR_UNKNOWN: 'validation',
  // Event bus: a producer appended an event the catalogue rejects (a bug, never the caller's input); the CLI was
  // asked about a dead letter that does not exist.
  EVENT_INVALID: 'internal',
  DEAD_LETTER_NOT_FOUND: 'not_found',
  // Economy (inventory, ledger, farm, shop, crafting, decks; game-api and packages/db services).
  IDEMPOTENCY_KEY_REQUIRED: 'validation',
  IDEMPOTENCY_KEY_IN_PROGRESS: 'conflict',
  CURSOR_INVALID: 'validation',
  BALANCE_LIMIT: 'conflict',
  CARD_UNAVAILABLE: 'conflict',
  RECIPE_NOT_FOUND: 'not_found',
  RECIPE_LOCKED: 'forbidden',
  RECIPE_NO_OUTPUT: 'conflict',
  CRAFT_INPUT_MISMATCH: 'validation',
  PLOT_NOT_FOUND: 'not_found',
  PLOT_OCCUPIED: 'conflict',
  PLOT_EMPTY: 'conflict',
  CROP_NOT_GROWING: 'conflict',
  CROP_NOT_RIPE: 'conflict',
  ALREADY_WATERED: 'conflict',
  SEED_UNKNOWN: 'validation',
  ITEM_NOT_FOR_SALE: 'validation',
  ITEM_NOT_SELLABLE: 'validation',
  DECK_NOT_FOUND: 'not_found',
  DECK_LIMIT: 'conflict',
  GAME_DATA_UNAVAILABLE: 'retryable',
  // Game data (publish, rollback, the active version): publishing the head's content again, content that does not
  // validate, an unknown version, nothing published yet, a stored version that no longer verifies (a bug or tampering).
  GAMEDATA_NO_CHANGES: 'conflict',
  GAMEDATA_INVALID: 'validation',
  GAMEDATA_VERSION_NOT_FOUND: 'not_found',
  GAMEDATA_NOT_PUBLISHED: 'not_found',
  GAMEDATA_CORRUPT: 'internal',
  // Minting (game-api mint routes, packages/db mints, the minter; metadata routes).
  WALLET_NOT_LINKED: 'validation',
  MINT_REQUEST_NOT_FOUND: 'not_found',
  LAND_NOT_FOUND: 'not_found',
  LAND_UNAVAILABLE: 'conflict',
  TOKEN_NOT_FOUND: 'not_found',
  MINT_BATCH_NOT_FOUND: 'not_found',
  MINT_BATCH_NOT_DEAD: 'conflict',
  MINTING_UNAVAILABLE: 'retryable',
  // Matches, matchmaking and the realtime rooms (instance-server, packages/db matches and social).
  DECK_ILLEGAL: 'validation',
  GUEST_RANKED_NOT_ALLOWED: 'forbidden',
  ALREADY_QUEUED: 'conflict',
  ALREADY_IN_MATCH: 'conflict',
  NOT_QUEUED: 'conflict',
  CHALLENGE_NOT_FOUND: 'not_found',
  MATCH_NOT_FOUND: 'not_found',
  MATCH_NOT_OVER: 'conflict',
  NOT_A_PLAYER: 'forbidden',
  FRIEND_REQUEST_NOT_FOUND: 'not_found',
  ALREADY_FRIENDS: 'conflict',
  FRIEND_LIMIT: 'conflict',
  CHAT_BLOCKED: 'validation',
  FARM_NOT_VISIBLE: 'not_found',
  SERVICE_UNAVAILABLE: 'retryable',
  // Chain indexer (apps/indexer, packages/db chain): a writer that lost its lock, a reorg below the finalized block,
  // RPC endpoints that fail, answer too much for one request, or contradict what is already known.
  INDEXER_FENCED: 'conflict',
  CHAIN_REORG_TOO_DEEP: 'internal',
  CHAIN_RPC_UNAVAILABLE: 'retryable',
  CHAIN_RPC_RANGE_TOO_LARGE: 'retryable',
  CHAIN_RPC_CONTRADICTION: 'retryable',
  // Marketplace (apps/marketplace, packages/db market): each refusal of a signed order has its own code.
  MARKET_WRONG_CHAIN: 'validation',
  MARKET_COLLECTION_UNSUPPORTED: 'validation',
  MARKET_CURRENCY_UNSUPPORTED: 'validation',
  MARKET_PRICE_INVALID: 'validation',
  MARKET_ORDER_EXPIRED: 'validation',
  MARKET_ORDER_NOT_STARTED: 'validation',
  MARKET_ORDER_WINDOW_TOO_LONG: 'validation',
  MARKET_SIGNATURE_INVALID: 'validation',
  MARKET_COUNTER_STALE: 'conflict',
  MARKET_ORDER_CLOSED: 'conflict',
  MARKET_NOT_OWNER: 'conflict',
  MARKET_NOT_APPROVED: 'conflict',
  MARKET_CARD_LOCKED: 'conflict',
  MARKET_TOKEN_UNAVAILABLE: 'conflict',
  MARKET_ALREADY_LISTED: 'conflict',
  LISTING_NOT_FOUND: 'not_found',
  INTERNAL: 'internal',
} as const satisfies Record<string, ErrorCategory>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** HTTP status for each category; 5xx bodies never carry internals. */
export const HTTP_STATUS: Record<ErrorCategory, number> = {
  validation: 422,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  retryable: 503,
  internal: 500,
};

/** A typed, expected failure. `details` must be safe to show to the caller. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  /** The category that decides status code and retry. */
  get category(): ErrorCategory {
    return ERROR_CODES[this.code];
  }

  /** Whether retrying the same call may succeed. */
  get retryable(): boolean {
    return this.category === 'retryable';
  }
}

/** Narrows an unknown thrown value to an AppError, optionally of one code. */
export function isAppError(value: unknown, code?: ErrorCode): value is AppError {
  return value instanceof AppError && (code === undefined || value.code === code);
}

/** The JSON body of an error response: the same shape over HTTP and in room rejections. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/** Turns any thrown value into a status and a body that reveals nothing internal for unexpected errors. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof AppError) {
    return {
      status: HTTP_STATUS[error.category],
      body: { error: { code: error.code, message: error.message, ...(error.details ? { details: { ...error.details } } : {}) } },
    };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } };
}

/**
 * What each code means to a client, for the generated list in docs/errors.md (`node scripts/run.mjs exec node
 * scripts/gen-error-catalogue.ts`; a test fails when the file is stale). Adding a code to {@link ERROR_CODES}
 * without a line here does not type-check.
 */
export const ERROR_DESCRIPTIONS = {
  VALIDATION_FAILED: 'The request does not match the route schema; `details.issues` lists each problem (where, path, message).',
  BAD_REQUEST:
    'The HTTP request itself is malformed: unparsable JSON (400), body too large (413), unsupported content type (415); the status is the one named.',
  IDEMPOTENCY_KEY_REUSED: 'This Idempotency-Key was already used with a different request body; use a new key for a new request.',
  UNAUTHENTICATED: 'No usable `Authorization: Bearer <access token>` header.',
  TOKEN_INVALID: 'The access token is malformed, has a bad signature, an unknown key id or the wrong issuer/audience.',
  TOKEN_EXPIRED: 'The access token expired; refresh it.',
  FORBIDDEN: 'Authenticated, but the account lacks the role this needs.',
  GUEST_NOT_ALLOWED: 'Guests cannot do this; sign in with a wallet to upgrade the account.',
  NOT_FOUND: 'No such route or resource (or it belongs to another player).',
  CARD_NOT_FOUND: "No such card among yours (another player's card answers the same).",
  CARD_NOT_OWNED: 'The card is not yours.',
  CONFLICT: 'The request conflicts with the current state.',
  ILLEGAL_CARD_TRANSITION: "The card state machine refuses this move from the card's current state (e.g. minting a card in a match).",
  INSUFFICIENT_GOLD: 'Not enough gold; `details` gives what is needed and what you have.',
  INSUFFICIENT_RESOURCES: 'Not enough of an item; `details` names the item, what is needed and what you have.',
  RATE_LIMITED: 'Too many requests; retry after the seconds in the Retry-After header.',
  SIWE_MESSAGE_INVALID: 'The SIWE message does not parse as EIP-4361.',
  SIWE_DOMAIN_NOT_ALLOWED: 'The SIWE message names a domain this server does not accept.',
  SIWE_URI_NOT_ALLOWED: 'The SIWE message names a URI this server does not accept.',
  SIWE_CHAIN_NOT_ALLOWED: 'The SIWE message names a chain this server does not accept.',
  SIWE_EXPIRED: 'The SIWE message is past its expiration time.',
  SIWE_NOT_YET_VALID: 'The SIWE message is not valid yet (notBefore).',
  SIWE_SIGNATURE_INVALID: 'The signature does not prove the address of the SIWE message.',
  SIWE_NONCE_UNKNOWN: 'The SIWE nonce was never issued or has expired.',
  SIWE_NONCE_USED: 'The SIWE nonce was already used.',
  SIWE_NONCE_SESSION_MISMATCH: 'The SIWE nonce was issued to another nonce session.',
  REFRESH_TOKEN_INVALID: 'Unknown, expired or revoked refresh token.',
  REFRESH_TOKEN_REUSED: 'A spent refresh token was presented again; the whole session was revoked.',
  SESSION_REVOKED: 'The session of this access token was signed out.',
  GUEST_CREDENTIALS_INVALID: 'Unknown guest device or wrong device secret.',
  WALLET_ALREADY_LINKED: 'The wallet belongs to another account.',
  WALLET_HOLDS_ASSETS: 'The account holds on-chain assets; move them before unlinking a wallet.',
  WALLET_LAST_CREDENTIAL: 'The last wallet of an account cannot be unlinked.',
  DISPLAY_NAME_TAKEN: 'The display name is taken (names are unique regardless of case).',
  AVATAR_UNKNOWN: 'No such avatar in the game data.',
  EVENT_INVALID: 'A producer appended an event the catalogue rejects (a server bug).',
  DEAD_LETTER_NOT_FOUND: 'No such dead-lettered event.',
  IDEMPOTENCY_KEY_REQUIRED: 'This route needs an `Idempotency-Key` header (1-255 visible ASCII characters, e.g. a UUID).',
  IDEMPOTENCY_KEY_IN_PROGRESS: 'A request with this Idempotency-Key is still being processed; retry shortly.',
  CURSOR_INVALID: 'The pagination cursor is not one this server issued for this list.',
  BALANCE_LIMIT: 'The change would take a balance past the largest amount an account can hold.',
  CARD_UNAVAILABLE: 'The card is yours but not usable now (in a match, being minted, on chain or consumed).',
  RECIPE_NOT_FOUND: 'No such recipe in the published game data.',
  RECIPE_LOCKED: 'The recipe is exclusive to holders of land with its perk.',
  RECIPE_NO_OUTPUT: 'The recipe has no card it can produce in the published game data.',
  CRAFT_INPUT_MISMATCH: "The offered cards do not match the recipe's card inputs (too few, wrong kind or not needed).",
  PLOT_NOT_FOUND: 'No such plot on your farm (your starter plots and the plots of land you hold).',
  PLOT_OCCUPIED: 'The plot already has a crop; harvest or clear it first.',
  PLOT_EMPTY: 'The plot has no crop.',
  CROP_NOT_GROWING: 'The crop is ripe or withered: it cannot be watered any more.',
  CROP_NOT_RIPE: 'The crop is still growing; `details.ripeAt` says when it ripens.',
  ALREADY_WATERED: 'The crop was already watered during its current growth stage.',
  SEED_UNKNOWN: 'The item is not a seed of any crop in the published game data.',
  ITEM_NOT_FOR_SALE: 'The shop does not sell this item.',
  ITEM_NOT_SELLABLE: 'The shop does not buy this item.',
  DECK_NOT_FOUND: "No such deck among yours (another player's deck answers the same).",
  DECK_LIMIT: 'You hold the largest number of decks allowed; delete one first.',
  GAME_DATA_UNAVAILABLE: 'No game data version is published yet; retry later.',
  GAMEDATA_NO_CHANGES: "The content to publish is the same as the active version's.",
  GAMEDATA_INVALID: 'The game data does not validate; `details` lists the diagnostics (file, line, path).',
  GAMEDATA_VERSION_NOT_FOUND: 'No such published game-data version.',
  GAMEDATA_NOT_PUBLISHED: 'No game-data version has been published yet.',
  GAMEDATA_CORRUPT: 'A stored game-data version no longer verifies against its content hash (a bug or tampering).',
  WALLET_NOT_LINKED: 'The target wallet is not one of the wallets linked to your account; link it with a SIWE sign-in first.',
  MINT_REQUEST_NOT_FOUND: "No such mint request among yours (another player's request answers the same).",
  LAND_NOT_FOUND: "No such land parcel among yours (another player's parcel answers the same).",
  LAND_UNAVAILABLE: 'The parcel is already a token or is being minted.',
  TOKEN_NOT_FOUND: 'No card or parcel has this token id (metadata routes).',
  MINT_BATCH_NOT_FOUND: 'No such mint batch (minter admin commands).',
  MINT_BATCH_NOT_DEAD: 'The batch is not a dead letter, so it cannot be retried or failed by hand.',
  MINTING_UNAVAILABLE: 'Minting is not available right now (no contract for this chain, or the minter queue is unreachable); retry later.',
  DECK_ILLEGAL:
    'The deck cannot be brought to a match now; `details.problems` lists why (size, copies, cards unavailable) and `details.playerId` whose deck it is.',
  GUEST_RANKED_NOT_ALLOWED: 'Guests play casual and private matches only; sign in with a wallet for ranked.',
  ALREADY_QUEUED: 'You are already in a matchmaking queue; leave it first.',
  ALREADY_IN_MATCH: 'You are in a match that has not ended; rejoin it (the hub sends the seat) or finish it first.',
  NOT_QUEUED: 'You are not in a matchmaking queue.',
  CHALLENGE_NOT_FOUND: 'No open private challenge with this code (it expired, was taken, or is your own).',
  MATCH_NOT_FOUND: 'No such match.',
  MATCH_NOT_OVER: 'The match has not ended, so it cannot be settled yet.',
  NOT_A_PLAYER: 'You hold no seat in this match (or your seat is already connected).',
  FRIEND_REQUEST_NOT_FOUND: 'No pending friend request from this player (or no friendship to remove).',
  ALREADY_FRIENDS: 'You are already friends, or a request between you is pending.',
  FRIEND_LIMIT: 'You have the largest number of friends and requests allowed.',
  CHAT_BLOCKED: 'The chat message is empty, too long, or refused by the word filter.',
  FARM_NOT_VISIBLE: "No such farm among those you may visit (the owner's and their friends' only).",
  SERVICE_UNAVAILABLE: 'A dependency is unavailable or busy; retry later.',
  INDEXER_FENCED: 'Another indexer process took over this chain (its writer epoch is newer); this one must stop writing.',
  CHAIN_REORG_TOO_DEEP:
    'The chain reorganised below the block the indexer had treated as final (deeper than the confirmation depth); an operator must decide.',
  CHAIN_RPC_UNAVAILABLE: 'Every RPC endpoint of the chain failed or timed out; retried with backoff.',
  CHAIN_RPC_RANGE_TOO_LARGE: 'The RPC endpoint refused an eth_getLogs range (too many results or too slow); the range is split.',
  CHAIN_RPC_CONTRADICTION:
    'An RPC answer contradicts itself or what the indexer already knows (e.g. logs of a block hash that is not the one asked for); refused and asked again.',
  MARKET_WRONG_CHAIN:
    "The order (or the request) names another chain than the one this marketplace settles on; switch the wallet's network.",
  MARKET_COLLECTION_UNSUPPORTED: 'The order is for a token contract this marketplace does not trade (only the Harvest cards and land).',
  MARKET_CURRENCY_UNSUPPORTED:
    'The order asks for a currency this marketplace does not accept (the native currency, or an ERC-20 it lists).',
  MARKET_PRICE_INVALID: 'The price is zero, not a whole number of the smallest unit, or above the largest uint256.',
  MARKET_ORDER_EXPIRED: 'The order has ended (or ends within the next minute); sign a new one.',
  MARKET_ORDER_NOT_STARTED: 'The order starts in the future; the marketplace lists only orders that can be filled now.',
  MARKET_ORDER_WINDOW_TOO_LONG:
    'The order ends further ahead than the marketplace allows (`details.maxSeconds`), or its start is after its end.',
  MARKET_SIGNATURE_INVALID:
    "The signature is not the maker's EIP-712 signature of this order on this chain and marketplace (ECDSA or ERC-1271).",
  MARKET_COUNTER_STALE:
    "The order's counter is not the maker's current counter on chain (`incrementCounter` voided it); sign with `details.current`.",
  MARKET_ORDER_CLOSED: "The maker's salt of this order was already used on chain: the order was filled or cancelled.",
  MARKET_NOT_OWNER: 'The maker does not hold the token (as the chain indexer sees it).',
  MARKET_NOT_APPROVED: 'The marketplace contract is not approved to move the token (setApprovalForAll or approve first).',
  MARKET_CARD_LOCKED: 'The game card of this token is locked in a match; list it after the match.',
  MARKET_TOKEN_UNAVAILABLE:
    'The game does not hold this token as tradeable (being minted, burned or consumed); `details.state` says which.',
  MARKET_ALREADY_LISTED: 'The maker already has a live listing of this token; cancel it first.',
  LISTING_NOT_FOUND: 'No such listing (or it is not yours to cancel).',
  INTERNAL: 'An unexpected server error; the body never carries details.',
} as const satisfies Record<ErrorCode, string>;

/** The error codes as a Markdown document (docs/errors.md is generated from it and checked by a test). */
export function renderErrorCatalogue(): string {
  const rows = (Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => {
    const category = ERROR_CODES[code];
    return `| \`${code}\` | ${HTTP_STATUS[category]} | ${category} | ${ERROR_DESCRIPTIONS[code]} |`;
  });
  return [
    '# Error codes',
    '',
    'Generated from `packages/shared/src/errors/index.ts` by `node scripts/run.mjs exec node scripts/gen-error-catalogue.ts`; do not edit by hand.',
    'Every error answers `{ "error": { "code", "message", "details"? } }`. Codes are stable: clients match on the code, never on the',
    'message. The category fixes the HTTP status and whether a retry can help (only `retryable`, and `rate_limited` after Retry-After).',
    '',
    '| code | HTTP status | category | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
