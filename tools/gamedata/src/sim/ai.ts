/**
 * A greedy AI for the balance simulator. It sees only what a player sees (its hand, both boards, both heroes),
 * and each call returns one action for the active seat:
 * 1. play the most expensive useful card it can afford (spells only when they have a sensible target);
 * 2. attack with each ready unit: Guard first, lethal to the face, favourable trades, otherwise the face;
 * 3. end the turn.
 */

import {
  type BattleAction,
  type BattleState,
  type CardDef,
  effectiveAttack,
  keywordsOf,
  opponentOf,
  type Seat,
  type Target,
  type Unit,
} from '@harvest/shared/rules';

const unitValue = (state: BattleState, u: Unit) => effectiveAttack(state, u.uid) + u.health + (u.shield ? 2 : 0);

function chooseSpellTarget(state: BattleState, seat: Seat, def: Extract<CardDef, { kind: 'spell' }>): Target | null | 'skip' {
  const me = state.seats[seat];
  const foe = opponentOf(seat);
  const them = state.seats[foe];
  const e = def.effect;
  switch (e.type) {
    case 'damage': {
      if (them.health <= e.amount) return { kind: 'hero', seat: foe };
      let best: Unit | null = null;
      for (const u of them.board) {
        if (!u.shield && u.health <= e.amount && (best === null || unitValue(state, u) > unitValue(state, best))) best = u;
      }
      if (best) return { kind: 'unit', uid: best.uid };
      return { kind: 'hero', seat: foe };
    }
    case 'heal': {
      if (me.maxHealth - me.health >= Math.min(e.amount, 4)) return { kind: 'hero', seat };
      const hurt = me.board.filter((u) => u.maxHealth - u.health >= 2).sort((a, b) => b.maxHealth - b.health - (a.maxHealth - a.health))[0];
      return hurt ? { kind: 'unit', uid: hurt.uid } : 'skip';
    }
    case 'buff': {
      const best = me.board
        .slice()
        .sort((a, b) => Number(b.canAttack) - Number(a.canAttack) || unitValue(state, b) - unitValue(state, a))[0];
      return best ? { kind: 'unit', uid: best.uid } : 'skip';
    }
    case 'draw':
      return me.hand.length - 1 + e.count <= state.config.handLimit && me.deck.length > 0 ? null : 'skip';
    case 'summon':
      return me.board.length < state.config.boardLimit ? null : 'skip';
  }
}

function choosePlay(state: BattleState, seat: Seat): BattleAction | null {
  const me = state.seats[seat];
  let best: { action: BattleAction; cost: number } | null = null;
  for (const card of me.hand) {
    const def = state.cards[card.def];
    if (def === undefined || def.cost > me.energy || (best && def.cost <= best.cost)) continue;
    if (def.kind === 'unit') {
      if (me.board.length < state.config.boardLimit) best = { action: { type: 'play', seat, uid: card.uid }, cost: def.cost };
      continue;
    }
    const target = chooseSpellTarget(state, seat, def);
    if (target === 'skip') continue;
    best = { action: target ? { type: 'play', seat, uid: card.uid, target } : { type: 'play', seat, uid: card.uid }, cost: def.cost };
  }
  return best?.action ?? null;
}

function chooseAttack(state: BattleState, seat: Seat): BattleAction | null {
  const me = state.seats[seat];
  const foe = opponentOf(seat);
  const them = state.seats[foe];
  const ready = me.board.filter((u) => u.canAttack && effectiveAttack(state, u.uid) > 0);
  if (ready.length === 0) return null;
  const guards = them.board.filter((u) => keywordsOf(state.cards, u.def).guard);
  const attacker = ready.slice().sort((a, b) => effectiveAttack(state, b.uid) - effectiveAttack(state, a.uid))[0] as Unit;
  const power = effectiveAttack(state, attacker.uid);
  const kills = (u: Unit) => !u.shield && power >= u.health;
  if (guards.length > 0) {
    const target = guards.find(kills) ?? (guards.slice().sort((a, b) => a.health - b.health)[0] as Unit);
    return { type: 'attack', seat, attacker: attacker.uid, target: { kind: 'unit', uid: target.uid } };
  }
  const totalPower = ready.reduce((s, u) => s + effectiveAttack(state, u.uid), 0);
  if (totalPower >= them.health) return { type: 'attack', seat, attacker: attacker.uid, target: { kind: 'hero', seat: foe } };
  let trade: Unit | null = null;
  for (const u of them.board) {
    if (!kills(u)) continue;
    const back = effectiveAttack(state, u.uid) + (keywordsOf(state.cards, u.def).thorns ?? 0);
    const survives = attacker.shield || back < attacker.health;
    const worthIt = survives || unitValue(state, u) >= unitValue(state, attacker);
    if (worthIt && (trade === null || unitValue(state, u) > unitValue(state, trade))) trade = u;
  }
  if (trade) return { type: 'attack', seat, attacker: attacker.uid, target: { kind: 'unit', uid: trade.uid } };
  return { type: 'attack', seat, attacker: attacker.uid, target: { kind: 'hero', seat: foe } };
}

/** The greedy AI's next action for the active seat (always legal for a running match). */
export function greedyAction(state: BattleState): BattleAction {
  const seat = state.active;
  return choosePlay(state, seat) ?? chooseAttack(state, seat) ?? { type: 'end_turn', seat };
}
