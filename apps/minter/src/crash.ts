/**
 * Crash points for the crash test (MINTER_CRASH_AT=<point>:<n>, refused in production by env.ts): the nth time the
 * process passes `point`, it writes `CRASHPOINT <point>` to stderr and blocks its event loop, so nothing more
 * happens until the test kills it with SIGKILL at exactly that point. Without the variable, `at` is a no-op.
 */
import { writeSync } from 'node:fs';

export type CrashPoint = 'before_send' | 'after_send' | 'after_receipt';

export interface Crash {
  at(point: CrashPoint): void;
}

export function createCrash(config: { point: CrashPoint; n: number } | null): Crash {
  let passes = 0;
  return {
    at(point) {
      if (!config || point !== config.point) return;
      passes += 1;
      if (passes !== config.n) return;
      writeSync(2, `CRASHPOINT ${point}\n`);
      // Block (up to 5 minutes) until SIGKILL arrives; then exit as if killed should the test never come.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300_000);
      process.kill(process.pid, 'SIGKILL');
    },
  };
}
