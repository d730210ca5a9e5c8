/**
 * `@harvest/auth`: verify Harvest Battles access tokens anywhere. Import `createTokenVerifier` with the game-api
 * JWKS URL, issuer and audience; the issuing side lives in `@harvest/auth/signing`.
 */
export {
  ACCESS_TOKEN_ALGORITHMS,
  ACCESS_TOKEN_TTL_SECONDS,
  ACCESS_TOKEN_TYPE,
  type AccessClaims,
  type AccessGrant,
  type AccessTokenAlgorithm,
  accessClaimsSchema,
  bearerToken,
  hasRole,
  ROLES,
  type Role,
} from './claims.ts';
export { REVOKED_SESSIONS_CHANNEL, revokedSessionKey } from './revocation.ts';
export {
  createJwksCache,
  createTokenVerifier,
  type JwksCache,
  type JwksCacheOptions,
  type JwksSource,
  type TokenVerifier,
  type TokenVerifierOptions,
} from './verifier.ts';
