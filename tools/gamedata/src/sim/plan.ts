/** Which decks play match i, and with which seed: a pure function of the index, so any split of the range agrees. */

import { sha256Hex } from '@harvest/shared/rules';

/** Every unordered pair of distinct deck indexes. */
export function deckPairs(deckCount: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let a = 0; a < deckCount; a++) for (let b = a + 1; b < deckCount; b++) pairs.push([a, b]);
  return pairs;
}

/**
 * Match `i` cycles through the pairs; every other cycle swaps seats. Seed: SHA-256 of `"<base>:<i>"` (hex, 32
 * bytes), so a match can be replayed on its own from the base seed and its index.
 */
export function matchPlan(i: number, pairs: readonly [number, number][], baseSeed: string): { seats: [number, number]; seed: string } {
  const [a, b] = pairs[i % pairs.length] as [number, number];
  const swap = Math.floor(i / pairs.length) % 2 === 1;
  return { seats: swap ? [b, a] : [a, b], seed: sha256Hex(`${baseSeed}:${i}`) };
}
