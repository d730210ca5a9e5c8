import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createSessionRevocations } from '../../src/auth/revocations.ts';
import { isolatedRedis } from '../helpers.ts';

const redis = isolatedRedis();
afterAll(() => redis.disconnect());

/** Two replicas of game-api: one Redis, a process cache each, one clock the test moves. */
function replicas(cacheMs: number) {
  const clock = { now: Date.now() };
  const now = () => clock.now;
  return { clock, here: createSessionRevocations(redis, { cacheMs, now }), there: createSessionRevocations(redis, { cacheMs, now }) };
}

describe('session revocations (Redis, with the in-process cache)', () => {
  it('a sign-out on another replica is refused here within AUTH_REVOCATION_CACHE_MS, never later', async () => {
    const { clock, here, there } = replicas(250);
    const sid = randomUUID();
    const askedAt = clock.now;
    expect(await here.isRevoked(sid)).toBe(false);
    await there.revoke([sid]);
    // The replica that signed the session out refuses it at once.
    expect(await there.isRevoked(sid)).toBe(true);
    // This replica may reuse its "not revoked" answer while it is younger than the bound...
    clock.now = askedAt + 249;
    expect(await here.isRevoked(sid)).toBe(false);
    // ...and asks Redis again once it is not.
    clock.now = askedAt + 250;
    expect(await here.isRevoked(sid)).toBe(true);
    // A revoked session stays revoked (no further question can bring it back).
    await redis.del(`auth:revoked-session:${sid}`);
    clock.now += 10_000;
    expect(await here.isRevoked(sid)).toBe(true);
  });

  it('with a cache of 0 every check asks Redis: another replica’s sign-out is refused at once', async () => {
    const { here, there } = replicas(0);
    const sid = randomUUID();
    expect(await here.isRevoked(sid)).toBe(false);
    await there.revoke([sid]);
    expect(await here.isRevoked(sid)).toBe(true);
  });

  it('a burst of checks of one session shares one Redis question, and a sign-out here replaces its answer', async () => {
    const { here } = replicas(250);
    const sid = randomUUID();
    let questions = 0;
    const count = (command: { name: string }) => {
      if (command.name === 'exists') questions++;
    };
    const original = redis.sendCommand.bind(redis);
    redis.sendCommand = ((command: { name: string }, stream?: unknown) => {
      count(command);
      return original(command as never, stream as never);
    }) as typeof redis.sendCommand;
    try {
      const burst = Array.from({ length: 20 }, () => here.isRevoked(sid));
      // Written after the question on the same connection: Redis answered the question first.
      await here.revoke([sid]);
      expect(await Promise.all(burst)).toEqual(Array(20).fill(false));
      expect(questions).toBe(1);
      expect(await here.isRevoked(sid)).toBe(true);
      expect(questions).toBe(1);
    } finally {
      redis.sendCommand = original;
    }
  });
});
