import { describe, expect, it } from 'vitest';
import { createRngFromSeed } from '../core/rng.ts';
import { applyBattle, createBattle, effectiveAttack } from './engine.ts';
import { boardUnit, makeBattle, mustApply, SEEDLING, spellDef, TEST_CONFIG, testCtx, unitDef } from './test-helpers.ts';
import type { BattleState, CardRef, Target } from './types.ts';

const hero = (seat: 0 | 1): Target => ({ kind: 'hero', seat });
const unitT = (uid: string): Target => ({ kind: 'unit', uid });

const grunt = unitDef('grunt', 2, 3);
const bigGrunt = unitDef('big-grunt', 5, 5);
const wall = unitDef('wall', 1, 5, { guard: true });
const runner = unitDef('runner', 2, 1, { swift: true }, 2);
const sapling = unitDef('sapling', 1, 1, { bloom: true });
const leech = unitDef('leech', 3, 3, { drain: true });
const cactus = unitDef('cactus', 1, 4, { thorns: 2 });
const acorn = unitDef('acorn', 1, 1, { sprout: true });
const bubble = unitDef('bubble', 2, 2, { shield: true });
const banner = unitDef('banner', 1, 2, { rally: true });
const archer = unitDef('archer', 1, 1, { volley: 2 });
const bolt = spellDef('bolt', { type: 'damage', amount: 3 });
const salve = spellDef('salve', { type: 'heal', amount: 4 });
const insight = spellDef('insight', { type: 'draw', count: 2 });
const growth = spellDef('growth', { type: 'buff', attack: 2, health: 3 });
const swarm = spellDef('swarm', { type: 'summon', token: 'seedling', count: 2 });
const ALL = [grunt, bigGrunt, wall, runner, sapling, leech, cactus, acorn, bubble, banner, archer, bolt, salve, insight, growth, swarm];

function unitOf(state: BattleState, uid: string) {
  for (const side of state.seats) {
    const u = side.board.find((x) => x.uid === uid);
    if (u) return u;
  }
  return undefined;
}

describe('Guard', () => {
  const s = makeBattle(ALL, [{ board: [boardUnit(grunt, 'a')] }, { board: [boardUnit(grunt, 'x'), boardUnit(wall, 'g')] }]);
  it('forces attacks onto Guard units', () => {
    const r1 = applyBattle(s, { type: 'attack', seat: 0, attacker: 'a', target: hero(1) }, testCtx());
    expect(r1.ok || r1.violation.code).toBe('MUST_ATTACK_GUARD');
    const r2 = applyBattle(s, { type: 'attack', seat: 0, attacker: 'a', target: unitT('x') }, testCtx());
    expect(r2.ok || r2.violation.code).toBe('MUST_ATTACK_GUARD');
    const { state } = mustApply(s, { type: 'attack', seat: 0, attacker: 'a', target: unitT('g') });
    expect(unitOf(state, 'g')?.health).toBe(3);
    expect(unitOf(state, 'a')?.health).toBe(2);
  });
  it('does not stop spells', () => {
    const withBolt = makeBattle(ALL, [{ hand: ['bolt'] }, { board: [boardUnit(grunt, 'x'), boardUnit(wall, 'g')] }]);
    const { state } = mustApply(withBolt, { type: 'play', seat: 0, uid: 'p0-h0', target: hero(1) });
    expect(state.seats[1].health).toBe(22);
  });
  it('stops mattering once the Guard unit is gone', () => {
    const s2 = makeBattle(ALL, [{ board: [boardUnit(bigGrunt, 'a'), boardUnit(grunt, 'b')] }, { board: [boardUnit(wall, 'g')] }]);
    const { state } = mustApply(s2, { type: 'attack', seat: 0, attacker: 'a', target: unitT('g') });
    expect(unitOf(state, 'g')).toBeUndefined();
    const after = mustApply(state, { type: 'attack', seat: 0, attacker: 'b', target: hero(1) });
    expect(after.state.seats[1].health).toBe(23);
  });
});

describe('Swift', () => {
  it('lets a unit attack the turn it is played; others must wait', () => {
    const s = makeBattle(ALL, [{ hand: ['runner', 'grunt'] }, {}]);
    const played = mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0' }).state;
    const hit = mustApply(played, { type: 'attack', seat: 0, attacker: 'p0-h0', target: hero(1) }).state;
    expect(hit.seats[1].health).toBe(23);
    const again = applyBattle(hit, { type: 'attack', seat: 0, attacker: 'p0-h0', target: hero(1) }, testCtx());
    expect(again.ok || again.violation.code).toBe('UNIT_CANNOT_ATTACK');
    const plain = mustApply(hit, { type: 'play', seat: 0, uid: 'p0-h1' }).state;
    const sick = applyBattle(plain, { type: 'attack', seat: 0, attacker: 'p0-h1', target: hero(1) }, testCtx());
    expect(sick.ok || sick.violation.code).toBe('UNIT_CANNOT_ATTACK');
  });
});

describe('Bloom', () => {
  it('grows +1/+1 at the start of its owner turn only', () => {
    const s = makeBattle(ALL, [{ board: [boardUnit(sapling, 's')], deck: ['grunt', 'grunt'] }, { deck: ['grunt', 'grunt'] }]);
    const theirTurn = mustApply(s, { type: 'end_turn', seat: 0 }).state;
    expect(unitOf(theirTurn, 's')).toMatchObject({ attack: 1, health: 1, maxHealth: 1 });
    const { state, events } = mustApply(theirTurn, { type: 'end_turn', seat: 1 });
    expect(unitOf(state, 's')).toMatchObject({ attack: 2, health: 2, maxHealth: 2 });
    expect(events).toContainEqual({ type: 'bloomed', uid: 's' });
  });
});

describe('Drain', () => {
  it('heals its hero by the damage it deals when attacking and striking back', () => {
    const s = makeBattle(ALL, [
      { board: [boardUnit(leech, 'l')], health: 10 },
      { board: [boardUnit(grunt, 'g')], health: 20 },
    ]);
    const face = mustApply(s, { type: 'attack', seat: 0, attacker: 'l', target: hero(1) }).state;
    expect(face.seats[0].health).toBe(13);
    expect(face.seats[1].health).toBe(17);
    const s2 = makeBattle(ALL, [{ board: [boardUnit(grunt, 'g')] }, { board: [boardUnit(leech, 'l')], health: 10 }]);
    const struck = mustApply(s2, { type: 'attack', seat: 0, attacker: 'g', target: unitT('l') }).state;
    expect(struck.seats[1].health).toBe(13); // the leech struck back for 3
  });
  it('heals nothing when a Shield absorbs the hit, and never above maximum', () => {
    const s = makeBattle(ALL, [{ board: [boardUnit(leech, 'l')], health: 10 }, { board: [boardUnit(bubble, 'b')] }]);
    const absorbed = mustApply(s, { type: 'attack', seat: 0, attacker: 'l', target: unitT('b') }).state;
    expect(absorbed.seats[0].health).toBe(10);
    const full = makeBattle(ALL, [{ board: [boardUnit(leech, 'l')], health: 24 }, {}]);
    expect(mustApply(full, { type: 'attack', seat: 0, attacker: 'l', target: hero(1) }).state.seats[0].health).toBe(25);
  });
});

describe('Thorns', () => {
  it('hits the attacker for N on top of the strike back', () => {
    const s = makeBattle(ALL, [{ board: [boardUnit(bigGrunt, 'a')] }, { board: [boardUnit(cactus, 'c')] }]);
    const { state, events } = mustApply(s, { type: 'attack', seat: 0, attacker: 'a', target: unitT('c') });
    expect(unitOf(state, 'a')?.health).toBe(5 - 1 - 2);
    expect(unitOf(state, 'c')).toBeUndefined();
    expect(events.filter((e) => e.type === 'damaged' && e.source === 'c').map((e) => (e as { amount: number }).amount)).toEqual([1, 2]);
  });
  it('is a separate hit: a Shield stops the strike back, not the thorns', () => {
    const s = makeBattle(ALL, [{ board: [boardUnit(bubble, 'b')] }, { board: [boardUnit(cactus, 'c')] }]);
    const { state } = mustApply(s, { type: 'attack', seat: 0, attacker: 'b', target: unitT('c') });
    expect(unitOf(state, 'b')).toBeUndefined(); // 2 health, shield took the 1, thorns dealt 2
  });
  it('does not hit units that are attacked by it', () => {
    const s = makeBattle(ALL, [{ board: [boardUnit(cactus, 'c')] }, { board: [boardUnit(grunt, 'g')] }]);
    const { state } = mustApply(s, { type: 'attack', seat: 0, attacker: 'c', target: unitT('g') });
    expect(unitOf(state, 'g')?.health).toBe(2);
  });
});

describe('Sprout', () => {
  it('leaves a 1/1 Seedling token where it died', () => {
    const s = makeBattle(
      ALL,
      [{ board: [boardUnit(grunt, 'left'), boardUnit(acorn, 'a'), boardUnit(grunt, 'right')] }, { hand: ['bolt'] }],
      { active: 1 },
    );
    const { state, events } = mustApply(s, { type: 'play', seat: 1, uid: 'p1-h0', target: unitT('a') });
    const board = state.seats[0].board;
    expect(board.map((u) => u.def)).toEqual(['grunt', 'seedling', 'grunt']);
    expect(board[1]).toMatchObject({ uid: 'token:1', attack: 1, health: 1, token: true, canAttack: false });
    expect(state.seats[0].graveyard).toEqual([{ uid: 'a', def: 'acorn' }]);
    expect(events).toContainEqual({ type: 'unit_summoned', seat: 0, uid: 'token:1', def: 'seedling', position: 1, token: true });
  });
});

describe('Shield', () => {
  it('ignores the first damage, then breaks', () => {
    const s = makeBattle(ALL, [{ hand: ['bolt', 'bolt'] }, { board: [boardUnit(bubble, 'b')] }]);
    const first = mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0', target: unitT('b') });
    expect(unitOf(first.state, 'b')).toMatchObject({ health: 2, shield: false });
    expect(first.events).toContainEqual({ type: 'shield_broken', uid: 'b' });
    const second = mustApply(first.state, { type: 'play', seat: 0, uid: 'p0-h1', target: unitT('b') });
    expect(unitOf(second.state, 'b')).toBeUndefined();
  });
  it('is not used up by a 0-attack strike back', () => {
    const zero = unitDef('zero', 0, 3);
    const s = makeBattle([...ALL, zero], [{ board: [boardUnit(bubble, 'b')] }, { board: [boardUnit(zero, 'z')] }]);
    expect(unitOf(mustApply(s, { type: 'attack', seat: 0, attacker: 'b', target: unitT('z') }).state, 'b')?.shield).toBe(true);
  });
});

describe('Rally', () => {
  it('gives other friendly units +1 attack, stacking, and not itself', () => {
    const s = makeBattle(ALL, [
      { board: [boardUnit(grunt, 'g'), boardUnit(banner, 'r1'), boardUnit(banner, 'r2')] },
      { board: [boardUnit(grunt, 'enemy')] },
    ]);
    expect(effectiveAttack(s, 'g')).toBe(4);
    expect(effectiveAttack(s, 'r1')).toBe(2);
    expect(effectiveAttack(s, 'enemy')).toBe(2);
    const { state } = mustApply(s, { type: 'attack', seat: 0, attacker: 'g', target: hero(1) });
    expect(state.seats[1].health).toBe(21);
  });
  it('stops when the Rally unit dies', () => {
    const s = makeBattle(ALL, [{ board: [boardUnit(grunt, 'g'), boardUnit(banner, 'r')] }, { hand: ['bolt'] }], { active: 1 });
    const { state } = mustApply(s, { type: 'play', seat: 1, uid: 'p1-h0', target: unitT('r') });
    expect(effectiveAttack(state, 'g')).toBe(2);
  });
});

describe('Volley', () => {
  it('hits the enemy hero when there are no enemy units', () => {
    const s = makeBattle(ALL, [{ hand: ['archer'] }, {}]);
    expect(mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0' }).state.seats[1].health).toBe(23);
  });
  it('picks uniformly among the enemy hero and enemy units, never friends', () => {
    const s = makeBattle(ALL, [
      { hand: ['archer'], board: [boardUnit(grunt, 'friend')] },
      { board: [boardUnit(grunt, 'e1'), boardUnit(grunt, 'e2')] },
    ]);
    const hits = new Map<string, number>();
    for (let i = 0; i < 600; i++) {
      const seed = i.toString(16).padStart(32, '0');
      const { events } = mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0' }, testCtx(0, seed));
      const dmg = events.find((e) => e.type === 'damaged');
      if (dmg?.type !== 'damaged') throw new Error('volley dealt no damage');
      const key = dmg.target.kind === 'hero' ? `hero${dmg.target.seat}` : dmg.target.uid;
      hits.set(key, (hits.get(key) ?? 0) + 1);
    }
    expect([...hits.keys()].sort()).toEqual(['e1', 'e2', 'hero1']);
    for (const n of hits.values()) expect(n).toBeGreaterThan(150);
  });
  it('is the same for the same seed', () => {
    const s = makeBattle(ALL, [{ hand: ['archer'] }, { board: [boardUnit(grunt, 'e1'), boardUnit(grunt, 'e2')] }]);
    const a = mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0' }, testCtx(0, 'ab'.repeat(16)));
    const b = mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0' }, testCtx(0, 'ab'.repeat(16)));
    expect(a).toEqual(b);
  });
  it('heals through Drain', () => {
    const vamp = unitDef('vamp', 1, 1, { volley: 3, drain: true });
    const s = makeBattle([...ALL, vamp], [{ hand: ['vamp'], health: 10 }, {}]);
    expect(mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0' }).state.seats[0].health).toBe(13);
  });
});

describe('spells', () => {
  it('damage: hits a unit or hero and needs a target', () => {
    const s = makeBattle(ALL, [{ hand: ['bolt'] }, { board: [boardUnit(grunt, 'g')] }]);
    expect(unitOf(mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0', target: unitT('g') }).state, 'g')).toBeUndefined();
    expect(mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0', target: hero(0) }).state.seats[0].health).toBe(22);
    const none = applyBattle(s, { type: 'play', seat: 0, uid: 'p0-h0' }, testCtx());
    expect(none.ok || none.violation.code).toBe('TARGET_REQUIRED');
    const ghost = applyBattle(s, { type: 'play', seat: 0, uid: 'p0-h0', target: unitT('nope') }, testCtx());
    expect(ghost.ok || ghost.violation.code).toBe('INVALID_TARGET');
  });
  it('heal: restores up to its amount, never above maximum', () => {
    const s = makeBattle(ALL, [{ hand: ['salve', 'salve'], health: 23, board: [boardUnit(grunt, 'g', { health: 1 })] }, {}]);
    const h = mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0', target: hero(0) });
    expect(h.state.seats[0].health).toBe(25);
    expect(h.events).toContainEqual({ type: 'healed', target: hero(0), amount: 2 });
    expect(unitOf(mustApply(s, { type: 'play', seat: 0, uid: 'p0-h1', target: unitT('g') }).state, 'g')?.health).toBe(3);
  });
  it('draw: draws N, burns past the hand limit, and takes no target', () => {
    const s = makeBattle(ALL, [
      { hand: ['insight', 'grunt', 'grunt', 'grunt', 'grunt', 'grunt', 'grunt', 'grunt'], deck: ['bolt', 'salve', 'wall'] },
      {},
    ]);
    const { state, events } = mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0' });
    expect(state.seats[0].hand).toHaveLength(8);
    expect(state.seats[0].hand.at(-1)?.def).toBe('bolt');
    expect(state.seats[0].graveyard.map((c) => c.def)).toEqual(['insight', 'salve']);
    expect(events).toContainEqual({ type: 'card_burned', seat: 0, uid: 'p0-d1', def: 'salve' });
    const targeted = applyBattle(s, { type: 'play', seat: 0, uid: 'p0-h0', target: hero(1) }, testCtx());
    expect(targeted.ok || targeted.violation.code).toBe('TARGET_NOT_ALLOWED');
  });
  it('buff: adds attack, health and maximum health to a unit only', () => {
    const s = makeBattle(ALL, [{ hand: ['growth'], board: [boardUnit(grunt, 'g', { health: 1 })] }, {}]);
    expect(unitOf(mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0', target: unitT('g') }).state, 'g')).toMatchObject({
      attack: 4,
      health: 4,
      maxHealth: 6,
    });
    const onHero = applyBattle(s, { type: 'play', seat: 0, uid: 'p0-h0', target: hero(0) }, testCtx());
    expect(onHero.ok || onHero.violation.code).toBe('INVALID_TARGET');
  });
  it('summon: makes tokens that fit and loses the rest', () => {
    const s = makeBattle(ALL, [
      { hand: ['swarm'], board: [boardUnit(grunt, 'a'), boardUnit(grunt, 'b'), boardUnit(grunt, 'c'), boardUnit(grunt, 'd')] },
      {},
    ]);
    const { state } = mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0' });
    expect(state.seats[0].board.map((u) => u.uid)).toEqual(['a', 'b', 'c', 'd', 'token:1']);
    const empty = makeBattle(ALL, [{ hand: ['swarm'] }, {}]);
    expect(mustApply(empty, { type: 'play', seat: 0, uid: 'p0-h0' }).state.seats[0].board.map((u) => u.def)).toEqual([
      'seedling',
      'seedling',
    ]);
  });
});

describe('playing cards', () => {
  it('costs energy and refuses what you cannot afford', () => {
    const s = makeBattle(ALL, [{ hand: ['runner', 'grunt'], energy: 2 }, {}]);
    const after = mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0' }).state;
    expect(after.seats[0].energy).toBe(0);
    const broke = applyBattle(after, { type: 'play', seat: 0, uid: 'p0-h1' }, testCtx());
    expect(broke.ok || broke.violation.code).toBe('NOT_ENOUGH_ENERGY');
  });
  it('refuses a sixth unit, plays at a chosen position, and only on your turn', () => {
    const five = [1, 2, 3, 4, 5].map((i) => boardUnit(grunt, `u${i}`));
    const full = makeBattle(ALL, [{ hand: ['grunt'], board: five }, {}]);
    const r = applyBattle(full, { type: 'play', seat: 0, uid: 'p0-h0' }, testCtx());
    expect(r.ok || r.violation.code).toBe('BOARD_FULL');
    const two = makeBattle(ALL, [{ hand: ['grunt'], board: five.slice(0, 2) }, {}]);
    expect(mustApply(two, { type: 'play', seat: 0, uid: 'p0-h0', position: 1 }).state.seats[0].board.map((u) => u.uid)).toEqual([
      'u1',
      'p0-h0',
      'u2',
    ]);
    const bad = applyBattle(two, { type: 'play', seat: 0, uid: 'p0-h0', position: 7 }, testCtx());
    expect(bad.ok || bad.violation.code).toBe('BAD_POSITION');
    const notYours = applyBattle(two, { type: 'play', seat: 1, uid: 'p0-h0' }, testCtx());
    expect(notYours.ok || notYours.violation.code).toBe('NOT_YOUR_TURN');
    const missing = applyBattle(two, { type: 'play', seat: 0, uid: 'p1-h0' }, testCtx());
    expect(missing.ok || missing.violation.code).toBe('CARD_NOT_IN_HAND');
  });
  it('does not let units attack their own side or with 0 attack', () => {
    const zero = unitDef('zero', 0, 3);
    const s = makeBattle([...ALL, zero], [{ board: [boardUnit(grunt, 'g'), boardUnit(zero, 'z')] }, {}]);
    const own = applyBattle(s, { type: 'attack', seat: 0, attacker: 'g', target: hero(0) }, testCtx());
    expect(own.ok || own.violation.code).toBe('INVALID_TARGET');
    const z = applyBattle(s, { type: 'attack', seat: 0, attacker: 'z', target: hero(1) }, testCtx());
    expect(z.ok || z.violation.code).toBe('UNIT_CANNOT_ATTACK');
  });
  it('never changes the input state', () => {
    const s = makeBattle(ALL, [{ hand: ['bolt'], board: [boardUnit(grunt, 'g')] }, { board: [boardUnit(cactus, 'c')] }]);
    const before = structuredClone(s);
    mustApply(s, { type: 'attack', seat: 0, attacker: 'g', target: unitT('c') });
    mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0', target: unitT('c') });
    expect(s).toEqual(before);
  });
  it('copies only what an action changes and shares the rest with the state before', () => {
    const s = makeBattle(ALL, [
      { hand: ['grunt', 'bolt'], deck: ['grunt'], board: [boardUnit(grunt, 'g')] },
      { deck: ['bolt'], board: [boardUnit(cactus, 'c')] },
    ]);
    const before = structuredClone(s);
    const played = mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0' }).state;
    expect(played.seats[1]).toBe(s.seats[1]);
    expect(played.seats[0].deck).toBe(s.seats[0].deck);
    expect(played.seats[0].graveyard).toBe(s.seats[0].graveyard);
    expect(played.seats[0].hand).not.toBe(s.seats[0].hand);
    expect(played.seats[0].board[0]).toBe(s.seats[0].board[0]);
    const attacked = mustApply(played, { type: 'attack', seat: 0, attacker: 'g', target: unitT('c') }).state;
    expect(attacked.seats[0].hand).toBe(played.seats[0].hand);
    expect(attacked.seats[1].deck).toBe(played.seats[1].deck);
    expect(attacked.seats[1].board[0]).not.toBe(played.seats[1].board[0]);
    expect(attacked).not.toHaveProperty('own');
    expect(s).toEqual(before);
    expect(played.seats[0].board.map((u) => u.canAttack)).toEqual([true, false]);
  });
});

describe('turns', () => {
  it('raises max energy by one up to 10, refills it, readies units and draws', () => {
    const s = makeBattle(ALL, [
      { deck: ['grunt'] },
      { deck: ['bolt', 'salve'], maxEnergy: 9, energy: 0, board: [boardUnit(grunt, 'g', { canAttack: false })] },
    ]);
    const { state, events } = mustApply(s, { type: 'end_turn', seat: 0 });
    expect(state.active).toBe(1);
    expect(state.turn).toBe(4);
    expect(state.seats[1]).toMatchObject({ maxEnergy: 10, energy: 10 });
    expect(state.seats[1].hand.map((c) => c.def)).toEqual(['bolt']);
    expect(state.seats[1].board[0]?.canAttack).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['turn_ended', 'turn_started', 'card_drawn']);
    const back = mustApply(mustApply(state, { type: 'end_turn', seat: 1 }).state, { type: 'end_turn', seat: 0 }).state;
    expect(back.seats[1].maxEnergy).toBe(10);
  });
  it('deals fatigue 1, 2, 3 on empty draws', () => {
    let s = makeBattle(ALL, [{}, {}]);
    const healths: number[] = [];
    for (let i = 0; i < 6; i++) {
      s = mustApply(s, { type: 'end_turn', seat: s.active }).state;
      if (s.active === 0) healths.push(s.seats[0].health);
    }
    expect(healths).toEqual([24, 22, 19]);
    expect(s.seats[0].fatigue).toBe(3);
  });
  it('burns the turn draw when the hand is full', () => {
    const s = makeBattle(ALL, [{}, { hand: Array(8).fill('grunt'), deck: ['wall'] }]);
    const { state, events } = mustApply(s, { type: 'end_turn', seat: 0 });
    expect(state.seats[1].hand).toHaveLength(8);
    expect(events).toContainEqual({ type: 'card_burned', seat: 1, uid: 'p1-d0', def: 'wall' });
  });
  it('ends a timed-out turn only after the timer, and forfeits on the third timeout in a row', () => {
    let s = makeBattle(ALL, [{ deck: Array(5).fill('grunt') }, { deck: Array(5).fill('grunt') }]);
    const early = applyBattle(s, { type: 'timeout', seat: 0 }, testCtx(44_999));
    expect(early.ok || early.violation.code).toBe('TIMER_RUNNING');
    let now = 0;
    for (let round = 0; round < 2; round++) {
      now += 45_000;
      s = mustApply(s, { type: 'timeout', seat: 0 }, testCtx(now)).state;
      expect(s.seats[0].timeouts).toBe(round + 1);
      s = mustApply(s, { type: 'end_turn', seat: 1 }, testCtx(now)).state;
    }
    now += 45_000;
    const { state, events } = mustApply(s, { type: 'timeout', seat: 0 }, testCtx(now));
    expect(state.outcome).toEqual({ winner: 1, reason: 'timeouts', turn: s.turn });
    expect(events.at(-1)).toEqual({ type: 'battle_ended', winner: 1, reason: 'timeouts' });
  });
  it('resets the timeout count when the player ends a turn', () => {
    let s = makeBattle(ALL, [{ deck: Array(5).fill('grunt') }, { deck: Array(5).fill('grunt') }]);
    s = mustApply(s, { type: 'timeout', seat: 0 }, testCtx(45_000)).state;
    s = mustApply(s, { type: 'end_turn', seat: 1 }, testCtx(46_000)).state;
    s = mustApply(s, { type: 'end_turn', seat: 0 }, testCtx(47_000)).state;
    expect(s.seats[0].timeouts).toBe(0);
  });
  it('ends after the turn limit: higher health wins, equal is a draw', () => {
    const s = makeBattle(ALL, [{ health: 10 }, { health: 12 }], { turn: 40 });
    expect(mustApply(s, { type: 'end_turn', seat: 0 }).state.outcome).toEqual({ winner: 1, reason: 'turn_limit', turn: 40 });
    const even = makeBattle(ALL, [{ health: 12 }, { health: 12 }], { turn: 40 });
    expect(mustApply(even, { type: 'end_turn', seat: 0 }).state.outcome).toEqual({ winner: null, reason: 'turn_limit', turn: 40 });
  });
  it('concede and forfeit end the match for either seat at any time', () => {
    const s = makeBattle(ALL, [{}, {}]);
    expect(mustApply(s, { type: 'concede', seat: 1 }).state.outcome?.winner).toBe(0);
    const f = mustApply(s, { type: 'forfeit', seat: 0, reason: 'disconnect' }).state;
    expect(f.outcome).toEqual({ winner: 1, reason: 'forfeit', turn: 3 });
    const after = applyBattle(f, { type: 'end_turn', seat: 0 }, testCtx());
    expect(after.ok || after.violation.code).toBe('BATTLE_ENDED');
  });
  it('destroys a hero at 0 health; both at once is a draw', () => {
    const s = makeBattle(ALL, [{ hand: ['bolt'] }, { health: 3 }]);
    expect(mustApply(s, { type: 'play', seat: 0, uid: 'p0-h0', target: hero(1) }).state.outcome).toEqual({
      winner: 0,
      reason: 'hero_destroyed',
      turn: 3,
    });
    const vamp = unitDef('vamp', 1, 1, { volley: 2 });
    const volleyKill = makeBattle([...ALL, vamp], [{ hand: ['vamp'] }, { health: 2 }]);
    expect(mustApply(volleyKill, { type: 'play', seat: 0, uid: 'p0-h0' }).state.outcome?.winner).toBe(0);
    const fatigueKill = makeBattle(ALL, [{}, { health: 1 }]);
    expect(mustApply(fatigueKill, { type: 'end_turn', seat: 0 }).state.outcome).toEqual({ winner: 0, reason: 'hero_destroyed', turn: 4 });
    // No single card hits both heroes today; the draw branch still has to hold if one ever does.
    const mutual = makeBattle(ALL, [{ health: 0 }, { health: 1 }]);
    expect(mustApply(mutual, { type: 'end_turn', seat: 0 }).state.outcome).toEqual({ winner: null, reason: 'hero_destroyed', turn: 4 });
  });
  it('refuses malformed actions', () => {
    const s = makeBattle(ALL, [{}, {}]);
    const r = applyBattle(s, { type: 'dance', seat: 0 } as never, testCtx());
    expect(r.ok || r.violation.code).toBe('UNKNOWN_ACTION');
    const noSeat = applyBattle(s, { type: 'end_turn', seat: 2 } as never, testCtx());
    expect(noSeat.ok || noSeat.violation.code).toBe('UNKNOWN_ACTION');
  });
});

describe('createBattle', () => {
  const deck = (p: number): CardRef[] => Array.from({ length: 20 }, (_, i) => ({ uid: `p${p}c${i}`, def: i % 2 ? 'grunt' : 'acorn' }));
  const setup = {
    config: TEST_CONFIG,
    cards: { grunt, acorn, seedling: SEEDLING, bolt },
    players: [
      { playerId: 'a', deck: deck(0) },
      { playerId: 'b', deck: deck(1) },
    ],
  } as const;

  it('shuffles, draws 3 and 4, and starts turn 1 for a seeded first player', () => {
    const r = createBattle(setup, testCtx(1000));
    if (!r.ok) throw new Error(r.violation.message);
    const s = r.state;
    const f = s.first;
    expect(s.turn).toBe(1);
    expect(s.active).toBe(f);
    expect(s.seats[f].hand).toHaveLength(4);
    expect(s.seats[f === 0 ? 1 : 0].hand).toHaveLength(4);
    expect(s.seats[f]).toMatchObject({ energy: 1, maxEnergy: 1 });
    expect(s.seats[f].deck.length + s.seats[f].hand.length).toBe(20);
    expect(Object.keys(s.cards).sort()).toEqual(['acorn', 'grunt', 'seedling']);
    expect(s.turnStartedAt).toBe(1000);
    const firsts = new Set(
      Array.from({ length: 16 }, (_, i) => {
        const res = createBattle(setup, { rng: createRngFromSeed(i.toString(16).padStart(32, '0')), now: 0 });
        return res.ok ? res.state.first : -1;
      }),
    );
    expect(firsts).toEqual(new Set([0, 1]));
  });

  it('refuses unknown definitions, duplicate instances and the token prefix', () => {
    const unknown = createBattle(
      { ...setup, players: [{ playerId: 'a', deck: [{ uid: 'x', def: 'nope' }] }, setup.players[1]] },
      testCtx(),
    );
    expect(unknown.ok || unknown.violation.code).toBe('INVALID_SETUP');
    const dup = createBattle({ ...setup, players: [setup.players[0], { playerId: 'b', deck: deck(0) }] }, testCtx());
    expect(dup.ok || dup.violation.code).toBe('INVALID_SETUP');
    const reserved = createBattle(
      { ...setup, players: [{ playerId: 'a', deck: [{ uid: 'token:9', def: 'grunt' }] }, setup.players[1]] },
      testCtx(),
    );
    expect(reserved.ok || reserved.violation.code).toBe('INVALID_SETUP');
    const noSeedling = createBattle({ ...setup, cards: { grunt, acorn } }, testCtx());
    expect(noSeedling.ok || noSeedling.violation.code).toBe('INVALID_SETUP');
  });
});
