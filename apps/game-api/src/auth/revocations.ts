/**
 * Sessions signed out (logout, refresh-token reuse, guest upgrade) before their access tokens expire. game-api
 * refuses those tokens at once; the entry lives as long as an access token can, then the token's own `exp` does
 * the job. Other apps that only verify signatures accept such a token until it expires.
 */
import { ACCESS_TOKEN_TTL_SECONDS } from '@harvest/auth';
import type { Redis } from 'ioredis';

/** The Redis-backed list of revoked session ids. */
export interface SessionRevocations {
  revoke(sessionIds: readonly string[]): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
}

/** Revocations on a Redis connection, kept for one access-token lifetime plus a minute of clock skew. */
export function createSessionRevocations(redis: Redis, ttlSeconds = ACCESS_TOKEN_TTL_SECONDS + 60): SessionRevocations {
  const key = (sid: string) => `auth:revoked-session:${sid}`;
  return {
    async revoke(sessionIds) {
      if (sessionIds.length === 0) return;
      const pipeline = redis.pipeline();
      for (const sid of sessionIds) pipeline.set(key(sid), '1', 'EX', ttlSeconds);
      await pipeline.exec();
    },
    async isRevoked(sessionId) {
      return (await redis.exists(key(sessionId))) === 1;
    },
  };
}
