/**
 * A greedy battle AI (first written for the balance simulator; also the bot client's brain). It reads only what
 * a player sees, a {@link BattleView} for its own seat plus the public card catalogue, so the same code plays for
 * the simulator (which projects the full state) and for a bot over the network. Each call returns one action for
 * the active seat:
 * 1. play the most expensive useful card it can afford (spells only when they have a sensible target);
 * 2. attack with each ready unit: Guard first, lethal to the face, favourable trades, otherwise the face;
 * 3. end the turn.
 */

import type { CardDef, Keywords } from '../cards.ts';
import type { BattleAction, Seat, Target, Unit } from './types.ts';
import type { BattleView } from './view.ts';

const NO_KEYWORDS: Keywords = Object.freeze({});

function keywords(cards: Readonly<Record<string, CardDef>>, defId: string): Keywords {
  const def = cards[defId];
  return def !== undefined && def.kind === 'unit' ? def.keywords : NO_KEYWORDS;
}

/** The same attack the engine computes (base attack plus one per other Rally unit on the side). */
function attackOf(cards: Readonly<Record<string, CardDef>>, board: readonly Unit[], unit: Unit): number {
  let rally = 0;
  for (const other of board) if (other !== unit && keywords(cards, other.def).rally) rally++;
  return unit.attack + rally;
}

interface Ctx {
  readonly view: BattleView;
  readonly cards: Readonly<Record<string, CardDef>>;
  readonly seat: Seat;
  readonly foe: Seat;
}

function boardOf(ctx: Ctx, u: Unit): readonly Unit[] {
  return ctx.view.seats[0].board.includes(u) ? ctx.view.seats[0].board : ctx.view.seats[1].board;
}

const power = (ctx: Ctx, u: Unit) => attackOf(ctx.cards, boardOf(ctx, u), u);
const unitValue = (ctx: Ctx, u: Unit) => power(ctx, u) + u.health + (u.shield ? 2 : 0);

function chooseSpellTarget(ctx: Ctx, def: Extract<CardDef, { kind: 'spell' }>): Target | null | 'skip' {
  const { view, seat, foe } = ctx;
  const me = view.seats[seat];
  const them = view.seats[foe];
  const e = def.effect;
  switch (e.type) {
    case 'damage': {
      if (them.health <= e.amount) return { kind: 'hero', seat: foe };
      let best: Unit | null = null;
      for (const u of them.board) {
        if (!u.shield && u.health <= e.amount && (best === null || unitValue(ctx, u) > unitValue(ctx, best))) best = u;
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
      const best = me.board.slice().sort((a, b) => Number(b.canAttack) - Number(a.canAttack) || unitValue(ctx, b) - unitValue(ctx, a))[0];
      return best ? { kind: 'unit', uid: best.uid } : 'skip';
    }
    case 'draw':
      return me.handCount - 1 + e.count <= view.config.handLimit && me.deckCount > 0 ? null : 'skip';
    case 'summon':
      return me.board.length < view.config.boardLimit ? null : 'skip';
  }
}

function choosePlay(ctx: Ctx): BattleAction | null {
  const { view, seat, cards } = ctx;
  const me = view.seats[seat];
  let best: { action: BattleAction; cost: number } | null = null;
  for (const card of me.hand ?? []) {
    const def = cards[card.def];
    if (def === undefined || def.cost > me.energy || (best && def.cost <= best.cost)) continue;
    if (def.kind === 'unit') {
      if (me.board.length < view.config.boardLimit) best = { action: { type: 'play', seat, uid: card.uid }, cost: def.cost };
      continue;
    }
    const target = chooseSpellTarget(ctx, def);
    if (target === 'skip') continue;
    best = { action: target ? { type: 'play', seat, uid: card.uid, target } : { type: 'play', seat, uid: card.uid }, cost: def.cost };
  }
  return best?.action ?? null;
}

function chooseAttack(ctx: Ctx): BattleAction | null {
  const { view, seat, foe, cards } = ctx;
  const me = view.seats[seat];
  const them = view.seats[foe];
  const ready = me.board.filter((u) => u.canAttack && power(ctx, u) > 0);
  if (ready.length === 0) return null;
  const guards = them.board.filter((u) => keywords(cards, u.def).guard);
  const attacker = ready.slice().sort((a, b) => power(ctx, b) - power(ctx, a))[0] as Unit;
  const hit = power(ctx, attacker);
  const kills = (u: Unit) => !u.shield && hit >= u.health;
  if (guards.length > 0) {
    const target = guards.find(kills) ?? (guards.slice().sort((a, b) => a.health - b.health)[0] as Unit);
    return { type: 'attack', seat, attacker: attacker.uid, target: { kind: 'unit', uid: target.uid } };
  }
  const totalPower = ready.reduce((s, u) => s + power(ctx, u), 0);
  if (totalPower >= them.health) return { type: 'attack', seat, attacker: attacker.uid, target: { kind: 'hero', seat: foe } };
  let trade: Unit | null = null;
  for (const u of them.board) {
    if (!kills(u)) continue;
    const back = power(ctx, u) + (keywords(cards, u.def).thorns ?? 0);
    const survives = attacker.shield || back < attacker.health;
    const worthIt = survives || unitValue(ctx, u) >= unitValue(ctx, attacker);
    if (worthIt && (trade === null || unitValue(ctx, u) > unitValue(ctx, trade))) trade = u;
  }
  if (trade) return { type: 'attack', seat, attacker: attacker.uid, target: { kind: 'unit', uid: trade.uid } };
  return { type: 'attack', seat, attacker: attacker.uid, target: { kind: 'hero', seat: foe } };
}

/**
 * The greedy AI's next action for the viewer's seat, which must be the active one (always legal for a running
 * match seen from that seat). `cards` must hold every definition the view shows (the public catalogue does).
 */
export function chooseGreedyAction(view: BattleView, cards: Readonly<Record<string, CardDef>>): BattleAction {
  const seat = view.viewer;
  const ctx: Ctx = { view, cards, seat, foe: seat === 0 ? 1 : 0 };
  return choosePlay(ctx) ?? chooseAttack(ctx) ?? { type: 'end_turn', seat };
}
