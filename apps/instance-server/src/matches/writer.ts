/**
 * The transcript writer: battle rooms hand it each accepted action and wait for it to be stored before they show
 * its effects (write-ahead, so a crash never loses an action the players saw). Actions from every room of the
 * process are grouped into one INSERT per flush (group commit): one round trip for many rooms at load.
 */
import { appendMatchActions, type Db, LANE_CONNECTIONS, type MatchActionRow, pipelinedReader } from '@harvest/db';
import type { Logger } from '@harvest/service';

export interface ActionWriter {
  /** Resolves once the action is stored; rejects when the database refused the batch. */
  write(row: MatchActionRow): Promise<void>;
  /** Waits for everything queued. */
  flush(): Promise<void>;
}

/** Options of {@link createActionWriter}. */
export interface ActionWriterOptions {
  /** Most rows in one INSERT (default 500). */
  maxBatch?: number;
  /** Most INSERTs in flight at once (default {@link LANE_CONNECTIONS}, one per connection of the lane). */
  maxInFlight?: number;
}

type Pending = { row: MatchActionRow; resolve: () => void; reject: (e: unknown) => void };

/**
 * A group-commit writer: actions queued during one turn of the event loop go out together once it ends; while every
 * connection of the lane has an INSERT in flight, new actions wait and join the next one.
 *
 * Why several in flight: with one, every battle of the process waited behind the slowest commit. In the load test
 * (bench/load.ts, 3,000 clients on 2 cores) a one-row commit's p99 was 33-59 ms and the writer's store p99 200-500 ms:
 * each batch waited for the one before to come back and for the event loop to read its answer. A room has at most
 * one action in flight (it applies its intents one at a time), so batches running side by side never reorder a
 * match's actions.
 */
export function createActionWriter(db: Db, log: Logger, options: ActionWriterOptions = {}): ActionWriter {
  const maxBatch = options.maxBatch ?? 500;
  const maxInFlight = options.maxInFlight ?? LANE_CONNECTIONS;
  // A prepared statement on plain pg: no Prisma bookkeeping on the event loop that also serves every room. On a lane
  // of its own: when a wave of matches ends, their settlements and the next matches' creations hold the shared
  // pool's connections for several round trips each, and every intent's answer waited behind them (the load test's
  // store p99 went from 30 to 500 ms in such a step).
  const sql = pipelinedReader(db, { lane: 'transcript' });
  let queue: Pending[] = [];
  const inFlight = new Set<Promise<void>>();
  let scheduled = false;

  const send = (batch: Pending[]): void => {
    const insert: Promise<void> = appendMatchActions(
      sql,
      batch.map((b) => b.row),
    )
      .then(
        () => {
          for (const b of batch) b.resolve();
        },
        (error: unknown) => {
          log.error({ err: error, actions: batch.length }, 'storing match actions failed');
          for (const b of batch) b.reject(error);
        },
      )
      .finally(() => {
        inFlight.delete(insert);
        schedule();
      });
    inFlight.add(insert);
  };

  const pump = (): void => {
    scheduled = false;
    while (queue.length > 0 && inFlight.size < maxInFlight) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      send(batch);
    }
  };

  function schedule(): void {
    if (scheduled || queue.length === 0 || inFlight.size >= maxInFlight) return;
    scheduled = true;
    setImmediate(pump);
  }

  return {
    write(row) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ row, resolve, reject });
        schedule();
      });
    },
    async flush() {
      while (queue.length > 0 || inFlight.size > 0) {
        if (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
  };
}
