import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CardDef } from '../cards.ts';
import { createRngFromSeed } from '../core/rng.ts';
import { chooseGreedyAction } from './ai.ts';
import { applyBattle, createBattle } from './engine.ts';
import { SEEDLING, spellDef, TEST_CONFIG, unitDef } from './test-helpers.ts';
import type { BattleSetup, CardRef } from './types.ts';
import { viewBattle } from './view.ts';

const POOL: CardDef[] = [
  unitDef('grunt', 2, 3, {}, 2),
  unitDef('wall', 1, 5, { guard: true }, 2),
  unitDef('runner', 3, 1, { swift: true }, 2),
  unitDef('leech', 2, 3, { drain: true }, 3),
  unitDef('cactus', 1, 4, { thorns: 2 }, 3),
  unitDef('acorn', 1, 1, { sprout: true }, 1),
  unitDef('bubble', 2, 2, { shield: true }, 2),
  unitDef('banner', 1, 3, { rally: true }, 3),
  unitDef('archer', 2, 2, { volley: 1 }, 3),
  spellDef('bolt', { type: 'damage', amount: 3 }, 2),
  spellDef('salve', { type: 'heal', amount: 5 }, 1),
  spellDef('insight', { type: 'draw', count: 3 }, 3),
  spellDef('growth', { type: 'buff', attack: 2, health: 2 }, 2),
  spellDef('swarm', { type: 'summon', token: 'seedling', count: 3 }, 3),
];
const CARDS: Record<string, CardDef> = { seedling: SEEDLING };
for (const c of POOL) CARDS[c.id] = c;

function setupOf(picks: readonly number[]): BattleSetup {
  const deck = (p: number): CardRef[] => picks.map((i, n) => ({ uid: `p${p}-${n}`, def: (POOL[(i + p) % POOL.length] as CardDef).id }));
  return {
    config: TEST_CONFIG,
    cards: CARDS,
    players: [
      { playerId: 'a', deck: deck(0) },
      { playerId: 'b', deck: deck(1) },
    ],
  };
}

describe('greedy AI', () => {
  it('plays whole matches from the active seat view with only legal actions', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.array(fc.nat(100), { minLength: 10, maxLength: 20 }),
        (bytes, picks) => {
          const seed = Buffer.from(bytes).toString('hex');
          const rng = createRngFromSeed(seed);
          let now = 1_700_000_000_000;
          const started = createBattle(setupOf(picks), { rng, now });
          if (!started.ok) throw new Error(started.violation.message);
          let state = started.state;
          for (let i = 0; i < 2000 && state.outcome === null; i++) {
            now += 1000;
            const action = chooseGreedyAction(viewBattle(state, state.active), state.cards);
            const next = applyBattle(state, action, { rng, now });
            expect(next.ok, next.ok ? '' : next.violation.code).toBe(true);
            if (next.ok) state = next.state;
          }
          expect(state.outcome).not.toBeNull();
        },
      ),
      { numRuns: 40 },
    );
  });
});
