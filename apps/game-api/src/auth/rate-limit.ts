/**
 * Redis-backed fixed-window rate limits. One script call checks every rule of a request at once (per IP, per
 * address, per device...), counting only when all pass, so a refused request does not use up the budget of the
 * other keys. A refusal is AppError RATE_LIMITED with `retryAfterSeconds`, which the error mapper of
 * @harvest/service turns into a `Retry-After` header.
 */
import { AppError } from '@harvest/shared/errors';
import type { Redis } from 'ioredis';
import { redisScript } from './redis-script.ts';

/** One limit: at most `limit` hits on `key` per `windowSeconds`. */
export interface RateRule {
  /** What is limited, e.g. `siwe:ip:127.0.0.1`. */
  key: string;
  limit: number;
  windowSeconds: number;
}

/** Checks and counts rate rules. */
export interface RateLimiter {
  /** Counts one hit on every rule, or throws RATE_LIMITED (counting nothing) when any rule is exhausted. */
  hit(rules: readonly RateRule[]): Promise<void>;
}

// KEYS: rule keys; ARGV: limit_1, window_1, limit_2, window_2... Returns 0 when counted, else the wait in seconds.
const HIT = `
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i - 1])
  local count = tonumber(redis.call('GET', key) or '0')
  if count >= limit then
    local ttl = redis.call('TTL', key)
    if ttl < 1 then ttl = 1 end
    return ttl
  end
end
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, tonumber(ARGV[2 * i])) end
end
return 0
`;

/** A limiter on a Redis connection. */
export function createRateLimiter(redis: Redis): RateLimiter {
  const hit = redisScript(redis, 'harvestRateHit', HIT);
  return {
    async hit(rules) {
      if (rules.length === 0) return;
      const keys = rules.map((rule) => `auth:rate:${rule.key}`);
      const args = rules.flatMap((rule) => [String(rule.limit), String(rule.windowSeconds)]);
      const wait = Number(await hit(keys, args));
      if (wait > 0) {
        throw new AppError('RATE_LIMITED', 'too many attempts; retry after the time in Retry-After', { retryAfterSeconds: wait });
      }
    },
  };
}
