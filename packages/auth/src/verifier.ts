/**
 * The verifier every process imports: it checks an access token against the issuer's JWKS without calling the
 * issuer per request. The key set is fetched once, cached for `maxAgeMs`, and fetched again early when a token
 * names a key id the cache does not hold (a key rotation), but at most once per `cooldownMs`, so a stream of
 * tokens with made-up key ids cannot turn into a stream of JWKS requests.
 *
 * A client sends the same access token with every request for up to 15 minutes, so the verifier remembers the
 * tokens it verified (a bounded LRU keyed by the exact token text): a repeat skips the signature check and the claim
 * parsing, which cost more than the rest of a cheap request. What can change for a verified token is still checked on
 * every call: its expiry (a remembered token is refused once `exp` passes, as a fresh one would be) and its key (the
 * key must still be in the current key set, so a key withdrawn from the JWKS stops its tokens as soon as the set is
 * fetched again, as without the cache). Refused tokens are never remembered.
 */
import { AppError } from '@harvest/shared/errors';
import { type CryptoKey, decodeProtectedHeader, errors, importJWK, type JSONWebKeySet, type JWK, jwtVerify } from 'jose';
import { ACCESS_TOKEN_ALGORITHMS, ACCESS_TOKEN_TYPE, type AccessClaims, type AccessTokenAlgorithm, accessClaimsSchema } from './claims.ts';

/** Where the key set comes from: the issuer's `/.well-known/jwks.json`, or a loader (the issuer itself reads its store). */
export type JwksSource = { url: string | URL; fetch?: typeof fetch; timeoutMs?: number } | { load: () => Promise<JSONWebKeySet> };

export interface JwksCacheOptions {
  /** Milliseconds a fetched key set is used before it is fetched again (default 10 minutes). */
  maxAgeMs?: number;
  /** Minimum milliseconds between two fetches triggered by an unknown key id (default 30 s). */
  cooldownMs?: number;
  /** The clock, in epoch milliseconds. */
  now?: () => number;
}

/** Resolves a key id to a public key, fetching the key set when needed. */
export interface JwksCache {
  /** The public key for `kid` usable with `alg`; throws TOKEN_INVALID (reason `unknown_key`) when there is none. */
  getKey(kid: string, alg: AccessTokenAlgorithm): Promise<CryptoKey | Uint8Array>;
  /** Drops the cached set, so the next lookup fetches. */
  invalidate(): void;
  /** How many times the set was fetched (for tests and metrics). */
  readonly fetches: number;
}

type KeyLike = CryptoKey | Uint8Array;

const jwksShape = (value: unknown): value is JSONWebKeySet =>
  typeof value === 'object' && value !== null && Array.isArray((value as { keys?: unknown }).keys);

function loaderOf(source: JwksSource): () => Promise<JSONWebKeySet> {
  if ('load' in source) return source.load;
  const doFetch = source.fetch ?? fetch;
  const timeoutMs = source.timeoutMs ?? 5000;
  return async () => {
    const response = await doFetch(String(source.url), { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`JWKS answered HTTP ${response.status}`);
    const body: unknown = await response.json();
    if (!jwksShape(body)) throw new Error('JWKS response has no "keys" array');
    return body;
  };
}

/** A cached key set with refresh on unknown key ids (see the module comment). */
export function createJwksCache(source: JwksSource, options: JwksCacheOptions = {}): JwksCache {
  const load = loaderOf(source);
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const now = options.now ?? Date.now;
  let current: { keys: Map<string, JWK>; imported: Map<string, Promise<KeyLike>>; fetchedAt: number } | undefined;
  let inflight: Promise<void> | undefined;
  let fetches = 0;
  let lastAttempt = Number.NEGATIVE_INFINITY;

  const refresh = (): Promise<void> => {
    inflight ??= (async () => {
      lastAttempt = now();
      fetches++;
      try {
        const set = await load();
        const keys = new Map<string, JWK>();
        for (const jwk of set.keys) if (typeof jwk.kid === 'string') keys.set(jwk.kid, jwk);
        current = { keys, imported: new Map(), fetchedAt: now() };
      } catch (error) {
        // A stale set keeps verifying while the issuer is unreachable; with no set at all nothing can be verified.
        if (!current) throw new AppError('SERVICE_UNAVAILABLE', 'the token issuer key set could not be fetched', { cause: String(error) });
      }
    })().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  return {
    get fetches() {
      return fetches;
    },
    invalidate() {
      current = undefined;
    },
    async getKey(kid, alg) {
      if (!current || now() - current.fetchedAt > maxAgeMs) await refresh();
      if (!current?.keys.has(kid) && now() - lastAttempt >= cooldownMs) await refresh();
      const set = current;
      const jwk = set?.keys.get(kid);
      if (!set || !jwk) throw new AppError('TOKEN_INVALID', 'the token is signed by an unknown key', { reason: 'unknown_key' });
      // A key published for one algorithm is never used with another (no algorithm confusion through the header).
      if (jwk.alg !== undefined && jwk.alg !== alg) {
        throw new AppError('TOKEN_INVALID', 'the token algorithm does not match its key', { reason: 'algorithm' });
      }
      let key = set.imported.get(kid);
      if (!key) {
        key = importJWK(jwk, alg) as Promise<KeyLike>;
        set.imported.set(kid, key);
      }
      try {
        return await key;
      } catch {
        set.imported.delete(kid);
        throw new AppError('TOKEN_INVALID', 'the token algorithm does not match its key', { reason: 'algorithm' });
      }
    },
  };
}

export interface TokenVerifierOptions extends JwksCacheOptions {
  /** Where the issuer publishes its keys. */
  jwks: JwksSource | JwksCache;
  /** The expected `iss`. */
  issuer: string;
  /** The expected `aud` (this process's audience). */
  audience: string;
  /** Seconds of clock skew tolerated on `exp`, `iat` and `nbf` (default 5). */
  clockToleranceSeconds?: number;
  /** How many verified tokens to remember (least recently used go first; default 10,000; 0: none). */
  cacheSize?: number;
}

/** Verifies access tokens. */
export interface TokenVerifier {
  /**
   * The claims of a valid token. Throws AppError TOKEN_EXPIRED for an expired token and TOKEN_INVALID (with
   * `details.reason`) for anything else: malformed, `alg: none` or another refused algorithm, no or unknown `kid`,
   * bad signature, wrong issuer, audience or type, missing claims.
   */
  verify(token: string): Promise<AccessClaims>;
  /** The key cache, shared with other verifiers of the same issuer when wanted. */
  readonly keys: JwksCache;
  /** How many verified tokens are remembered now (for tests and metrics). */
  readonly cachedTokens: number;
}

function isCache(value: JwksSource | JwksCache): value is JwksCache {
  return typeof (value as JwksCache).getKey === 'function';
}

const invalid = (reason: string, message: string) => new AppError('TOKEN_INVALID', message, { reason });

/** A verified token as remembered: its claims and the key that signed it. */
interface VerifiedToken {
  claims: AccessClaims;
  kid: string;
  alg: AccessTokenAlgorithm;
}

/** A verifier for one issuer and audience. */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const keys = isCache(options.jwks) ? options.jwks : createJwksCache(options.jwks, options);
  const now = options.now ?? Date.now;
  const clockTolerance = options.clockToleranceSeconds ?? 5;
  const algorithms: readonly string[] = ACCESS_TOKEN_ALGORITHMS;
  const cacheSize = options.cacheSize ?? 10_000;
  // Map iteration order is insertion order: re-inserting on a hit keeps the least recently used first.
  const verified = new Map<string, VerifiedToken>();

  // jose's rule: expired when `exp` <= now - tolerance (whole seconds).
  const expired = (claims: AccessClaims) => claims.exp <= Math.floor(now() / 1000) - clockTolerance;

  const verifyFully = async (token: string): Promise<VerifiedToken> => {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw invalid('malformed', 'the token is not a JWS');
    }
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
      throw invalid('algorithm', `tokens signed with ${String(header.alg)} are refused`);
    }
    if (typeof header.kid !== 'string' || header.kid.length === 0) throw invalid('missing_kid', 'the token names no key');
    const alg = header.alg as AccessTokenAlgorithm;
    const key = await keys.getKey(header.kid, alg);
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [...ACCESS_TOKEN_ALGORITHMS],
        issuer: options.issuer,
        audience: options.audience,
        typ: ACCESS_TOKEN_TYPE,
        clockTolerance,
        currentDate: new Date(now()),
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new AppError('TOKEN_EXPIRED', 'the access token has expired; refresh it');
      if (error instanceof errors.JWSSignatureVerificationFailed) throw invalid('signature', 'the token signature does not verify');
      if (error instanceof errors.JWTClaimValidationFailed) throw invalid('claims', `the token ${error.claim} claim is not accepted`);
      throw invalid('malformed', 'the token could not be verified');
    }
    const claims = accessClaimsSchema.safeParse(payload);
    if (!claims.success) throw invalid('claims', 'the token claims are not an access token');
    // Frozen: the same object answers every later request with this token, so no caller may change it.
    const data = claims.data;
    Object.freeze(data.roles);
    if (Array.isArray(data.aud)) Object.freeze(data.aud);
    return { claims: Object.freeze(data), kid: header.kid, alg };
  };

  return {
    keys,
    get cachedTokens() {
      return verified.size;
    },
    async verify(token) {
      const known = verified.get(token);
      if (known) {
        verified.delete(token);
        if (expired(known.claims)) throw new AppError('TOKEN_EXPIRED', 'the access token has expired; refresh it');
        // Still a key of the current set (refreshed when the set is older than maxAgeMs): TOKEN_INVALID otherwise.
        await keys.getKey(known.kid, known.alg);
        verified.set(token, known);
        return known.claims;
      }
      const fresh = await verifyFully(token);
      if (cacheSize > 0) {
        verified.set(token, fresh);
        if (verified.size > cacheSize) verified.delete(verified.keys().next().value as string);
      }
      return fresh.claims;
    },
  };
}
