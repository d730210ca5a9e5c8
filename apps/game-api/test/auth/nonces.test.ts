import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createNonceStore } from '../../src/auth/nonces.ts';
import { createRateLimiter } from '../../src/auth/rate-limit.ts';
import { isolatedRedis } from '../helpers.ts';

const redis = isolatedRedis();
afterAll(() => redis.disconnect());

describe('nonce store (Redis)', () => {
  it('a nonce expires after its TTL: SIWE_NONCE_UNKNOWN', async () => {
    const store = createNonceStore(redis, { bindIp: false, ttlSeconds: 1 });
    const issued = await store.issue('127.0.0.1');
    expect(issued.nonce).toMatch(/^[0-9a-f]{32}$/);
    await sleep(1_200);
    await expect(store.consume(issued.nonce, { nonceSession: issued.nonceSession, ip: '127.0.0.1' })).rejects.toMatchObject({
      code: 'SIWE_NONCE_UNKNOWN',
    });
  });

  it('keeps the nonce under the connection prefix, stored with the session hash only', async () => {
    const store = createNonceStore(redis, { bindIp: false });
    const issued = await store.issue('127.0.0.1');
    const stored = await redis.get(`auth:siwe-nonce:${issued.nonce}`);
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(issued.nonceSession);
    expect(await redis.ttl(`auth:siwe-nonce:${issued.nonce}`)).toBeGreaterThan(290);
  });
});

describe('rate limiter (Redis)', () => {
  it('counts per key within a window and starts again after it', async () => {
    const limiter = createRateLimiter(redis);
    const rule = { key: `t:${Math.random()}`, limit: 2, windowSeconds: 1 };
    await limiter.hit([rule]);
    await limiter.hit([rule]);
    await expect(limiter.hit([rule])).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: 1 } });
    await sleep(1_100);
    await expect(limiter.hit([rule])).resolves.toBeUndefined();
  });

  it('counts nothing when one of several rules refuses', async () => {
    const limiter = createRateLimiter(redis);
    const open = { key: `open:${Math.random()}`, limit: 10, windowSeconds: 60 };
    const closed = { key: `closed:${Math.random()}`, limit: 1, windowSeconds: 60 };
    await limiter.hit([closed]);
    await expect(limiter.hit([open, closed])).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(await redis.get(`auth:rate:${open.key}`)).toBeNull();
  });
});
