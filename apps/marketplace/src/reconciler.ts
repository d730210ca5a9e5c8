/**
 * Runs the market reconciler (packages/db `reconcileMarket`) every interval: sale and hard-cancel feed rows at the
 * indexer's head, listings closed for good once their end is final. One replica works at a time (an advisory lock
 * inside each pass); a failed pass is logged and the next one tries again.
 */
import { type Db, reconcileMarket } from '@harvest/db';
import type { Logger } from '@harvest/service';

export interface Reconciler {
  stop(): Promise<void>;
}

/** Starts the loop; `stop` waits for a pass in flight. */
export function startReconciler(input: {
  db: Db;
  chainId: number;
  marketplace: string;
  intervalMs: number;
  log: Logger;
  now?: () => number;
}): Reconciler {
  const now = input.now ?? Date.now;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const pass = async () => {
    try {
      const result = await reconcileMarket(input.db, {
        chainId: input.chainId,
        marketplace: input.marketplace,
        now: BigInt(Math.floor(now() / 1000)),
      });
      const changed =
        result.salesRecorded +
        result.hardCancelsRecorded +
        result.reorgedRemoved +
        result.filled +
        result.cancelled +
        result.invalidated +
        result.expired;
      if (changed > 0) input.log.info(result, 'market reconciled');
    } catch (error) {
      input.log.warn({ err: error }, 'market reconcile pass failed');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass().finally(schedule);
    }, input.intervalMs);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
