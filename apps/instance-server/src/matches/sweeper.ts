/**
 * The match keeper of a process: refreshes the heartbeat of the matches its live battle rooms run, and sweeps
 * abandoned matches (no heartbeat for `abandonAfterMs`: their process died) by settling them by the rules
 * (packages/db settleAbandonedMatch), which releases the cards. Every process sweeps; the settlement's row lock and
 * status check make a match settle once however many sweep it.
 */
import { type Db, findAbandonedMatches, heartbeatMatches, pipelinedReader, settleAbandonedMatch } from '@harvest/db';
import type { Logger } from '@harvest/service';

export interface MatchKeeperOptions {
  db: Db;
  log: Logger;
  liveMatches: ReadonlySet<string>;
  heartbeatMs: number;
  abandonAfterMs: number;
  sweepIntervalMs: number;
}

export interface MatchKeeper {
  /** One sweep (the loop runs it; tests may too): the number of matches it settled or aborted. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The heartbeat runs in this many slices per interval: each match beats once per `heartbeatMs` as before, but a
 * tenth of them at a time. One statement for every live match (1,500 rows at 3,000 players) took PostgreSQL 45-140 ms
 * every 5 s in the load test, holding all their row locks meanwhile (a settlement's FOR UPDATE waits for them).
 */
export const HEARTBEAT_SLICES = 10;

/** The live matches whose heartbeat is due in `slice` (0..slices-1): a match's slice comes from its (random) id. */
export function heartbeatSlice(matchIds: Iterable<string>, slice: number, slices = HEARTBEAT_SLICES): string[] {
  const due: string[] = [];
  for (const id of matchIds) if (Number.parseInt(id.slice(0, 8), 16) % slices === slice) due.push(id);
  return due;
}

/** Starts the heartbeat and sweep loops. */
export function startMatchKeeper(options: MatchKeeperOptions): MatchKeeper {
  const { db, log } = options;
  let stopped = false;
  let inflight: Promise<unknown> = Promise.resolve();
  const sweep = async (): Promise<number> => {
    const staleBefore = new Date(Date.now() - options.abandonAfterMs);
    let settled = 0;
    for (const matchId of await findAbandonedMatches(db, { staleBefore, limit: 50 })) {
      if (options.liveMatches.has(matchId)) continue;
      try {
        const result = await settleAbandonedMatch(db, { matchId, staleBefore });
        if (result.settled) {
          settled++;
          log.info({ matchId, status: result.result.status, winnerId: result.result.winnerId }, 'abandoned match settled');
        }
      } catch (error) {
        log.error({ err: error, matchId }, 'sweeping a match failed');
      }
    }
    return settled;
  };
  let slice = 0;
  const beat = setInterval(() => {
    const due = heartbeatSlice(options.liveMatches, slice);
    slice = (slice + 1) % HEARTBEAT_SLICES;
    if (due.length === 0) return;
    inflight = heartbeatMatches(pipelinedReader(db), due).catch((error: unknown) => log.warn({ err: error }, 'match heartbeat failed'));
  }, options.heartbeatMs / HEARTBEAT_SLICES);
  const loop = setInterval(() => {
    if (!stopped) inflight = sweep().catch((error: unknown) => log.error({ err: error }, 'sweep failed'));
  }, options.sweepIntervalMs);
  // The first sweep soon after start: a restarted process settles what its predecessor left.
  const first = setTimeout(() => {
    if (!stopped) inflight = sweep().catch(() => 0);
  }, 1000);
  return {
    sweep,
    async stop() {
      stopped = true;
      clearInterval(beat);
      clearInterval(loop);
      clearTimeout(first);
      await inflight;
    },
  };
}
