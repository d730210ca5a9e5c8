/**
 * A token bucket per client: `perSecond` sustained, bursts up to `burst`. In-process (a client's messages all reach
 * the one process holding its room), on the monotonic clock.
 */
export interface TokenBucket {
  /** Takes one token; false when the client is over its rate (the message must be refused). */
  take(): boolean;
}

/** A bucket that starts full. */
export function createTokenBucket(perSecond: number, burst: number, now: () => number = () => performance.now()): TokenBucket {
  let tokens = burst;
  let last = now();
  return {
    take() {
      const t = now();
      tokens = Math.min(burst, tokens + ((t - last) / 1000) * perSecond);
      last = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
