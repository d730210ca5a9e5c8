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
  // Game data (publish, rollback, the active version): publishing the head's content again, content that does not
  // validate, an unknown version, nothing published yet, a stored version that no longer verifies (a bug or tampering).
  GAMEDATA_NO_CHANGES: 'conflict',
  GAMEDATA_INVALID: 'validation',
  GAMEDATA_VERSION_NOT_FOUND: 'not_found',
  GAMEDATA_NOT_PUBLISHED: 'not_found',
  GAMEDATA_CORRUPT: 'internal',
  SERVICE_UNAVAILABLE: 'retryable',
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
