/**
 * Sessions signed out (logout, refresh-token reuse, guest upgrade) before their access tokens expire. game-api
 * refuses those tokens; the entry lives as long as an access token can, then the token's own `exp` does the job.
 * The ids are also published on REVOKED_SESSIONS_CHANNEL: the instance servers refuse such a token at join and drop
 * the session's open connections.
 *
 * Every authenticated request asks whether its session is revoked, so the answer is kept in process for
 * `cacheMs` (AUTH_REVOCATION_CACHE_MS): a revocation made by this process is refused here at once; one made by
 * another replica is refused here at most `cacheMs` after it was written to Redis (the age of an answer counts from
 * when it was asked, not when Redis replied). A revoked answer is kept as long as the session is remembered in Redis
 * (a revoked session never comes back). `cacheMs: 0` asks Redis on every request.
 */
import { ACCESS_TOKEN_TTL_SECONDS, REVOKED_SESSIONS_CHANNEL, revokedSessionKey } from '@harvest/auth';
import type { Redis } from 'ioredis';

/** The Redis-backed list of revoked session ids. */
export interface SessionRevocations {
  revoke(sessionIds: readonly string[]): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
}

/** Options of {@link createSessionRevocations}. */
export interface SessionRevocationOptions {
  /** Seconds a revocation is kept in Redis: one access-token lifetime plus a minute of clock skew by default. */
  ttlSeconds?: number;
  /** Milliseconds a "not revoked" answer is reused in this process (default 0: ask Redis every time). */
  cacheMs?: number;
  /** Most sessions remembered in process (least recently asked go first; default 100,000). */
  maxEntries?: number;
  /** The clock, in epoch milliseconds. */
  now?: () => number;
}

interface Answer {
  revoked: boolean;
  /** When the question was sent to Redis (ms). */
  askedAt: number;
}

/** Revocations on a Redis connection, with the bounded in-process cache described in the module comment. */
export function createSessionRevocations(redis: Redis, options: SessionRevocationOptions = {}): SessionRevocations {
  const ttlSeconds = options.ttlSeconds ?? ACCESS_TOKEN_TTL_SECONDS + 60;
  const cacheMs = options.cacheMs ?? 0;
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  const key = revokedSessionKey;
  const answers = new Map<string, Answer>();
  // A burst of requests of one session shares one Redis question, while that question is younger than cacheMs
  // (so a reply delayed past the bound is not reused by requests that arrived later).
  const asking = new Map<string, { askedAt: number; answer: Promise<boolean> }>();

  const remember = (sid: string, answer: Answer) => {
    answers.delete(sid);
    answers.set(sid, answer);
    if (answers.size > maxEntries) answers.delete(answers.keys().next().value as string);
  };

  const ask = (sid: string): Promise<boolean> => {
    const inFlight = asking.get(sid);
    if (inFlight && now() - inFlight.askedAt < cacheMs) return inFlight.answer;
    const askedAt = now();
    const question = { askedAt, answer: Promise.resolve(false) };
    question.answer = redis
      .exists(key(sid))
      .then((n) => {
        // A revocation recorded here while the question was out wins over the older answer.
        if (!answers.get(sid)?.revoked) remember(sid, { revoked: n === 1, askedAt });
        return n === 1 || answers.get(sid)?.revoked === true;
      })
      .finally(() => {
        if (asking.get(sid) === question) asking.delete(sid);
      });
    asking.set(sid, question);
    return question.answer;
  };

  return {
    async revoke(sessionIds) {
      if (sessionIds.length === 0) return;
      const pipeline = redis.pipeline();
      for (const sid of sessionIds) pipeline.set(key(sid), '1', 'EX', ttlSeconds);
      // Processes holding open connections of these sessions (the instance servers) drop them.
      pipeline.publish(REVOKED_SESSIONS_CHANNEL, JSON.stringify(sessionIds));
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error !== null)?.[0];
      if (failed) throw failed;
      if (cacheMs > 0) for (const sid of sessionIds) remember(sid, { revoked: true, askedAt: now() });
    },
    async isRevoked(sessionId) {
      if (cacheMs <= 0) return (await redis.exists(key(sessionId))) === 1;
      const known = answers.get(sessionId);
      if (known) {
        const age = now() - known.askedAt;
        if (known.revoked ? age < ttlSeconds * 1000 : age < cacheMs) return known.revoked;
      }
      return ask(sessionId);
    },
  };
}
