/**
 * The battle rules: `createBattle(setup, ctx)` and `applyBattle(state, action, ctx)`.
 *
 * Turn structure (GAME.md): at the start of a turn the active player's maximum energy rises by 1 (cap
 * `config.maxEnergy`), energy refills, their units become ready, Bloom units grow, then they draw 1. They play cards
 * and attack, then end the turn (or the server times them out). Where GAME.md is silent we follow Hearthstone:
 * - start-of-turn effects (Bloom) happen before the draw;
 * - there is no mulligan and no coin for the second player (GAME.md: the second player starts with one more card);
 * - heroes do not attack; attacks are made by units, once per turn each, and a unit with 0 attack cannot attack;
 * - combat damage is simultaneous: the attacker hits, the defender strikes back, then Thorns hits the attacker;
 * - spells may target either side and ignore Guard; Guard only constrains attacks;
 * - deaths are resolved after the whole action, the active player's units first, each board left to right;
 * - a hero at 0 health or less loses; if both heroes fall in the same action the match is a draw;
 * - after the turn-limit turn ends, the higher hero health wins, equal health is a draw.
 *
 * Randomness: the deck shuffles and the first-player draw in `createBattle`, and Volley's target when a Volley unit
 * is played. Nothing else draws, and a refused action draws nothing.
 */

import type { CardDef, Keywords } from '../cards.ts';
import { type RuleContext, type RuleResult, violation } from '../core/result.ts';
import { shuffleInPlace } from '../core/rng.ts';
import type {
  BattleAction,
  BattleEndReason,
  BattleEvent,
  BattleOutcome,
  BattleSetup,
  BattleState,
  BattleViolationCode,
  CardRef,
  Seat,
  SeatState,
  Target,
  Unit,
} from './types.ts';

/** The result of a battle rule. */
export type BattleResult = RuleResult<BattleState, BattleEvent, BattleViolationCode>;

/** Prefix of instance ids the engine gives to tokens; deck cards must not use it. */
export const TOKEN_UID_PREFIX = 'token:';

const NO_KEYWORDS: Keywords = Object.freeze({});

/**
 * The next state while an action builds it, copy-on-write: it starts as a shallow copy of the input state that
 * shares both seats, their zones and their units with it, and each part is copied the first time the action changes
 * it (seatOf, zone, boardUnits). The input state is never changed, and the parts an action does not
 * touch are shared by both states: a play copies one seat, its hand and its board, not both seats' every zone.
 * `own` says which parts this draft already copied (a bit per seat); it is dropped from the state returned.
 */
interface Draft {
  v: 1;
  config: BattleState['config'];
  cards: BattleState['cards'];
  seats: [SeatState, SeatState];
  first: Seat;
  active: Seat;
  turn: number;
  turnStartedAt: number;
  nextToken: number;
  outcome: BattleOutcome | null;
  own: Owned;
}

/** Parts of a draft copied for it, a bit per seat (1: seat 0, 2: seat 1); `units`: the board's unit objects. */
interface Owned {
  seats: number;
  deck: number;
  hand: number;
  board: number;
  units: number;
  graveyard: number;
}

type Zone = 'deck' | 'hand' | 'board' | 'graveyard';

/** The other seat. */
export function opponentOf(seat: Seat): Seat {
  return seat === 0 ? 1 : 0;
}

function draftOf(s: BattleState): Draft {
  return { ...s, seats: [s.seats[0], s.seats[1]], own: { seats: 0, deck: 0, hand: 0, board: 0, units: 0, graveyard: 0 } };
}

/** The draft's state as the action's result (without its bookkeeping). */
function done(d: Draft, events: BattleEvent[]): BattleResult {
  const { own: _own, ...state } = d;
  return { ok: true, state, events };
}

/** The seat, copied for this draft the first time (its zones still shared until `zone` or `boardUnits`). */
function seatOf(d: Draft, seat: Seat): SeatState {
  const bit = seat + 1;
  if ((d.own.seats & bit) === 0) {
    d.seats[seat] = { ...d.seats[seat] };
    d.own.seats |= bit;
  }
  return d.seats[seat];
}

/** A seat's deck, hand, board or graveyard array, copied for this draft the first time (a board's units stay shared). */
function zone<Z extends Zone>(d: Draft, seat: Seat, z: Z): SeatState[Z] {
  const bit = seat + 1;
  const p = seatOf(d, seat);
  if ((d.own[z] & bit) === 0) {
    p[z] = p[z].slice() as SeatState[Z];
    d.own[z] |= bit;
  }
  return p[z];
}

/** A seat's board with its units copied for this draft the first time (to change the units). */
function boardUnits(d: Draft, seat: Seat): Unit[] {
  const bit = seat + 1;
  const board = zone(d, seat, 'board');
  if ((d.own.units & bit) === 0) {
    for (let i = 0; i < board.length; i++) board[i] = { ...(board[i] as Unit) };
    d.own.units |= bit;
  }
  return board;
}

/** The unit with this id, copied for this draft (callers have checked that it exists). */
function unitToChange(d: Draft, uid: string): Unit {
  const found = findUnit(d, uid) as { seat: Seat; index: number };
  return boardUnits(d, found.seat)[found.index] as Unit;
}

/** Keywords of a card definition (none for spells or unknown ids). */
export function keywordsOf(cards: BattleState['cards'], defId: string): Keywords {
  const def = cards[defId];
  return def !== undefined && def.kind === 'unit' ? def.keywords : NO_KEYWORDS;
}

function attackOn(cards: BattleState['cards'], board: readonly Unit[], unit: Unit): number {
  let rally = 0;
  for (const other of board) if (other !== unit && keywordsOf(cards, other.def).rally) rally++;
  return unit.attack + rally;
}

/** A unit's attack including Rally auras from the other units on its side. */
export function effectiveAttack(state: BattleState, uid: string): number {
  for (const side of state.seats) {
    const unit = side.board.find((u) => u.uid === uid);
    if (unit) return attackOn(state.cards, side.board, unit);
  }
  return 0;
}

function findUnit(d: { seats: readonly [SeatState, SeatState] }, uid: string): { seat: Seat; index: number; unit: Unit } | null {
  for (const seat of [0, 1] as const) {
    const board = d.seats[seat].board;
    for (let i = 0; i < board.length; i++) {
      const unit = board[i] as Unit;
      if (unit.uid === uid) return { seat, index: i, unit };
    }
  }
  return null;
}

function isSeat(x: unknown): x is Seat {
  return x === 0 || x === 1;
}

/** Resolves an untrusted target against the state; null if it names nothing. */
function resolveTarget(s: BattleState, target: unknown): Target | null {
  if (typeof target !== 'object' || target === null) return null;
  const t = target as { kind?: unknown; seat?: unknown; uid?: unknown };
  if (t.kind === 'hero' && isSeat(t.seat)) return { kind: 'hero', seat: t.seat };
  if (t.kind === 'unit' && typeof t.uid === 'string' && findUnit(s, t.uid)) return { kind: 'unit', uid: t.uid };
  return null;
}

// ---- effects on a draft (callers have validated) -------------------------------------------------------------

function finish(d: Draft, winner: Seat | null, reason: BattleEndReason, ev: BattleEvent[]): void {
  if (d.outcome) return;
  d.outcome = { winner, reason, turn: d.turn };
  ev.push({ type: 'battle_ended', winner, reason });
}

function healHero(d: Draft, seat: Seat, amount: number, ev: BattleEvent[]): void {
  const p = d.seats[seat];
  const healed = Math.min(amount, p.maxHealth - p.health);
  if (healed <= 0) return;
  seatOf(d, seat).health += healed;
  ev.push({ type: 'healed', target: { kind: 'hero', seat }, amount: healed });
}

/** Applies Drain: damage dealt by a Drain unit heals the hero of the unit's side. */
function drain(d: Draft, seat: Seat, source: Unit, dealt: number, ev: BattleEvent[]): void {
  if (dealt > 0 && keywordsOf(d.cards, source.def).drain) healHero(d, seat, dealt, ev);
}

function damageHero(d: Draft, seat: Seat, amount: number, source: string | null, ev: BattleEvent[]): number {
  if (amount <= 0) return 0;
  seatOf(d, seat).health -= amount;
  ev.push({ type: 'damaged', target: { kind: 'hero', seat }, amount, source });
  return amount;
}

/**
 * Damages a unit (one of the draft's own copies: boardUnits, unitToChange); Shield absorbs the whole hit. Returns the
 * damage actually dealt (0 when absorbed).
 */
function damageUnit(unit: Unit, amount: number, source: string | null, ev: BattleEvent[]): number {
  if (amount <= 0) return 0;
  if (unit.shield) {
    unit.shield = false;
    ev.push({ type: 'shield_broken', uid: unit.uid });
    return 0;
  }
  unit.health -= amount;
  ev.push({ type: 'damaged', target: { kind: 'unit', uid: unit.uid }, amount, source });
  return amount;
}

function summon(d: Draft, seat: Seat, uid: string, def: CardDef, position: number, token: boolean, ev: BattleEvent[]): Unit {
  if (def.kind !== 'unit') throw new Error(`card ${def.id} is not a unit`); // setup validation makes this unreachable
  const unit: Unit = {
    uid,
    def: def.id,
    attack: def.attack,
    health: def.health,
    maxHealth: def.health,
    shield: def.keywords.shield === true,
    canAttack: def.keywords.swift === true,
    token,
  };
  zone(d, seat, 'board').splice(position, 0, unit);
  ev.push({ type: 'unit_summoned', seat, uid, def: def.id, position, token });
  return unit;
}

function summonToken(d: Draft, seat: Seat, tokenId: string, position: number, ev: BattleEvent[]): void {
  const def = d.cards[tokenId] as CardDef;
  const uid = `${TOKEN_UID_PREFIX}${d.nextToken}`;
  d.nextToken += 1;
  summon(d, seat, uid, def, position, true, ev);
}

function draw(d: Draft, seat: Seat, count: number, ev: BattleEvent[]): void {
  for (let i = 0; i < count; i++) {
    const p = seatOf(d, seat);
    const card = p.deck.length > 0 ? zone(d, seat, 'deck').shift() : undefined;
    if (card === undefined) {
      p.fatigue += 1;
      ev.push({ type: 'fatigue', seat, damage: p.fatigue });
      damageHero(d, seat, p.fatigue, null, ev);
    } else if (p.hand.length >= d.config.handLimit) {
      zone(d, seat, 'graveyard').push(card);
      ev.push({ type: 'card_burned', seat, uid: card.uid, def: card.def });
    } else {
      zone(d, seat, 'hand').push(card);
      ev.push({ type: 'card_drawn', seat, uid: card.uid, def: card.def });
    }
  }
}

/** Removes dead units (active side first, left to right), fills Sprout Seedlings, then checks the heroes. */
function resolveDeaths(d: Draft, ev: BattleEvent[]): void {
  for (const seat of [d.active, opponentOf(d.active)] as const) {
    const board = d.seats[seat].board;
    if (!board.some((u) => u.health <= 0)) continue;
    const survivors: Unit[] = [];
    const sprouts: number[] = [];
    const graveyard = zone(d, seat, 'graveyard');
    for (const unit of board) {
      if (unit.health > 0) {
        survivors.push(unit);
        continue;
      }
      graveyard.push({ uid: unit.uid, def: unit.def });
      ev.push({ type: 'unit_died', seat, uid: unit.uid, def: unit.def });
      if (keywordsOf(d.cards, unit.def).sprout) sprouts.push(survivors.length);
    }
    // A new array of the same units: the draft owns it, and its units exactly when it owned the ones before.
    seatOf(d, seat).board = survivors;
    d.own.board |= seat + 1;
    // Seedlings take the dead units' places, so they always fit (each replaces a unit that just left the board);
    // inserting left to right with offset i keeps the recorded positions valid.
    for (let i = 0; i < sprouts.length; i++) summonToken(d, seat, d.config.sproutToken, (sprouts[i] as number) + i, ev);
  }
  const dead0 = d.seats[0].health <= 0;
  const dead1 = d.seats[1].health <= 0;
  if (dead0 && dead1) finish(d, null, 'hero_destroyed', ev);
  else if (dead0) finish(d, 1, 'hero_destroyed', ev);
  else if (dead1) finish(d, 0, 'hero_destroyed', ev);
}

function startTurn(d: Draft, seat: Seat, now: number, ev: BattleEvent[]): void {
  d.turn += 1;
  d.active = seat;
  d.turnStartedAt = now;
  const p = seatOf(d, seat);
  p.maxEnergy = Math.min(d.config.maxEnergy, p.maxEnergy + 1);
  p.energy = p.maxEnergy;
  ev.push({ type: 'turn_started', seat, turn: d.turn, maxEnergy: p.maxEnergy });
  for (const unit of p.board.length > 0 ? boardUnits(d, seat) : p.board) {
    unit.canAttack = true;
    if (keywordsOf(d.cards, unit.def).bloom) {
      unit.attack += 1;
      unit.health += 1;
      unit.maxHealth += 1;
      ev.push({ type: 'bloomed', uid: unit.uid });
    }
  }
  draw(d, seat, 1, ev);
  resolveDeaths(d, ev);
}

function endTurn(d: Draft, reason: 'end_turn' | 'timeout', now: number, ev: BattleEvent[]): void {
  ev.push({ type: 'turn_ended', seat: d.active, turn: d.turn, reason });
  if (d.turn >= d.config.turnLimit) {
    const h0 = d.seats[0].health;
    const h1 = d.seats[1].health;
    finish(d, h0 === h1 ? null : h0 > h1 ? 0 : 1, 'turn_limit', ev);
    return;
  }
  startTurn(d, opponentOf(d.active), now, ev);
}

// ---- setup ------------------------------------------------------------------------------------------------------

/** Token card ids a definition can bring into play (summon spells; Sprout's Seedling). */
function tokensOf(def: CardDef, sproutToken: string): string[] {
  if (def.kind === 'spell') return def.effect.type === 'summon' ? [def.effect.token] : [];
  return def.keywords.sprout ? [sproutToken] : [];
}

/**
 * Starts a match: validates the setup, shuffles each deck (seat 0 then seat 1), draws the first player with
 * `rng.int(2)`, deals opening hands (first player then second) and starts turn 1.
 *
 * Deck legality (size, copies, ownership) is the caller's job via `checkDeck`; this only refuses setups the
 * engine cannot run: unknown definitions, duplicate or reserved instance ids, tokens that are not units.
 */
export function createBattle(setup: BattleSetup, ctx: RuleContext): BattleResult {
  const { config } = setup;
  const cards: Record<string, CardDef> = {};
  const seen = new Set<string>();
  const need = (defId: string, where: string): string | null => {
    const def = setup.cards[defId];
    if (def === undefined) return `${where}: unknown card definition "${defId}"`;
    cards[defId] = def;
    return null;
  };
  for (const player of setup.players) {
    for (const ref of player.deck) {
      if (seen.has(ref.uid)) return violation('INVALID_SETUP', `card instance "${ref.uid}" appears twice`);
      if (ref.uid.startsWith(TOKEN_UID_PREFIX)) return violation('INVALID_SETUP', `instance id "${ref.uid}" uses the token prefix`);
      seen.add(ref.uid);
      const problem = need(ref.def, `deck of ${player.playerId}`);
      if (problem) return violation('INVALID_SETUP', problem);
    }
  }
  for (const def of Object.values({ ...cards })) {
    for (const tokenId of tokensOf(def, config.sproutToken)) {
      const problem = need(tokenId, `token of ${def.id}`);
      if (problem) return violation('INVALID_SETUP', problem);
      if (cards[tokenId]?.kind !== 'unit') return violation('INVALID_SETUP', `token "${tokenId}" is not a unit`);
    }
  }

  const seatOf = (i: 0 | 1): SeatState => {
    const player = setup.players[i];
    const deck = player.deck.map((c) => ({ uid: c.uid, def: c.def }));
    shuffleInPlace(deck, ctx.rng);
    return {
      playerId: player.playerId,
      health: config.heroHealth,
      maxHealth: config.heroHealth,
      energy: 0,
      maxEnergy: 0,
      deck,
      hand: [],
      board: [],
      graveyard: [],
      fatigue: 0,
      timeouts: 0,
    };
  };
  const seats: [SeatState, SeatState] = [seatOf(0), seatOf(1)];
  const first: Seat = ctx.rng.int(2) === 0 ? 0 : 1;
  const d: Draft = {
    v: 1,
    config,
    cards,
    seats,
    first,
    active: first,
    turn: 0,
    turnStartedAt: ctx.now,
    nextToken: 1,
    outcome: null,
    // Every part was made here.
    own: { seats: 3, deck: 3, hand: 3, board: 3, units: 3, graveyard: 3 },
  };
  const ev: BattleEvent[] = [{ type: 'battle_started', first }];
  draw(d, first, config.openingHand[0], ev);
  draw(d, opponentOf(first), config.openingHand[1], ev);
  startTurn(d, first, ctx.now, ev);
  return done(d, ev);
}

// ---- actions ----------------------------------------------------------------------------------------------------

function play(s: BattleState, a: Extract<BattleAction, { type: 'play' }>, ctx: RuleContext): BattleResult {
  const seat = a.seat;
  const p = s.seats[seat];
  const handIndex = p.hand.findIndex((c) => c.uid === a.uid);
  if (handIndex < 0) return violation('CARD_NOT_IN_HAND', `card "${a.uid}" is not in your hand`);
  const ref = p.hand[handIndex] as CardRef;
  const def = s.cards[ref.def] as CardDef;
  if (def.cost > p.energy) return violation('NOT_ENOUGH_ENERGY', `${def.id} costs ${def.cost}, you have ${p.energy}`);

  let target: Target | null = null;
  let position = p.board.length;
  if (def.kind === 'unit') {
    if (a.target !== undefined) return violation('TARGET_NOT_ALLOWED', 'units are played without a target');
    if (p.board.length >= s.config.boardLimit) return violation('BOARD_FULL', `at most ${s.config.boardLimit} units`);
    if (a.position !== undefined) {
      if (!Number.isInteger(a.position) || a.position < 0 || a.position > p.board.length) {
        return violation('BAD_POSITION', `position must be 0..${p.board.length}`);
      }
      position = a.position;
    }
  } else {
    const kind = def.effect.type;
    if (kind === 'draw' || kind === 'summon') {
      if (a.target !== undefined) return violation('TARGET_NOT_ALLOWED', `${kind} spells take no target`);
    } else {
      if (a.target === undefined) return violation('TARGET_REQUIRED', `${kind} spells need a target`);
      target = resolveTarget(s, a.target);
      if (target === null) return violation('INVALID_TARGET', 'the target does not exist');
      if (kind === 'buff' && target.kind !== 'unit') return violation('INVALID_TARGET', 'buffs target a unit');
    }
  }

  const d = draftOf(s);
  const me = seatOf(d, seat);
  const ev: BattleEvent[] = [];
  zone(d, seat, 'hand').splice(handIndex, 1);
  me.energy -= def.cost;
  ev.push(
    target ? { type: 'card_played', seat, uid: ref.uid, def: def.id, target } : { type: 'card_played', seat, uid: ref.uid, def: def.id },
  );

  if (def.kind === 'unit') {
    const unit = summon(d, seat, ref.uid, def, position, false, ev);
    const volley = def.keywords.volley;
    if (volley !== undefined && volley > 0) {
      const foe = opponentOf(seat);
      const enemies = d.seats[foe].board.length;
      // Index 0 is the enemy hero, 1.. the enemy units left to right.
      const pick = ctx.rng.int(enemies + 1);
      const dealt =
        pick === 0 ? damageHero(d, foe, volley, unit.uid, ev) : damageUnit(boardUnits(d, foe)[pick - 1] as Unit, volley, unit.uid, ev);
      drain(d, seat, unit, dealt, ev);
    }
  } else {
    zone(d, seat, 'graveyard').push(ref);
    const effect = def.effect;
    switch (effect.type) {
      case 'damage': {
        const t = target as Target;
        if (t.kind === 'hero') damageHero(d, t.seat, effect.amount, null, ev);
        else damageUnit(unitToChange(d, t.uid), effect.amount, null, ev);
        break;
      }
      case 'heal': {
        const t = target as Target;
        if (t.kind === 'hero') healHero(d, t.seat, effect.amount, ev);
        else {
          const found = findUnit(d, t.uid) as { unit: Unit };
          const healed = Math.min(effect.amount, found.unit.maxHealth - found.unit.health);
          if (healed > 0) {
            const unit = unitToChange(d, t.uid);
            unit.health += healed;
            ev.push({ type: 'healed', target: t, amount: healed });
          }
        }
        break;
      }
      case 'draw':
        draw(d, seat, effect.count, ev);
        break;
      case 'buff': {
        const unit = unitToChange(d, (target as { uid: string }).uid);
        unit.attack += effect.attack;
        unit.health += effect.health;
        unit.maxHealth += effect.health;
        ev.push({ type: 'buffed', uid: unit.uid, attack: effect.attack, health: effect.health });
        break;
      }
      case 'summon':
        for (let i = 0; i < effect.count && me.board.length < d.config.boardLimit; i++) {
          summonToken(d, seat, effect.token, me.board.length, ev);
        }
        break;
    }
  }
  resolveDeaths(d, ev);
  return done(d, ev);
}

function attack(s: BattleState, a: Extract<BattleAction, { type: 'attack' }>): BattleResult {
  const seat = a.seat;
  const foe = opponentOf(seat);
  const mine = s.seats[seat].board;
  const attackerIndex = mine.findIndex((u) => u.uid === a.attacker);
  if (attackerIndex < 0) return violation('UNIT_NOT_FOUND', `you have no unit "${a.attacker}"`);
  const attacker = mine[attackerIndex] as Unit;
  if (!attacker.canAttack) return violation('UNIT_CANNOT_ATTACK', `${attacker.def} cannot attack now`);
  if (attackOn(s.cards, mine, attacker) <= 0) return violation('UNIT_CANNOT_ATTACK', `${attacker.def} has no attack`);
  const target = resolveTarget(s, a.target);
  if (target === null) return violation('INVALID_TARGET', 'the target does not exist');
  const theirs = s.seats[foe].board;
  let defenderIndex = -1;
  if (target.kind === 'hero') {
    if (target.seat !== foe) return violation('INVALID_TARGET', 'attack the enemy hero or an enemy unit');
  } else {
    defenderIndex = theirs.findIndex((u) => u.uid === target.uid);
    if (defenderIndex < 0) return violation('INVALID_TARGET', 'attack the enemy hero or an enemy unit');
  }
  const guarded = theirs.some((u) => keywordsOf(s.cards, u.def).guard);
  if (guarded && (defenderIndex < 0 || !keywordsOf(s.cards, (theirs[defenderIndex] as Unit).def).guard)) {
    return violation('MUST_ATTACK_GUARD', 'an enemy Guard unit must be attacked first');
  }

  const d = draftOf(s);
  const ev: BattleEvent[] = [{ type: 'attacked', seat, attacker: attacker.uid, target }];
  const myBoard = boardUnits(d, seat);
  const att = myBoard[attackerIndex] as Unit;
  const power = attackOn(d.cards, myBoard, att);
  att.canAttack = false;
  if (defenderIndex < 0) {
    drain(d, seat, att, damageHero(d, foe, power, att.uid, ev), ev);
  } else {
    const theirBoard = boardUnits(d, foe);
    const def = theirBoard[defenderIndex] as Unit;
    const counter = attackOn(d.cards, theirBoard, def);
    drain(d, seat, att, damageUnit(def, power, att.uid, ev), ev);
    drain(d, foe, def, damageUnit(att, counter, def.uid, ev), ev);
    const thorns = keywordsOf(d.cards, def.def).thorns;
    if (thorns !== undefined && thorns > 0) drain(d, foe, def, damageUnit(att, thorns, def.uid, ev), ev);
  }
  resolveDeaths(d, ev);
  return done(d, ev);
}

/**
 * Applies one action. Returns the next state and its events, or a violation with the state untouched.
 * `timeout` is legal only when `ctx.now >= turnStartedAt + turnSeconds * 1000`, so a replay can check that the
 * server did not cut a turn short; the third timeout in a row by the same player forfeits the match.
 */
export function applyBattle(state: BattleState, action: BattleAction, ctx: RuleContext): BattleResult {
  if (state.outcome) return violation('BATTLE_ENDED', 'the match is over');
  if (typeof action !== 'object' || action === null || !isSeat((action as { seat?: unknown }).seat)) {
    return violation('UNKNOWN_ACTION', 'an action needs a type and a seat (0 or 1)');
  }
  const seat = action.seat;
  switch (action.type) {
    case 'concede':
    case 'forfeit': {
      const d = draftOf(state);
      const ev: BattleEvent[] = [];
      finish(d, opponentOf(seat), action.type, ev);
      return done(d, ev);
    }
    case 'end_turn':
    case 'timeout': {
      if (seat !== state.active) return violation('NOT_YOUR_TURN', 'it is not your turn');
      if (action.type === 'timeout' && ctx.now < state.turnStartedAt + state.config.turnSeconds * 1000) {
        return violation('TIMER_RUNNING', 'the turn timer has not run out');
      }
      const d = draftOf(state);
      const ev: BattleEvent[] = [];
      const p = seatOf(d, seat);
      if (action.type === 'end_turn') {
        p.timeouts = 0;
        endTurn(d, 'end_turn', ctx.now, ev);
      } else {
        p.timeouts += 1;
        if (p.timeouts >= d.config.timeoutsToForfeit) {
          ev.push({ type: 'turn_ended', seat, turn: d.turn, reason: 'timeout' });
          finish(d, opponentOf(seat), 'timeouts', ev);
        } else {
          endTurn(d, 'timeout', ctx.now, ev);
        }
      }
      return done(d, ev);
    }
    case 'play':
      if (seat !== state.active) return violation('NOT_YOUR_TURN', 'it is not your turn');
      return play(state, action, ctx);
    case 'attack':
      if (seat !== state.active) return violation('NOT_YOUR_TURN', 'it is not your turn');
      return attack(state, action);
    default:
      return violation('UNKNOWN_ACTION', `unknown action type "${(action as { type?: unknown }).type}"`);
  }
}
