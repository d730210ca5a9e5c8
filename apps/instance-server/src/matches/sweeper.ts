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
  const beat = setInterval(() => {
    inflight = heartbeatMatches(pipelinedReader(db), [...options.liveMatches]).catch((error: unknown) =>
      log.warn({ err: error }, 'match heartbeat failed'),
    );
  }, options.heartbeatMs);
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
