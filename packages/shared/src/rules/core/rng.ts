/**
 * Seeded pseudo-random numbers for the rules: xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/).
 *
 * Why this generator: 128 bits of state held in four uint32 words, only 32-bit integer operations
 * (`Math.imul`, shifts), so every JavaScript engine produces bit-identical sequences; it passes BigCrush, and its
 * whole state serialises as four numbers, which a room can store next to the battle state to resume a match.
 *
 * Seeding from a match seed (hex) is specified in {@link createRngFromSeed}; the commitment published at match
 * start is in `../core/fairness.ts`. The rules draw numbers only through an {@link Rng} handed to them in the
 * rule context, in a fixed order, and never on a refused action, so a replay with the same seed and actions
 * draws the same numbers.
 */

import { hexToBytes, isHex, sha256, utf8 } from './sha256.ts';

/** The four 32-bit words of xoshiro128** state (unsigned). Never all zero. */
export type RngState = readonly [number, number, number, number];

/** A deterministic random source. All methods advance the same underlying stream. */
export interface Rng {
  /** Next raw 32-bit unsigned integer of the xoshiro128** stream. */
  nextU32(): number;
  /**
   * A uniform integer in `[0, n)` without modulo bias (rejection sampling on 32-bit draws).
   * @param n - an integer in `1 .. 2^32`; `n = 1` still consumes one draw so call sites stay easy to reason about.
   */
  int(n: number): number;
  /** A uniform float in `[0, 1)` built from one 32-bit draw (resolution 2^-32). */
  float(): number;
  /** A copy of the current state, e.g. to persist a running match; see {@link createRngFromState}. */
  snapshot(): RngState;
}

/** Domain-separation prefix mixed into the seed before it becomes generator state. */
export const RNG_SEED_DOMAIN = 'harvest-battles/rng/xoshiro128ss/v1:';

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Creates a generator from explicit state words (for resuming, or for tests against the reference C code).
 * @throws RangeError if all four words are zero (xoshiro's one forbidden state).
 */
export function createRngFromState(state: RngState): Rng {
  let s0 = state[0] >>> 0;
  let s1 = state[1] >>> 0;
  let s2 = state[2] >>> 0;
  let s3 = state[3] >>> 0;
  if ((s0 | s1 | s2 | s3) === 0) throw new RangeError('xoshiro128** state must not be all zero');

  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };

  return {
    nextU32,
    int(n: number): number {
      if (!Number.isInteger(n) || n < 1 || n > 0x100000000) throw new RangeError(`rng.int(n) needs 1 <= n <= 2^32, got ${n}`);
      // Accept draws below the largest multiple of n that fits in 2^32; reject the rest (expected < 2 draws).
      const limit = 0x100000000 - (0x100000000 % n);
      for (;;) {
        const x = nextU32();
        if (x < limit) return x % n;
      }
    },
    float(): number {
      return nextU32() / 0x100000000;
    },
    snapshot(): RngState {
      return [s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0];
    },
  };
}

/**
 * Minimum match-seed length in bytes. The seed's SHA-256 is public during the match, so a short seed could be
 * found by brute force and the deck order predicted; 128 bits rules that out.
 */
export const MIN_SEED_BYTES = 16;

/**
 * Derives generator state from a match seed.
 *
 * Specification (so an independent verifier can re-implement it):
 * `state = SHA-256(UTF-8(RNG_SEED_DOMAIN) || seedBytes)`, read as four big-endian uint32 words from bytes 0..15.
 * The domain prefix matters: the public commitment is `SHA-256(seedBytes)`, which must reveal nothing about the
 * generator state. (An all-zero result is practically impossible; it would be replaced by `[1, 0, 0, 0]`.)
 *
 * @param seedHex - the match seed, hexadecimal, at least {@link MIN_SEED_BYTES} bytes.
 * @throws RangeError when the seed is not hex or too short.
 */
export function createRngFromSeed(seedHex: string): Rng {
  return createRngFromState(rngStateFromSeed(seedHex));
}

/** The initial xoshiro128** state for a match seed (see {@link createRngFromSeed}). */
export function rngStateFromSeed(seedHex: string): RngState {
  if (!isHex(seedHex) || seedHex.length / 2 < MIN_SEED_BYTES) {
    throw new RangeError(`match seed must be hex of at least ${MIN_SEED_BYTES} bytes`);
  }
  const prefix = utf8(RNG_SEED_DOMAIN);
  const seed = hexToBytes(seedHex);
  const input = new Uint8Array(prefix.length + seed.length);
  input.set(prefix);
  input.set(seed, prefix.length);
  const digest = sha256(input);
  const view = new DataView(digest.buffer);
  const words: [number, number, number, number] = [view.getUint32(0), view.getUint32(4), view.getUint32(8), view.getUint32(12)];
  return (words[0] | words[1] | words[2] | words[3]) === 0 ? [1, 0, 0, 0] : words;
}

/**
 * Shuffles `items` in place with the Fisher–Yates algorithm, drawing `rng.int(i + 1)` for i from the last index
 * down to 1 (that exact order is part of the replay contract).
 */
export function shuffleInPlace<T>(items: T[], rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
}

/**
 * Picks an index from non-negative integer weights with one `rng.int(total)` draw.
 * @returns the chosen index, or -1 when the weights sum to zero (nothing to draw).
 */
export function pickWeighted(weights: readonly number[], rng: Rng): number {
  let total = 0;
  for (const w of weights) total += w;
  if (total <= 0) return -1;
  let x = rng.int(total);
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i] as number;
    if (x < 0) return i;
  }
  return weights.length - 1;
}
