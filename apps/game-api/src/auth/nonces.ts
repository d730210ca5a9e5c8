/**
 * SIWE nonces in Redis: single use, 5 minutes, bound to the client session that asked for one (and, when
 * configured, to its IP). The client session is a random secret returned with the nonce and never part of the
 * signed message, so a nonce seen by anyone else (a wallet, a log, a phishing page that relays the message) is
 * useless without it. Consuming is one Lua script: check the binding, delete, leave a "used" marker that lets a
 * replay be told apart from an unknown nonce.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '@harvest/shared/errors';
import type { Redis } from 'ioredis';
import { redisScript } from './redis-script.ts';

/** How long a nonce may be used: 5 minutes. */
export const NONCE_TTL_SECONDS = 300;

/** A nonce and the client-session secret it is bound to. */
export interface IssuedNonce {
  nonce: string;
  /** Send it back with the signed message; it is the binding, keep it private. */
  nonceSession: string;
  expiresAt: Date;
}

/** Who is asking: the client session secret and the request IP. */
export interface NonceRequester {
  nonceSession: string;
  ip: string;
}

export interface NonceStoreOptions {
  /** Also refuse a nonce used from another IP than the one that asked for it. */
  bindIp: boolean;
  ttlSeconds?: number;
  now?: () => number;
}

/** Issues and consumes nonces. */
export interface NonceStore {
  issue(ip: string): Promise<IssuedNonce>;
  /** Consumes `nonce` for `requester`; throws SIWE_NONCE_UNKNOWN, SIWE_NONCE_USED or SIWE_NONCE_SESSION_MISMATCH. */
  consume(nonce: string, requester: NonceRequester): Promise<void>;
}

// KEYS[1] nonce, KEYS[2] used marker; ARGV[1] session hash, ARGV[2] ip ('' = do not check), ARGV[3] marker ttl.
const CONSUME = `
local v = redis.call('GET', KEYS[1])
if not v then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 'used' end
  return 'unknown'
end
local sep = string.find(v, ' ', 1, true)
if string.sub(v, 1, sep - 1) ~= ARGV[1] then return 'session' end
if ARGV[2] ~= '' and string.sub(v, sep + 1) ~= ARGV[2] then return 'ip' end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
return 'ok'
`;

const hashSession = (secret: string) => createHash('sha256').update(secret).digest('base64url');

/** A nonce store on a Redis connection (key prefix: the connection's `keyPrefix`). */
export function createNonceStore(redis: Redis, options: NonceStoreOptions): NonceStore {
  const ttl = options.ttlSeconds ?? NONCE_TTL_SECONDS;
  const now = options.now ?? Date.now;
  const key = (nonce: string) => `auth:siwe-nonce:${nonce}`;
  const usedKey = (nonce: string) => `auth:siwe-nonce-used:${nonce}`;
  const consume = redisScript(redis, 'harvestConsumeNonce', CONSUME);

  return {
    async issue(ip) {
      const nonce = randomBytes(16).toString('hex');
      const nonceSession = randomBytes(24).toString('base64url');
      await redis.set(key(nonce), `${hashSession(nonceSession)} ${ip}`, 'EX', ttl);
      return { nonce, nonceSession, expiresAt: new Date(now() + ttl * 1000) };
    },
    async consume(nonce, requester) {
      const outcome = (await consume(
        [key(nonce), usedKey(nonce)],
        [hashSession(requester.nonceSession), options.bindIp ? requester.ip : '', String(ttl)],
      )) as string;
      switch (outcome) {
        case 'ok':
          return;
        case 'used':
          throw new AppError('SIWE_NONCE_USED', 'this nonce was already used; ask for a new one');
        case 'unknown':
          throw new AppError('SIWE_NONCE_UNKNOWN', 'this nonce was not issued here or has expired; ask for a new one');
        default:
          throw new AppError('SIWE_NONCE_SESSION_MISMATCH', 'this nonce was issued to another session', { bound: outcome });
      }
    },
  };
}
