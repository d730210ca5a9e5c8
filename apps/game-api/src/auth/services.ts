/** Wires the identity pieces from the database, Redis, the chain clients and the configuration. */
import { createJwksCache, createTokenVerifier, type TokenVerifier } from '@harvest/auth';
import { createSigningKeyStore, type Db } from '@harvest/db';
import type { Redis } from 'ioredis';
import type { PublicClient } from 'viem';
import type { AuthConfig } from '../env.ts';
import { createIdentity, type Identity } from './identity.ts';
import { createKeyManager, type KeyManager } from './keys.ts';
import { createNonceStore, type NonceStore } from './nonces.ts';
import { createRateLimiter, type RateLimiter } from './rate-limit.ts';
import { createSessionRevocations, type SessionRevocations } from './revocations.ts';
import { createContractSignatureCheck, createSiweVerifier, type SiweVerifier } from './siwe.ts';

export interface AuthServiceDeps {
  db: Db;
  redis: Redis;
  config: AuthConfig;
  /** Public clients per chain id, for EIP-1271 contract wallets; none: contract wallets are refused. */
  chainClients?: ReadonlyMap<number, Pick<PublicClient, 'getCode' | 'readContract'>>;
  now?: () => number;
}

/** Everything the identity routes use. */
export interface AuthServices {
  keys: KeyManager;
  verifier: TokenVerifier;
  revocations: SessionRevocations;
  nonces: NonceStore;
  limiter: RateLimiter;
  siwe: SiweVerifier;
  identity: Identity;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Builds the identity services. */
export function createAuthServices(deps: AuthServiceDeps): AuthServices {
  const { config } = deps;
  const now = deps.now ?? Date.now;
  const keys = createKeyManager({
    store: createSigningKeyStore(deps.db),
    kek: config.keyEncryptionKey,
    alg: config.signingAlg,
    rotateAfterMs: config.keyRotationDays * DAY_MS,
    now,
  });
  // game-api verifies with the same verifier as every other app, reading its own key store instead of HTTP.
  const verifier = createTokenVerifier({
    jwks: createJwksCache({ load: () => keys.jwks() }, { maxAgeMs: 60_000, cooldownMs: 5_000, now }),
    issuer: config.issuer,
    audience: config.audience,
    now,
  });
  const siwe = createSiweVerifier({
    policy: { domains: config.siwe.domains, uris: config.siwe.uris, chainIds: config.siwe.chainIds },
    ...(deps.chainClients ? { contractSignatures: createContractSignatureCheck(deps.chainClients) } : {}),
    now,
  });
  const nonces = createNonceStore(deps.redis, { bindIp: config.siwe.bindNonceToIp, now });
  const revocations = createSessionRevocations(deps.redis, { cacheMs: config.revocationCacheMs, now });
  const limiter = createRateLimiter(deps.redis);
  const identity = createIdentity({ db: deps.db, keys, siwe, nonces, revocations, issuer: config.issuer, audience: config.audience, now });
  return { keys, verifier, revocations, nonces, limiter, siwe, identity };
}
