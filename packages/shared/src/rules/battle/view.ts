/**
 * Hidden information: what one player may see of a battle. The server keeps the full {@link BattleState} and sends
 * each player `viewBattle(state, seat)` and `projectEvent(event, seat)`.
 */

import type { BattleConfig, BattleEvent, BattleOutcome, BattleState, CardRef, Seat, Unit } from './types.ts';

/** One side as a given player sees it. Deck order is hidden from everyone, the opponent's hand too. */
export interface SeatView {
  readonly playerId: string;
  readonly health: number;
  readonly maxHealth: number;
  readonly energy: number;
  readonly maxEnergy: number;
  readonly deckCount: number;
  readonly handCount: number;
  /** The viewer's own hand; null for the opponent (instance ids would reveal cards, so none are sent). */
  readonly hand: readonly CardRef[] | null;
  readonly board: readonly Unit[];
  readonly graveyard: readonly CardRef[];
  readonly fatigue: number;
  readonly timeouts: number;
}

/** A player's view of a battle. */
export interface BattleView {
  readonly viewer: Seat;
  readonly config: BattleConfig;
  readonly first: Seat;
  readonly active: Seat;
  readonly turn: number;
  readonly turnStartedAt: number;
  /** When the active player's turn timer runs out (ms). */
  readonly turnEndsAt: number;
  readonly seats: readonly [SeatView, SeatView];
  readonly outcome: BattleOutcome | null;
}

/** A battle event as a given player may see it: the opponent's draws are hidden. */
export type BattleEventView = BattleEvent | { readonly type: 'card_drawn_hidden'; readonly seat: Seat };

/** Projects the state for `viewer`. */
export function viewBattle(state: BattleState, viewer: Seat): BattleView {
  const side = (seat: Seat): SeatView => {
    const p = state.seats[seat];
    return {
      playerId: p.playerId,
      health: p.health,
      maxHealth: p.maxHealth,
      energy: p.energy,
      maxEnergy: p.maxEnergy,
      deckCount: p.deck.length,
      handCount: p.hand.length,
      hand: seat === viewer ? p.hand.slice() : null,
      board: p.board.map((u) => ({ ...u })),
      graveyard: p.graveyard.slice(),
      fatigue: p.fatigue,
      timeouts: p.timeouts,
    };
  };
  return {
    viewer,
    config: state.config,
    first: state.first,
    active: state.active,
    turn: state.turn,
    turnStartedAt: state.turnStartedAt,
    turnEndsAt: state.turnStartedAt + state.config.turnSeconds * 1000,
    seats: [side(0), side(1)],
    outcome: state.outcome,
  };
}

/** Projects one event for `viewer`. Burned cards stay public, as in Hearthstone. */
export function projectEvent(event: BattleEvent, viewer: Seat): BattleEventView {
  if (event.type === 'card_drawn' && event.seat !== viewer) return { type: 'card_drawn_hidden', seat: event.seat };
  return event;
}
