/**
 * The simulator's player: the greedy AI of `@harvest/shared/rules` (shared with the bot client), given the view the
 * active seat has of the full state, so the simulator's AI sees exactly what a player sees.
 */

import { type BattleAction, type BattleState, chooseGreedyAction, viewBattle } from '@harvest/shared/rules';

/** The greedy AI's next action for the active seat (always legal for a running match). */
export function greedyAction(state: BattleState): BattleAction {
  return chooseGreedyAction(viewBattle(state, state.active), state.cards);
}
