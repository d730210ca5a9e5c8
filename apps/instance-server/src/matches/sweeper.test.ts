import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HEARTBEAT_SLICES, heartbeatSlice } from './sweeper.ts';

describe('heartbeat slices', () => {
  it('puts every live match in exactly one slice, and spreads them', () => {
    const ids = Array.from({ length: 2000 }, () => randomUUID());
    const slices = Array.from({ length: HEARTBEAT_SLICES }, (_, i) => heartbeatSlice(ids, i));
    expect(slices.flat().sort()).toEqual([...ids].sort());
    // A uniform split gives 200 each; random ids stay well inside 100-300.
    for (const slice of slices) expect(slice.length).toBeGreaterThan(100);
    for (const slice of slices) expect(slice.length).toBeLessThan(300);
  });
});
