import { battleConfigOf, cardCatalog, deckRulesOf } from '@harvest/shared/gamedata';
import { applyBattle, type BattleState, checkDeck, createBattle, createRngFromSeed, listLegalActions } from '@harvest/shared/rules';
import { describe, expect, it } from 'vitest';
import { greedyAction } from '../src/sim/ai.ts';
import { buildSimDecks } from '../src/sim/decks.ts';
import { playMatch } from '../src/sim/match.ts';
import { deckPairs, matchPlan } from '../src/sim/plan.ts';
import { simulate } from '../src/sim/run.ts';
import { repoData } from './helpers.ts';

const data = repoData();
const config = battleConfigOf(data);
const cards = cardCatalog(data);
const decks = buildSimDecks(data, { randomDecks: 6, seed: 'test' });

describe('simulator decks', () => {
  it('are legal, cover every collectible card, and depend only on the seed', () => {
    for (const d of decks) {
      const entries = d.cards.map((def, i) => ({ instanceId: `${d.id}-${i}`, def, owner: 'p', state: 'in_game' as const }));
      expect(checkDeck(entries, { playerId: 'p', cards, rules: deckRulesOf(data) }), d.id).toEqual({ ok: true });
    }
    const held = new Set(decks.flatMap((d) => d.cards));
    expect(data.cards.filter((c) => !c.token && !held.has(c.id)).map((c) => c.id)).toEqual([]);
    expect(buildSimDecks(data, { randomDecks: 6, seed: 'test' })).toEqual(decks);
    expect(buildSimDecks(data, { randomDecks: 6, seed: 'other' })).not.toEqual(decks);
    expect(decks.map((d) => d.id).slice(0, 5)).toEqual(['starter', 'mono-sun', 'mono-rain', 'mono-soil', 'mono-frost']);
  });
});

describe('greedy AI', () => {
  it('only makes legal moves and always finishes matches', () => {
    const pairs = deckPairs(decks.length);
    for (let i = 0; i < 300; i++) {
      const plan = matchPlan(i, pairs, 'ai-test');
      const m = playMatch(config, cards, [decks[plan.seats[0]]?.cards ?? [], decks[plan.seats[1]]?.cards ?? []], plan.seed);
      expect(m.refused).toBe(0);
      expect(m.turns).toBeGreaterThan(0);
      expect(m.turns).toBeLessThanOrEqual(config.turnLimit);
    }
  });
  it('chooses among the legal actions of the position', () => {
    const deck = (p: string) => data.rewards.starter.deck.map((def, i) => ({ uid: `${p}${i}`, def }));
    const rng = createRngFromSeed('aa'.repeat(16));
    const r = createBattle(
      {
        config,
        cards,
        players: [
          { playerId: 'a', deck: deck('a') },
          { playerId: 'b', deck: deck('b') },
        ],
      },
      { rng, now: 0 },
    );
    if (!r.ok) throw new Error(r.violation.message);
    let s: BattleState = r.state;
    for (let step = 0; step < 200 && !s.outcome; step++) {
      const a = greedyAction(s);
      const legal = listLegalActions(s).map((x) => JSON.stringify(x));
      if (a.type === 'play') {
        const def = s.seats[a.seat].hand.find((c) => c.uid === a.uid)?.def;
        const sameDef = s.seats[a.seat].hand.find((c) => c.def === def)?.uid;
        expect(legal).toContain(JSON.stringify({ ...a, uid: sameDef }));
      } else expect(legal).toContain(JSON.stringify(a));
      const next = applyBattle(s, a, { rng, now: step });
      if (!next.ok) throw new Error(next.violation.code);
      s = next.state;
    }
  });
  it('takes lethal and respects Guard', () => {
    const lethal = makeState([{ uid: 'a', attack: 3 }], [], 3);
    expect(greedyAction(lethal)).toEqual({ type: 'attack', seat: 0, attacker: 'a', target: { kind: 'hero', seat: 1 } });
    const guarded = makeState([{ uid: 'a', attack: 3 }], [{ uid: 'g', def: 'scarecrow' }], 3);
    expect(greedyAction(guarded)).toMatchObject({ type: 'attack', target: { kind: 'unit', uid: 'g' } });
  });
});

function makeState(mine: { uid: string; attack: number }[], theirs: { uid: string; def: string }[], enemyHealth: number): BattleState {
  const unit = (uid: string, def: string, attack: number, health: number) => ({
    uid,
    def,
    attack,
    health,
    maxHealth: health,
    shield: false,
    canAttack: true,
    token: false,
  });
  const seat = (board: ReturnType<typeof unit>[], health: number) => ({
    playerId: 'p',
    health,
    maxHealth: 25,
    energy: 0,
    maxEnergy: 5,
    deck: [],
    hand: [],
    board,
    graveyard: [],
    fatigue: 0,
    timeouts: 0,
  });
  return {
    v: 1,
    config,
    cards,
    seats: [
      seat(
        mine.map((m) => unit(m.uid, 'mole-tiller', m.attack, 2)),
        25,
      ),
      seat(
        theirs.map((t) => unit(t.uid, t.def, 1, 4)),
        enemyHealth,
      ),
    ],
    first: 0,
    active: 0,
    turn: 5,
    turnStartedAt: 0,
    nextToken: 1,
    outcome: null,
  };
}

describe('simulate', () => {
  it('gives the same totals on one thread or split over workers', async () => {
    const one = await simulate({ data, decks, matches: 240, seed: 'split' });
    const two = await simulate({ data, decks, matches: 240, seed: 'split', workers: 2 });
    expect(two.workers).toBe(2);
    expect(two.totals).toEqual(one.totals);
    expect(one.totals.matches).toBe(240);
    expect(one.totals.decks.reduce((s, d) => s + d.games, 0)).toBe(480);
    expect(one.perThread[0]?.matchesPerSecond).toBeGreaterThan(0);
  });
  it('reports progress up to the total', async () => {
    const seen: number[] = [];
    await simulate({ data, decks, matches: 100, seed: 'p', onProgress: (n) => seen.push(n) });
    expect(seen.at(-1)).toBe(100);
    expect(seen).toEqual(seen.slice().sort((a, b) => a - b));
  });
});
