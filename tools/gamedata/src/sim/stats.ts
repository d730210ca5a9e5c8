/** Aggregated simulation statistics: additive counters, so worker results merge by addition. */

import type { SimDeck } from './decks.ts';
import type { MatchRecord } from './match.ts';

/** Counters for one card across all games where a deck held it. */
export interface CardCounters {
  games: number;
  wins: number;
  draws: number;
  /** Games in which the card was played at least once. */
  playedGames: number;
  playedWins: number;
}

/** Everything the report is computed from. */
export interface SimTotals {
  matches: number;
  draws: number;
  firstWins: number;
  turnsSum: number;
  actionsSum: number;
  refused: number;
  reasons: Record<string, number>;
  /** `turnHistogram[t]` = matches that ended on turn t. */
  turnHistogram: number[];
  /** Per deck index. */
  decks: { games: number; wins: number; draws: number }[];
  /** `matchupWins[a][b]` = wins of deck a against deck b; `matchupGames[a][b]` = games between them. */
  matchupWins: number[][];
  matchupGames: number[][];
  cards: Record<string, CardCounters>;
}

/** Empty counters for `deckCount` decks. */
export function emptyTotals(deckCount: number): SimTotals {
  const grid = () => Array.from({ length: deckCount }, () => new Array<number>(deckCount).fill(0));
  return {
    matches: 0,
    draws: 0,
    firstWins: 0,
    turnsSum: 0,
    actionsSum: 0,
    refused: 0,
    reasons: {},
    turnHistogram: [],
    decks: Array.from({ length: deckCount }, () => ({ games: 0, wins: 0, draws: 0 })),
    matchupWins: grid(),
    matchupGames: grid(),
    cards: {},
  };
}

/** Adds one match between deck indexes `seatDecks[0]` (seat 0) and `seatDecks[1]` (seat 1). */
export function addMatch(t: SimTotals, decks: readonly SimDeck[], seatDecks: readonly [number, number], m: MatchRecord): void {
  t.matches++;
  t.turnsSum += m.turns;
  t.actionsSum += m.actions;
  t.refused += m.refused;
  t.reasons[m.reason] = (t.reasons[m.reason] ?? 0) + 1;
  t.turnHistogram[m.turns] = (t.turnHistogram[m.turns] ?? 0) + 1;
  if (m.winner === null) t.draws++;
  else if (m.winner === m.first) t.firstWins++;
  for (const seat of [0, 1] as const) {
    const di = seatDecks[seat];
    const oi = seatDecks[seat === 0 ? 1 : 0];
    const won = m.winner === seat;
    const drew = m.winner === null;
    const d = t.decks[di] as SimTotals['decks'][number];
    d.games++;
    if (won) d.wins++;
    if (drew) d.draws++;
    (t.matchupGames[di] as number[])[oi] = ((t.matchupGames[di] as number[])[oi] ?? 0) + 1;
    if (won) (t.matchupWins[di] as number[])[oi] = ((t.matchupWins[di] as number[])[oi] ?? 0) + 1;
    const played = new Set(m.played[seat]);
    for (const id of new Set((decks[di] as SimDeck).cards)) {
      const c = t.cards[id] ?? { games: 0, wins: 0, draws: 0, playedGames: 0, playedWins: 0 };
      t.cards[id] = c;
      c.games++;
      if (won) c.wins++;
      if (drew) c.draws++;
      if (played.has(id)) {
        c.playedGames++;
        if (won) c.playedWins++;
      }
    }
  }
}

/** Adds `b` into `a` (same deck list). */
export function mergeTotals(a: SimTotals, b: SimTotals): SimTotals {
  a.matches += b.matches;
  a.draws += b.draws;
  a.firstWins += b.firstWins;
  a.turnsSum += b.turnsSum;
  a.actionsSum += b.actionsSum;
  a.refused += b.refused;
  for (const [k, v] of Object.entries(b.reasons)) a.reasons[k] = (a.reasons[k] ?? 0) + v;
  b.turnHistogram.forEach((v, i) => {
    if (v) a.turnHistogram[i] = (a.turnHistogram[i] ?? 0) + v;
  });
  b.decks.forEach((d, i) => {
    const x = a.decks[i] as SimTotals['decks'][number];
    x.games += d.games;
    x.wins += d.wins;
    x.draws += d.draws;
  });
  for (const [grid, into] of [
    [b.matchupWins, a.matchupWins],
    [b.matchupGames, a.matchupGames],
  ] as const) {
    grid.forEach((row, i) => {
      const target = into[i] as number[];
      row.forEach((v, j) => {
        target[j] = (target[j] ?? 0) + v;
      });
    });
  }
  for (const [id, c] of Object.entries(b.cards)) {
    const x = a.cards[id] ?? { games: 0, wins: 0, draws: 0, playedGames: 0, playedWins: 0 };
    a.cards[id] = x;
    x.games += c.games;
    x.wins += c.wins;
    x.draws += c.draws;
    x.playedGames += c.playedGames;
    x.playedWins += c.playedWins;
  }
  return a;
}
