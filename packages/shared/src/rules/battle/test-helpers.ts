/**
 * Builders for battle tests: hand-made states that skip the shuffle so each keyword can be tested in isolation.
 * Used by the rules' own tests and by tools that need small fixtures; not part of the `/rules` entry point.
 */

import type { CardDef, Keywords, SpellEffect } from '../cards.ts';
import type { RuleContext } from '../core/result.ts';
import { createRngFromSeed } from '../core/rng.ts';
import { applyBattle } from './engine.ts';
import type { BattleAction, BattleConfig, BattleEvent, BattleState, CardRef, Seat, SeatState, Unit } from './types.ts';

/** GAME.md's starting numbers. */
export const TEST_CONFIG: BattleConfig = {
  heroHealth: 25,
  handLimit: 8,
  boardLimit: 5,
  maxEnergy: 10,
  turnLimit: 40,
  turnSeconds: 45,
  timeoutsToForfeit: 3,
  openingHand: [3, 4],
  sproutToken: 'seedling',
};

/** A unit definition. */
export function unitDef(id: string, attack: number, health: number, keywords: Keywords = {}, cost = 1, token = false): CardDef {
  return { id, kind: 'unit', rarity: 'common', element: 'soil', cost, attack, health, keywords, token };
}

/** A spell definition. */
export function spellDef(id: string, effect: SpellEffect, cost = 1): CardDef {
  return { id, kind: 'spell', rarity: 'common', element: 'sun', cost, effect, token: false };
}

/** The Seedling token Sprout summons. */
export const SEEDLING = unitDef('seedling', 1, 1, {}, 0, true);

/** A unit on the board built from a definition; `canAttack` defaults to true (it has been there a turn). */
export function boardUnit(def: CardDef, uid: string, overrides: Partial<Unit> = {}): Unit {
  if (def.kind !== 'unit') throw new Error(`${def.id} is not a unit`);
  return {
    uid,
    def: def.id,
    attack: def.attack,
    health: def.health,
    maxHealth: def.health,
    shield: def.keywords.shield === true,
    canAttack: true,
    token: def.token,
    ...overrides,
  };
}

/** Seat contents for {@link makeBattle}; hand and deck list definition ids (uids are made up). */
export interface SeatSpec {
  readonly hand?: readonly string[];
  readonly deck?: readonly string[];
  readonly board?: readonly Unit[];
  readonly health?: number;
  readonly energy?: number;
  readonly maxEnergy?: number;
}

/** A running battle in the middle of a turn of `active` (default seat 0, turn 3), full energy 10 unless given. */
export function makeBattle(
  cards: readonly CardDef[],
  seats: readonly [SeatSpec, SeatSpec],
  opts: { readonly active?: Seat; readonly turn?: number; readonly config?: Partial<BattleConfig> } = {},
): BattleState {
  const all: Record<string, CardDef> = { seedling: SEEDLING };
  for (const c of cards) all[c.id] = c;
  const config = { ...TEST_CONFIG, ...opts.config };
  const seat = (i: Seat, spec: SeatSpec): SeatState => {
    const refs = (zone: string, ids: readonly string[] | undefined): CardRef[] =>
      (ids ?? []).map((def, n) => ({ uid: `p${i}-${zone}${n}`, def }));
    return {
      playerId: `player-${i}`,
      health: spec.health ?? config.heroHealth,
      maxHealth: config.heroHealth,
      energy: spec.energy ?? 10,
      maxEnergy: spec.maxEnergy ?? 10,
      deck: refs('d', spec.deck),
      hand: refs('h', spec.hand),
      board: (spec.board ?? []).map((u) => ({ ...u })),
      graveyard: [],
      fatigue: 0,
      timeouts: 0,
    };
  };
  return {
    v: 1,
    config,
    cards: all,
    seats: [seat(0, seats[0]), seat(1, seats[1])],
    first: 0,
    active: opts.active ?? 0,
    turn: opts.turn ?? 3,
    turnStartedAt: 0,
    nextToken: 1,
    outcome: null,
  };
}

/** A rule context with a fixed seed. */
export function testCtx(now = 0, seed = '00112233445566778899aabbccddeeff'): RuleContext {
  return { rng: createRngFromSeed(seed), now };
}

/** Applies an action that must be legal; throws with the violation otherwise. */
export function mustApply(
  state: BattleState,
  action: BattleAction,
  ctx: RuleContext = testCtx(),
): { state: BattleState; events: BattleEvent[] } {
  const r = applyBattle(state, action, ctx);
  if (!r.ok) throw new Error(`${r.violation.code}: ${r.violation.message}`);
  return { state: r.state, events: r.events };
}
