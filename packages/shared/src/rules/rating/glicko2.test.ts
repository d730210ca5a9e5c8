import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GLICKO2_DEFAULT, rateGame, updateGlicko2 } from './glicko2.ts';

describe('Glicko-2', () => {
  it("reproduces the worked example of Glickman's paper", () => {
    // Player 1500/200/0.06 beats 1400/30, loses to 1550/100 and 1700/300 (tau 0.5):
    // the paper gives r' = 1464.06, RD' = 151.52, sigma' = 0.05999.
    const after = updateGlicko2({ rating: 1500, rd: 200, volatility: 0.06 }, [
      { opponent: { rating: 1400, rd: 30, volatility: 0.06 }, score: 1 },
      { opponent: { rating: 1550, rd: 100, volatility: 0.06 }, score: 0 },
      { opponent: { rating: 1700, rd: 300, volatility: 0.06 }, score: 0 },
    ]);
    expect(after.rating).toBeCloseTo(1464.06, 1);
    expect(after.rd).toBeCloseTo(151.52, 1);
    // The paper prints sigma' truncated to 0.05999; the computed value is 0.0599960.
    expect(after.volatility).toBeCloseTo(0.05999, 4);
    expect(after.volatility).toBeLessThan(0.06);
  });

  it('grows only the deviation in a period without games', () => {
    const after = updateGlicko2({ rating: 1600, rd: 100, volatility: 0.06 }, []);
    expect(after.rating).toBe(1600);
    expect(after.rd).toBeGreaterThan(100);
    expect(updateGlicko2(GLICKO2_DEFAULT, []).rd).toBe(350);
  });

  it('moves winner up and loser down, symmetric for equal players; a draw between equals changes no rating', () => {
    const [w, l] = rateGame(GLICKO2_DEFAULT, GLICKO2_DEFAULT, 1);
    expect(w.rating).toBeGreaterThan(1500);
    expect(l.rating).toBeLessThan(1500);
    expect(w.rating - 1500).toBeCloseTo(1500 - l.rating, 6);
    const [d1, d2] = rateGame(GLICKO2_DEFAULT, GLICKO2_DEFAULT, 0.5);
    expect(d1.rating).toBeCloseTo(1500, 6);
    expect(d2.rating).toBeCloseTo(1500, 6);
  });

  it('keeps ratings finite and deviations within (0, 350] for any game', () => {
    const rating = fc.record({
      rating: fc.double({ min: 100, max: 3000, noNaN: true }),
      rd: fc.double({ min: 30, max: 350, noNaN: true }),
      volatility: fc.double({ min: 0.03, max: 0.1, noNaN: true }),
    });
    fc.assert(
      fc.property(rating, rating, fc.constantFrom(0 as const, 0.5 as const, 1 as const), (a, b, s) => {
        for (const r of rateGame(a, b, s)) {
          expect(Number.isFinite(r.rating)).toBe(true);
          expect(r.rd > 0 && r.rd <= 350).toBe(true);
          expect(r.volatility > 0).toBe(true);
        }
        const [a2] = rateGame(a, b, s);
        if (s === 1) expect(a2.rating).toBeGreaterThanOrEqual(a.rating);
        if (s === 0) expect(a2.rating).toBeLessThanOrEqual(a.rating);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses impossible inputs', () => {
    expect(() => updateGlicko2({ rating: 1500, rd: 0, volatility: 0.06 }, [])).toThrow(RangeError);
    expect(() => updateGlicko2(GLICKO2_DEFAULT, [{ opponent: GLICKO2_DEFAULT, score: 2 as 1 }])).toThrow(RangeError);
  });
});
