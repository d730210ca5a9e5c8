/** Waits `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` until it succeeds, at most `attempts` times, waiting 0.5 s, 1 s, 2 s... between tries: game-api answers
 * 503 when its database pool is busy at a burst of sign-ins.
 */
export async function retried<T>(work: () => Promise<T>, attempts = 6): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (error) {
      if (i >= attempts) throw error;
      await sleep(250 * 2 ** i);
    }
  }
}
