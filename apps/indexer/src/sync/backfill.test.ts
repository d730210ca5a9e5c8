import { describe, expect, it } from 'vitest';
import { createRangeSizer } from './backfill.ts';

describe('createRangeSizer', () => {
  it('starts within bounds and doubles on sparse answers up to the maximum', () => {
    const sizes: number[] = [];
    const sizer = createRangeSizer({ initial: 5000, max: 4000, targetLogs: 1000, onChange: (s) => sizes.push(s) });
    expect(sizer.size).toBe(4000);
    const small = createRangeSizer({ initial: 100, max: 1000, targetLogs: 1000 });
    small.answered(100, 10);
    expect(small.size).toBe(200);
    small.answered(200, 10);
    small.answered(400, 10);
    small.answered(800, 10);
    expect(small.size).toBe(1000);
    // A narrower answer (the last range of a backfill) says nothing about the size.
    small.answered(3, 0);
    expect(small.size).toBe(1000);
    expect(sizes).toEqual([]);
  });

  it('halves on a refusal and shrinks in proportion to an answer over the target', () => {
    const sizer = createRangeSizer({ initial: 1000, max: 10_000, targetLogs: 1000 });
    sizer.refused(1000);
    expect(sizer.size).toBe(500);
    sizer.answered(500, 5000);
    expect(sizer.size).toBe(100);
    sizer.answered(100, 600);
    expect(sizer.size).toBe(100);
    for (let i = 0; i < 20; i++) sizer.refused(sizer.size);
    expect(sizer.size).toBe(1);
  });
});
