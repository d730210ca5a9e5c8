import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commitSeed, verifySeedCommitment } from './fairness.ts';
import { createRngFromSeed, createRngFromState, pickWeighted, rngStateFromSeed, shuffleInPlace } from './rng.ts';
import { sha256Hex } from './sha256.ts';

const SEED = '0123456789abcdef0123456789abcdef';

describe('xoshiro128**', () => {
  it('reproduces the reference C implementation', () => {
    // Outputs of Vigna's xoshiro128starstar.c next() compiled with gcc for these states.
    const a = createRngFromState([1, 2, 3, 4]);
    expect(Array.from({ length: 8 }, () => a.nextU32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849,
    ]);
    const b = createRngFromState([0x9e3779b9, 0x243f6a88, 0xb7e15162, 0xdeadbeef]);
    expect(Array.from({ length: 4 }, () => b.nextU32())).toEqual([2463954730, 5524658, 74256371, 1905451993]);
  });

  it('refuses the all-zero state and short or non-hex seeds', () => {
    expect(() => createRngFromState([0, 0, 0, 0])).toThrow(RangeError);
    expect(() => createRngFromSeed('abcd')).toThrow(RangeError);
    expect(() => createRngFromSeed('g'.repeat(32))).toThrow(RangeError);
  });

  it('resumes from a snapshot exactly', () => {
    const rng = createRngFromSeed(SEED);
    for (let i = 0; i < 10; i++) rng.nextU32();
    const copy = createRngFromState(rng.snapshot());
    expect(Array.from({ length: 20 }, () => copy.nextU32())).toEqual(Array.from({ length: 20 }, () => rng.nextU32()));
  });

  it('int(n) stays in range and float() in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 32 }), fc.integer({ min: 1, max: 2 ** 31 }), (n, salt) => {
        const rng = createRngFromState([salt, 7, 11, 13]);
        for (let i = 0; i < 20; i++) {
          const x = rng.int(n);
          expect(Number.isInteger(x) && x >= 0 && x < n).toBe(true);
          const f = rng.float();
          expect(f >= 0 && f < 1).toBe(true);
        }
      }),
    );
    expect(() => createRngFromSeed(SEED).int(0)).toThrow(RangeError);
  });

  it('int(6) is roughly uniform', () => {
    const rng = createRngFromSeed(SEED);
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 60_000; i++) {
      const k = rng.int(6);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it('shuffle is a permutation and depends on the seed', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const a = items.slice();
    shuffleInPlace(a, createRngFromSeed(SEED));
    expect(a.slice().sort((x, y) => x - y)).toEqual(items);
    const b = items.slice();
    shuffleInPlace(b, createRngFromSeed(`ff${SEED.slice(2)}`));
    expect(b).not.toEqual(a);
  });

  it('pickWeighted follows the weights and reports an empty table', () => {
    const rng = createRngFromSeed(SEED);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) {
      const k = pickWeighted([1, 0, 2], rng);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    expect(counts[1]).toBe(0);
    expect(Math.abs((counts[2] as number) / 30_000 - 2 / 3)).toBeLessThan(0.02);
    expect(pickWeighted([0, 0], rng)).toBe(-1);
  });
});

describe('seed commitment', () => {
  it('is SHA-256 of the seed bytes and verifies only the right seed', () => {
    const c = commitSeed(SEED);
    expect(c).toBe(sha256Hex(new Uint8Array(Buffer.from(SEED, 'hex'))));
    expect(verifySeedCommitment(SEED, c)).toBe(true);
    expect(verifySeedCommitment(SEED, c.toUpperCase())).toBe(true);
    expect(verifySeedCommitment(`${SEED.slice(0, -1)}0`, c)).toBe(false);
    expect(verifySeedCommitment('nothex', c)).toBe(false);
  });

  it('does not reveal the generator state', () => {
    const words = rngStateFromSeed(SEED)
      .map((w) => w.toString(16).padStart(8, '0'))
      .join('');
    expect(commitSeed(SEED).startsWith(words)).toBe(false);
  });
});
