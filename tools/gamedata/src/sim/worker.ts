/** Worker-thread entry: plays a slice of the match plan and posts its totals back. */

import { parentPort, workerData } from 'node:worker_threads';
import type { GameData } from '@harvest/shared/gamedata';
import type { SimDeck } from './decks.ts';
import { runRange } from './run.ts';

const input = workerData as { data: GameData; decks: SimDeck[]; seed: string; from: number; to: number };
const t0 = performance.now();
const totals = runRange(input.data, input.decks, input.seed, input.from, input.to, (done) =>
  parentPort?.postMessage({ type: 'progress', done }),
);
parentPort?.postMessage({ type: 'done', totals, ms: performance.now() - t0 });
