/**
 * Runs N simulated matches, on this thread (the one-core figure) or split over worker threads, reporting progress.
 */

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { battleConfigOf, cardCatalog, type GameData } from '@harvest/shared/gamedata';
import type { SimDeck } from './decks.ts';
import { playMatch } from './match.ts';
import { deckPairs, matchPlan } from './plan.ts';
import { addMatch, emptyTotals, mergeTotals, type SimTotals } from './stats.ts';

/** Options of a simulation. */
export interface SimulateOptions {
  readonly data: GameData;
  readonly decks: readonly SimDeck[];
  readonly matches: number;
  readonly seed: string;
  /** 1 (default) runs on this thread; more splits the range over worker threads. */
  readonly workers?: number;
  /** Called with matches done so far, at most every ~100 ms. */
  readonly onProgress?: (done: number) => void;
}

/** Simulation output with timing. */
export interface SimulateResult {
  readonly totals: SimTotals;
  readonly wallMs: number;
  readonly workers: number;
  /** Each thread's own rate (matches/s): with one worker, the one-core figure. */
  readonly perThread: readonly { readonly matches: number; readonly ms: number; readonly matchesPerSecond: number }[];
}

/** Plays matches `[from, to)` of the plan on the current thread. */
export function runRange(
  data: GameData,
  decks: readonly SimDeck[],
  seed: string,
  from: number,
  to: number,
  onProgress?: (done: number) => void,
): SimTotals {
  const totals = emptyTotals(decks.length);
  const pairs = deckPairs(decks.length);
  const config = battleConfigOf(data);
  const cards = cardCatalog(data);
  let last = performance.now();
  for (let i = from; i < to; i++) {
    const plan = matchPlan(i, pairs, seed);
    const record = playMatch(config, cards, [(decks[plan.seats[0]] as SimDeck).cards, (decks[plan.seats[1]] as SimDeck).cards], plan.seed);
    addMatch(totals, decks, plan.seats, record);
    if (onProgress && (i & 63) === 0) {
      const now = performance.now();
      if (now - last > 100) {
        last = now;
        onProgress(i + 1 - from);
      }
    }
  }
  onProgress?.(to - from);
  return totals;
}

/** Runs the simulation; the result does not depend on the number of workers. */
export async function simulate(opts: SimulateOptions): Promise<SimulateResult> {
  if (deckPairs(opts.decks.length).length === 0) throw new Error('the simulator needs at least two legal decks');
  const workers = Math.max(1, Math.min(opts.workers ?? 1, availableParallelism(), opts.matches || 1));
  const t0 = performance.now();
  if (workers === 1) {
    const totals = runRange(opts.data, opts.decks, opts.seed, 0, opts.matches, opts.onProgress);
    const ms = performance.now() - t0;
    return { totals, wallMs: ms, workers, perThread: [{ matches: opts.matches, ms, matchesPerSecond: (opts.matches / ms) * 1000 }] };
  }
  const done = new Array<number>(workers).fill(0);
  const chunk = Math.ceil(opts.matches / workers);
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const from = w * chunk;
      const to = Math.min(opts.matches, from + chunk);
      return new Promise<{ totals: SimTotals; ms: number; matches: number }>((resolve, reject) => {
        const worker = new Worker(new URL('./worker.ts', import.meta.url), {
          workerData: { data: opts.data, decks: opts.decks, seed: opts.seed, from, to },
        });
        worker.on('message', (msg: { type: 'progress'; done: number } | { type: 'done'; totals: SimTotals; ms: number }) => {
          if (msg.type === 'progress') {
            done[w] = msg.done;
            opts.onProgress?.(done.reduce((a, b) => a + b, 0));
          } else resolve({ totals: msg.totals, ms: msg.ms, matches: to - from });
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (code !== 0) reject(new Error(`simulation worker ${w} exited with ${code}`));
        });
      });
    }),
  );
  const totals = parts.reduce((acc, p) => mergeTotals(acc, p.totals), emptyTotals(opts.decks.length));
  return {
    totals,
    wallMs: performance.now() - t0,
    workers,
    perThread: parts.map((p) => ({ matches: p.matches, ms: p.ms, matchesPerSecond: (p.matches / p.ms) * 1000 })),
  };
}
