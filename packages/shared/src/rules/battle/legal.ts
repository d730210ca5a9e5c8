/**
 * Enumerates the moves the active player may make, for AI players, bots, tests and client hints.
 */

import { effectiveAttack, keywordsOf, opponentOf } from './engine.ts';
import type { BattleAction, BattleState, Target } from './types.ts';

/**
 * Every legal `play`, `attack` and `end_turn` for the active player (no server or meta actions: `timeout`,
 * `concede`, `forfeit`). Copies of the same definition in hand are listed once (playing either is the same move);
 * units are listed at the rightmost position only (position has no rules effect). Empty once the match ended.
 */
export function listLegalActions(state: BattleState): BattleAction[] {
  if (state.outcome) return [];
  const seat = state.active;
  const foe = opponentOf(seat);
  const me = state.seats[seat];
  const them = state.seats[foe];
  const out: BattleAction[] = [];

  const allUnits: Target[] = [];
  for (const side of state.seats) for (const u of side.board) allUnits.push({ kind: 'unit', uid: u.uid });
  const everyone: Target[] = [{ kind: 'hero', seat: 0 }, { kind: 'hero', seat: 1 }, ...allUnits];

  const seenDefs = new Set<string>();
  for (const card of me.hand) {
    if (seenDefs.has(card.def)) continue;
    seenDefs.add(card.def);
    const def = state.cards[card.def];
    if (def === undefined || def.cost > me.energy) continue;
    if (def.kind === 'unit') {
      if (me.board.length < state.config.boardLimit) out.push({ type: 'play', seat, uid: card.uid });
      continue;
    }
    const kind = def.effect.type;
    if (kind === 'draw' || kind === 'summon') out.push({ type: 'play', seat, uid: card.uid });
    else for (const target of kind === 'buff' ? allUnits : everyone) out.push({ type: 'play', seat, uid: card.uid, target });
  }

  const guards = them.board.filter((u) => keywordsOf(state.cards, u.def).guard);
  const attackTargets: Target[] =
    guards.length > 0
      ? guards.map((u) => ({ kind: 'unit', uid: u.uid }))
      : [{ kind: 'hero', seat: foe }, ...them.board.map((u): Target => ({ kind: 'unit', uid: u.uid }))];
  for (const unit of me.board) {
    if (!unit.canAttack || effectiveAttack(state, unit.uid) <= 0) continue;
    for (const target of attackTargets) out.push({ type: 'attack', seat, attacker: unit.uid, target });
  }
  out.push({ type: 'end_turn', seat });
  return out;
}
