/** The simulation report (the JSON twin of the HTML page). */

import { cardCatalog, estimateCard, type GameData } from '@harvest/shared/gamedata';
import type { CropEconomy } from '../economy.ts';
import type { SimDeck } from '../sim/decks.ts';
import type { SimulateResult } from '../sim/run.ts';

/** Win rate counts a draw as half a win. */
const rate = (wins: number, draws: number, games: number) => (games > 0 ? (wins + draws / 2) / games : null);
/** Half-width of a 95% normal-approximation interval. */
const margin = (p: number | null, n: number) => (p === null || n === 0 ? null : 1.96 * Math.sqrt((p * (1 - p)) / n));

/** Everything a designer reads off a simulation. */
export interface SimReport {
  readonly format: 1;
  readonly generatedAt: string;
  readonly contentHash: string;
  readonly seed: string;
  readonly settings: { readonly matches: number; readonly decks: number; readonly randomDecks: number; readonly workers: number };
  readonly performance: {
    readonly wallMs: number;
    /** Wall-clock throughput over all threads. */
    readonly matchesPerSecond: number;
    /** Throughput of one thread (one core): the figure to compare across machines. */
    readonly oneCoreMatchesPerSecond: number;
    readonly perThread: SimulateResult['perThread'];
  };
  readonly headline: {
    readonly matches: number;
    /** Share of matches won by the player who took turn 1. */
    readonly firstPlayerWinRate: number;
    readonly secondPlayerWinRate: number;
    readonly drawRate: number;
    readonly averageTurns: number;
    readonly medianTurns: number;
    readonly averageActions: number;
    readonly endReasons: Readonly<Record<string, number>>;
    /** AI actions the engine refused; must be 0 (a bug in the AI or the engine otherwise). */
    readonly refusedActions: number;
  };
  readonly decks: readonly {
    readonly id: string;
    readonly name: string;
    readonly elements: readonly string[];
    readonly cards: readonly string[];
    readonly games: number;
    readonly winRate: number | null;
    readonly margin: number | null;
  }[];
  /** `winRate[a][b]`: deck a's win rate against deck b (null: never met). */
  readonly matchups: { readonly decks: readonly string[]; readonly winRate: readonly (readonly (number | null)[])[] };
  readonly cards: readonly {
    readonly id: string;
    readonly name: string;
    readonly rarity: string;
    readonly element: string;
    readonly kind: string;
    readonly cost: number;
    /** Number of simulator decks that hold the card. */
    readonly decks: number;
    /** Games in which the card was in a deck (per side). */
    readonly games: number;
    /** Win rate of decks holding the card. */
    readonly winRate: number | null;
    readonly margin: number | null;
    /** Share of those games in which it was played at least once. */
    readonly playRate: number | null;
    /** Win rate in games where it was played. */
    readonly winRateWhenPlayed: number | null;
    /** Stat-budget estimate minus what its cost buys (see gamedata/balance.ts). */
    readonly curveDelta: number;
  }[];
  readonly turnHistogram: readonly { readonly turn: number; readonly matches: number }[];
  readonly economy: readonly CropEconomy[];
  /** Things a designer should look at (cards without games, data warnings). */
  readonly notes: readonly string[];
}

/** Builds the report from a finished simulation. */
export function buildReport(input: {
  readonly data: GameData;
  readonly contentHash: string;
  readonly seed: string;
  readonly decks: readonly SimDeck[];
  readonly randomDecks: number;
  readonly result: SimulateResult;
  readonly economy: readonly CropEconomy[];
  readonly now: number;
  readonly dataWarnings: readonly string[];
}): SimReport {
  const { data, decks, result } = input;
  const t = result.totals;
  const n = t.matches;
  const turns: number[] = [];
  t.turnHistogram.forEach((count, turn) => {
    for (let i = 0; i < (count ?? 0); i++) turns.push(turn);
  });
  const catalog = cardCatalog(data);
  const cards = data.cards
    .filter((c) => !c.token)
    .map((c) => {
      const k = t.cards[c.id] ?? { games: 0, wins: 0, draws: 0, playedGames: 0, playedWins: 0 };
      const wr = rate(k.wins, k.draws, k.games);
      return {
        id: c.id,
        name: c.name,
        rarity: c.rarity,
        element: c.element,
        kind: c.kind,
        cost: c.cost,
        decks: decks.filter((d) => d.cards.includes(c.id)).length,
        games: k.games,
        winRate: wr,
        margin: margin(wr, k.games),
        playRate: k.games > 0 ? k.playedGames / k.games : null,
        winRateWhenPlayed: k.playedGames > 0 ? k.playedWins / k.playedGames : null,
        curveDelta: estimateCard(c, catalog).delta,
      };
    })
    .sort((a, b) => (b.winRate ?? -1) - (a.winRate ?? -1) || (a.id < b.id ? -1 : 1));
  const perThread = result.perThread;
  const notes = [
    ...cards
      .filter((c) => c.games === 0)
      .map((c) => `${c.id} is in no simulator deck: no statistics (add random decks with --random-decks)`),
    ...input.dataWarnings,
  ];
  return {
    format: 1,
    generatedAt: new Date(input.now).toISOString(),
    contentHash: input.contentHash,
    seed: input.seed,
    settings: { matches: n, decks: decks.length, randomDecks: input.randomDecks, workers: result.workers },
    performance: {
      wallMs: result.wallMs,
      matchesPerSecond: (n / result.wallMs) * 1000,
      oneCoreMatchesPerSecond: perThread.reduce((s, p) => s + p.matchesPerSecond, 0) / perThread.length,
      perThread,
    },
    headline: {
      matches: n,
      firstPlayerWinRate: t.firstWins / n,
      secondPlayerWinRate: (n - t.firstWins - t.draws) / n,
      drawRate: t.draws / n,
      averageTurns: t.turnsSum / n,
      medianTurns: turns[Math.floor(turns.length / 2)] ?? 0,
      averageActions: t.actionsSum / n,
      endReasons: t.reasons,
      refusedActions: t.refused,
    },
    decks: decks
      .map((d, i) => {
        const s = t.decks[i] ?? { games: 0, wins: 0, draws: 0 };
        const wr = rate(s.wins, s.draws, s.games);
        return { id: d.id, name: d.name, elements: d.elements, cards: d.cards, games: s.games, winRate: wr, margin: margin(wr, s.games) };
      })
      .sort((a, b) => (b.winRate ?? -1) - (a.winRate ?? -1)),
    matchups: {
      decks: decks.map((d) => d.id),
      winRate: decks.map((_, a) =>
        decks.map((_, b) => {
          const games = t.matchupGames[a]?.[b] ?? 0;
          return games > 0 ? (t.matchupWins[a]?.[b] ?? 0) / games : null;
        }),
      ),
    },
    cards,
    turnHistogram: t.turnHistogram.flatMap((count, turn) => (count ? [{ turn, matches: count }] : [])),
    economy: input.economy,
    notes,
  };
}
