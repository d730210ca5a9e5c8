import type { BattleState, SeatState, Unit } from '@harvest/shared/rules';
import { describe, expect, it } from 'vitest';
import { BattleSchema, SeatSchema, syncBattle } from './battle-schema.ts';

const unit = (uid: string, health = 2): Unit => ({
  uid,
  def: 'grunt',
  attack: 1,
  health,
  maxHealth: 3,
  shield: false,
  canAttack: false,
  token: false,
});

const seat = (board: Unit[]): SeatState => ({
  playerId: 'p',
  health: 25,
  maxHealth: 25,
  energy: 1,
  maxEnergy: 1,
  deck: [],
  hand: [],
  board,
  graveyard: [],
  fatigue: 0,
  timeouts: 0,
});

const battle = (board: Unit[]): BattleState =>
  ({
    turn: 1,
    active: 0,
    first: 0,
    turnStartedAt: 0,
    config: { turnSeconds: 45 },
    seats: [seat(board), seat([])],
  }) as unknown as BattleState;

function room(): BattleSchema {
  const state = new BattleSchema({ matchId: 'm', mode: 'casual', seedCommitment: 'c' });
  state.seats.push(new SeatSchema({ playerId: 'a' }));
  state.seats.push(new SeatSchema({ playerId: 'b' }));
  return state;
}

const board = (state: BattleSchema) => [...(state.seats[0] as SeatSchema).board];

describe('board sync', () => {
  it('keeps the schema objects of units that stay when units die and arrive', () => {
    const state = room();
    syncBattle(state, battle([unit('a'), unit('b'), unit('c')]));
    const [a, b, c] = board(state);
    // b died, d arrived in front, e at the end; a took damage.
    syncBattle(state, battle([unit('d'), unit('a', 1), unit('c'), unit('e')]));
    const after = board(state);
    expect(after.map((u) => u.uid)).toEqual(['d', 'a', 'c', 'e']);
    expect(after[1]).toBe(a);
    expect(after[2]).toBe(c);
    expect(after).not.toContain(b);
    expect(after[1]?.health).toBe(1);
  });

  it('rebuilds a board whose units changed order', () => {
    const state = room();
    syncBattle(state, battle([unit('a'), unit('b')]));
    syncBattle(state, battle([unit('b'), unit('a'), unit('c')]));
    expect(board(state).map((u) => u.uid)).toEqual(['b', 'a', 'c']);
    syncBattle(state, battle([]));
    expect(board(state)).toEqual([]);
  });
});
