/** Plays one simulated match between two decks with the greedy AI on both seats. */

import {
  applyBattle,
  type BattleConfig,
  type BattleEndReason,
  type CardDef,
  createBattle,
  createRngFromSeed,
  type Seat,
} from '@harvest/shared/rules';
import { greedyAction } from './ai.ts';

/** What the statistics need from one match. */
export interface MatchRecord {
  readonly winner: Seat | null;
  readonly first: Seat;
  readonly reason: BattleEndReason;
  readonly turns: number;
  readonly actions: number;
  /** Definitions each seat played at least once. */
  readonly played: readonly [readonly string[], readonly string[]];
  /** AI actions the engine refused (the AI should never make one; the runner ends the turn instead). */
  readonly refused: number;
}

/** Seconds of simulated clock per action (only used to give the engine a plausible `now`). */
const SECONDS_PER_ACTION = 4;
/** Hard stop for a runaway match (never expected: the turn limit ends every match). */
const MAX_ACTIONS = 5000;

/** Plays a match; decks are definition ids, instance ids are made up per seat. */
export function playMatch(
  config: BattleConfig,
  cards: Readonly<Record<string, CardDef>>,
  decks: readonly [readonly string[], readonly string[]],
  seed: string,
): MatchRecord {
  const rng = createRngFromSeed(seed);
  let now = 1_700_000_000_000;
  const deck = (p: number) => decks[p]?.map((def, i) => ({ uid: `s${p}c${i}`, def })) ?? [];
  const started = createBattle(
    {
      config,
      cards,
      players: [
        { playerId: 'sim-0', deck: deck(0) },
        { playerId: 'sim-1', deck: deck(1) },
      ],
    },
    { rng, now },
  );
  if (!started.ok) throw new Error(`cannot start match: ${started.violation.message}`);
  let state = started.state;
  const played: [Set<string>, Set<string>] = [new Set(), new Set()];
  let actions = 0;
  let refused = 0;
  while (state.outcome === null && actions < MAX_ACTIONS) {
    const action = greedyAction(state);
    now += SECONDS_PER_ACTION * 1000;
    const r = applyBattle(state, action, { rng, now });
    actions++;
    if (!r.ok) {
      refused++;
      const ended = applyBattle(state, { type: 'end_turn', seat: state.active }, { rng, now });
      if (!ended.ok) throw new Error(`end_turn refused: ${ended.violation.code}`);
      state = ended.state;
      continue;
    }
    if (action.type === 'play') {
      const ref = state.seats[action.seat].hand.find((c) => c.uid === action.uid);
      if (ref) played[action.seat].add(ref.def);
    }
    state = r.state;
  }
  const outcome = state.outcome;
  if (outcome === null) throw new Error('match did not finish');
  return {
    winner: outcome.winner,
    first: state.first,
    reason: outcome.reason,
    turns: outcome.turn,
    actions,
    played: [[...played[0]], [...played[1]]],
    refused,
  };
}
