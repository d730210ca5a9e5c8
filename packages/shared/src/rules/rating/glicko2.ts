/**
 * Glicko-2 ratings (Mark E. Glickman, "Example of the Glicko-2 system", 2013): a rating, a rating deviation (how
 * sure we are of it) and a volatility (how erratic the player is). Pure arithmetic, no I/O.
 *
 * Ranked play treats each settled match as one rating period for both players (the common practice for online
 * games, where periods of fixed length would delay every update), so `games` usually holds one game. With no game
 * in the period only the deviation grows (step 6 of the paper).
 */

/** A player's rating on the Glicko scale (new players: 1500, 350, 0.06). */
export interface Glicko2Rating {
  readonly rating: number;
  /** Rating deviation. */
  readonly rd: number;
  readonly volatility: number;
}

/** One game of the rating period: the opponent's rating before the period and the score (1 win, 0.5 draw, 0 loss). */
export interface Glicko2Game {
  readonly opponent: Glicko2Rating;
  readonly score: 0 | 0.5 | 1;
}

/** System constants. */
export interface Glicko2Options {
  /** Constrains the change of volatility over time (the paper suggests 0.3-1.2; default 0.5). */
  readonly tau?: number;
  /** Convergence tolerance of the volatility iteration (default 1e-6, as in the paper). */
  readonly epsilon?: number;
  /** Deviation never rises above this (default 350, a new player's). */
  readonly maxRd?: number;
}

/** The rating of a player who never played. */
export const GLICKO2_DEFAULT: Glicko2Rating = Object.freeze({ rating: 1500, rd: 350, volatility: 0.06 });

/** Conversion factor between the Glicko and Glicko-2 scales. */
const SCALE = 173.7178;

const g = (phi: number) => 1 / Math.sqrt(1 + (3 * phi * phi) / (Math.PI * Math.PI));
const expected = (mu: number, muJ: number, phiJ: number) => 1 / (1 + Math.exp(-g(phiJ) * (mu - muJ)));

/**
 * The player's rating after one rating period (steps 1-8 of the paper; the volatility by the Illinois algorithm).
 * @throws RangeError for a non-positive deviation or volatility, or a score other than 0, 0.5 or 1.
 */
export function updateGlicko2(player: Glicko2Rating, games: readonly Glicko2Game[], options: Glicko2Options = {}): Glicko2Rating {
  const tau = options.tau ?? 0.5;
  const epsilon = options.epsilon ?? 1e-6;
  const maxRd = options.maxRd ?? 350;
  if (!(player.rd > 0) || !(player.volatility > 0)) throw new RangeError('rating deviation and volatility must be positive');
  // Step 2: to the Glicko-2 scale.
  const mu = (player.rating - 1500) / SCALE;
  const phi = player.rd / SCALE;
  const sigma = player.volatility;
  if (games.length === 0) {
    // Step 6 only: the deviation grows with the volatility.
    const grown = Math.sqrt(phi * phi + sigma * sigma) * SCALE;
    return { rating: player.rating, rd: Math.min(maxRd, grown), volatility: sigma };
  }
  // Steps 3 and 4: the estimated variance v and the improvement delta.
  let vInverse = 0;
  let sum = 0;
  for (const game of games) {
    if (game.score !== 0 && game.score !== 0.5 && game.score !== 1) throw new RangeError('a score is 0, 0.5 or 1');
    if (!(game.opponent.rd > 0)) throw new RangeError('rating deviation must be positive');
    const muJ = (game.opponent.rating - 1500) / SCALE;
    const phiJ = game.opponent.rd / SCALE;
    const gJ = g(phiJ);
    const e = expected(mu, muJ, phiJ);
    vInverse += gJ * gJ * e * (1 - e);
    sum += gJ * (game.score - e);
  }
  const v = 1 / vInverse;
  const delta = v * sum;
  // Step 5: the new volatility, solving f(x) = 0 by the Illinois algorithm.
  const a = Math.log(sigma * sigma);
  const f = (x: number) => {
    const ex = Math.exp(x);
    const d = phi * phi + v + ex;
    return (ex * (delta * delta - phi * phi - v - ex)) / (2 * d * d) - (x - a) / (tau * tau);
  };
  let lo = a;
  let hi: number;
  if (delta * delta > phi * phi + v) {
    hi = Math.log(delta * delta - phi * phi - v);
  } else {
    let k = 1;
    while (f(a - k * tau) < 0) k++;
    hi = a - k * tau;
  }
  let fLo = f(lo);
  let fHi = f(hi);
  while (Math.abs(hi - lo) > epsilon) {
    const c = lo + ((lo - hi) * fLo) / (fHi - fLo);
    const fC = f(c);
    if (fC * fHi <= 0) {
      lo = hi;
      fLo = fHi;
    } else {
      fLo /= 2;
    }
    hi = c;
    fHi = fC;
  }
  const sigmaNew = Math.exp(lo / 2);
  // Steps 6 and 7: the new deviation and rating.
  const phiStar = Math.sqrt(phi * phi + sigmaNew * sigmaNew);
  const phiNew = 1 / Math.sqrt(1 / (phiStar * phiStar) + 1 / v);
  const muNew = mu + phiNew * phiNew * sum;
  // Step 8: back to the Glicko scale.
  return { rating: muNew * SCALE + 1500, rd: Math.min(maxRd, phiNew * SCALE), volatility: sigmaNew };
}

/** Both players' new ratings after one game between them (`scoreA`: 1 if A won, 0.5 draw, 0 if B won). */
export function rateGame(
  a: Glicko2Rating,
  b: Glicko2Rating,
  scoreA: 0 | 0.5 | 1,
  options: Glicko2Options = {},
): readonly [Glicko2Rating, Glicko2Rating] {
  const scoreB = (1 - scoreA) as 0 | 0.5 | 1;
  return [updateGlicko2(a, [{ opponent: b, score: scoreA }], options), updateGlicko2(b, [{ opponent: a, score: scoreB }], options)];
}
