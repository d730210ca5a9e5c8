/**
 * The transcript writer: battle rooms hand it each accepted action and wait for it to be stored before they show
 * its effects (write-ahead, so a crash never loses an action the players saw). Actions from every room of the
 * process are grouped into one INSERT per flush (group commit): one round trip for many rooms at load.
 */
import { appendMatchActions, type Db, type MatchActionRow, pipelinedReader } from '@harvest/db';
import type { Logger } from '@harvest/service';

export interface ActionWriter {
  /** Resolves once the action is stored; rejects when the database refused the batch. */
  write(row: MatchActionRow): Promise<void>;
  /** Waits for everything queued. */
  flush(): Promise<void>;
}

/** A group-commit writer: the first action starts a flush on the next tick; actions arriving meanwhile join the next. */
export function createActionWriter(db: Db, log: Logger, maxBatch = 500): ActionWriter {
  // A prepared statement on plain pg: no Prisma bookkeeping on the event loop that also serves every room. On a lane
  // of its own: when a wave of matches ends, their settlements and the next matches' creations hold the shared
  // pool's connections for several round trips each, and every intent's answer waited behind them (the load test's
  // store p99 went from 30 to 500 ms in such a step).
  const sql = pipelinedReader(db, { lane: 'transcript' });
  let queue: Array<{ row: MatchActionRow; resolve: () => void; reject: (e: unknown) => void }> = [];
  let running: Promise<void> | null = null;

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      try {
        await appendMatchActions(
          sql,
          batch.map((b) => b.row),
        );
        for (const b of batch) b.resolve();
      } catch (error) {
        log.error({ err: error, actions: batch.length }, 'storing match actions failed');
        for (const b of batch) b.reject(error);
      }
    }
  };

  const start = () => {
    running ??= new Promise<void>((resolve) => setImmediate(resolve)).then(drain).finally(() => {
      running = null;
      if (queue.length > 0) start();
    });
  };

  return {
    write(row) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ row, resolve, reject });
        start();
      });
    },
    async flush() {
      while (running) await running;
    },
  };
}
