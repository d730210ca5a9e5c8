/**
 * The identity core that routes (and the benchmark) call: SIWE sign-in with guest upgrade, guest accounts,
 * refresh with rotation and reuse detection, logout, wallet linking. It composes the SIWE checks, the nonce store,
 * the @harvest/db identity services and the token signer; it knows nothing about HTTP.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ACCESS_TOKEN_TTL_SECONDS, type AccessClaims, type Role } from '@harvest/auth';
import { signAccessToken } from '@harvest/auth/signing';
import {
  createGuest,
  type Db,
  type LinkedWallet,
  linkWallet,
  REFRESH_TOKEN_TTL_MS,
  revokeSession,
  rotateRefreshToken,
  type SessionPlayer,
  signInGuest,
  signInWithWallet,
} from '@harvest/db';
import { AppError } from '@harvest/shared/errors';
import type { Hex } from 'viem';
import type { KeyManager } from './keys.ts';
import type { NonceStore } from './nonces.ts';
import type { SessionRevocations } from './revocations.ts';
import type { SiweVerifier } from './siwe.ts';

/** Tokens handed to a client after a sign-in or refresh. */
export interface IssuedTokens {
  tokenType: 'Bearer';
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  sessionId: string;
  player: { id: string; guest: boolean; roles: Role[] };
}

/** A proof of wallet control: a SIWE message, its signature, and the nonce session it was asked with. */
export interface SiweProof {
  message: string;
  signature: Hex;
  nonceSession: string;
  ip: string;
}

export interface IdentityDeps {
  db: Db;
  keys: KeyManager;
  siwe: SiweVerifier;
  nonces: NonceStore;
  revocations: SessionRevocations;
  issuer: string;
  audience: string;
  now?: () => number;
}

/** The identity operations. */
export interface Identity {
  /** SIWE sign-in; with the claims of a guest's token, upgrades that guest in place. */
  signInWithSiwe(proof: SiweProof, carried?: AccessClaims): Promise<IssuedTokens & { created: boolean; upgraded: boolean }>;
  /** A new guest account bound to a device secret returned once. */
  createGuest(): Promise<IssuedTokens & { deviceId: string; deviceSecret: string }>;
  signInGuest(deviceId: string, deviceSecret: string): Promise<IssuedTokens>;
  refresh(refreshToken: string): Promise<IssuedTokens>;
  /** Signs the session out (by its access token's claims or by a refresh token); true when a session was revoked. */
  logout(by: { claims: AccessClaims } | { refreshToken: string }): Promise<boolean>;
  /** Links another proved wallet to a signed-in, non-guest player. */
  linkWallet(claims: AccessClaims, proof: SiweProof): Promise<{ wallet: LinkedWallet; linked: boolean }>;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const newSecret = () => randomBytes(32).toString('base64url');

/** The identity core over its dependencies. */
export function createIdentity(deps: IdentityDeps): Identity {
  const now = deps.now ?? Date.now;

  const newRefresh = () => {
    const token = newSecret();
    return { token, stored: { tokenHash: sha256(token), expiresAt: new Date(now() + REFRESH_TOKEN_TTL_MS) } };
  };

  const issue = async (player: SessionPlayer, sessionId: string, refresh: ReturnType<typeof newRefresh>): Promise<IssuedTokens> => {
    const key = await deps.keys.signingKey();
    const access = signAccessToken(
      key,
      { sub: player.id, sid: sessionId, roles: player.roles, guest: player.isGuest },
      { issuer: deps.issuer, audience: deps.audience, ttlSeconds: ACCESS_TOKEN_TTL_SECONDS, now: now() },
    );
    return {
      tokenType: 'Bearer',
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: refresh.token,
      refreshTokenExpiresAt: refresh.stored.expiresAt,
      sessionId,
      player: { id: player.id, guest: player.isGuest, roles: player.roles },
    };
  };

  const prove = async (proof: SiweProof) => {
    const verified = await deps.siwe.verify(proof.message, proof.signature);
    await deps.nonces.consume(verified.nonce, { nonceSession: proof.nonceSession, ip: proof.ip });
    return verified;
  };

  return {
    async signInWithSiwe(proof, carried) {
      const verified = await prove(proof);
      const refresh = newRefresh();
      const signedIn = await signInWithWallet(deps.db, {
        address: verified.address,
        chainId: verified.chainId,
        ...(carried?.guest ? { guestPlayerId: carried.sub } : {}),
        refresh: refresh.stored,
        now: new Date(now()),
      });
      await deps.revocations.revoke(signedIn.revokedSessionIds);
      return { ...(await issue(signedIn.player, signedIn.sessionId, refresh)), created: signedIn.created, upgraded: signedIn.upgraded };
    },

    async createGuest() {
      const deviceSecret = newSecret();
      const refresh = newRefresh();
      const signedIn = await createGuest(deps.db, {
        deviceSecretHash: sha256(deviceSecret),
        refresh: refresh.stored,
        now: new Date(now()),
      });
      return { ...(await issue(signedIn.player, signedIn.sessionId, refresh)), deviceId: signedIn.deviceId, deviceSecret };
    },

    async signInGuest(deviceId, deviceSecret) {
      const presented = Buffer.from(sha256(deviceSecret), 'hex');
      const refresh = newRefresh();
      const signedIn = await signInGuest(deps.db, {
        deviceId,
        verifySecret: (stored) => {
          const expected = Buffer.from(stored, 'hex');
          return expected.length === presented.length && timingSafeEqual(expected, presented);
        },
        refresh: refresh.stored,
        now: new Date(now()),
      });
      return issue(signedIn.player, signedIn.sessionId, refresh);
    },

    async refresh(refreshToken) {
      const next = newRefresh();
      const outcome = await rotateRefreshToken(deps.db, { tokenHash: sha256(refreshToken), next: next.stored, now: new Date(now()) });
      if (outcome.ok) return issue(outcome.player, outcome.sessionId, next);
      switch (outcome.reason) {
        case 'reused':
          await deps.revocations.revoke([outcome.sessionId]);
          throw new AppError('REFRESH_TOKEN_REUSED', 'this refresh token was already used; the session is revoked, sign in again');
        case 'revoked':
          throw new AppError('SESSION_REVOKED', 'this session was signed out; sign in again');
        case 'expired':
          throw new AppError('REFRESH_TOKEN_INVALID', 'the refresh token has expired; sign in again', { reason: 'expired' });
        default:
          throw new AppError('REFRESH_TOKEN_INVALID', 'unknown refresh token', { reason: 'unknown' });
      }
    },

    async logout(by) {
      const at = new Date(now());
      const revoked =
        'claims' in by
          ? await revokeSession(deps.db, { playerId: by.claims.sub, sessionId: by.claims.sid, now: at })
          : await revokeSession(deps.db, { tokenHash: sha256(by.refreshToken), now: at });
      if (revoked) await deps.revocations.revoke([revoked]);
      return revoked !== undefined;
    },

    async linkWallet(claims, proof) {
      if (claims.guest) throw new AppError('GUEST_NOT_ALLOWED', 'guests link a wallet by signing in with it (upgrade)');
      const verified = await prove(proof);
      return linkWallet(deps.db, { playerId: claims.sub, address: verified.address, chainId: verified.chainId, now: new Date(now()) });
    },
  };
}
