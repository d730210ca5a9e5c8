import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CardDef } from '../cards.ts';
import { commitSeed } from '../core/fairness.ts';
import { createRngFromSeed, createRngFromState } from '../core/rng.ts';
import { applyBattle, createBattle } from './engine.ts';
import { listLegalActions } from './legal.ts';
import { type BattleTranscript, replayBattle, type TranscriptEntry, verifyTranscript } from './replay.ts';
import { SEEDLING, spellDef, TEST_CONFIG, unitDef } from './test-helpers.ts';
import type { BattleAction, BattleEvent, BattleSetup, BattleState, CardRef } from './types.ts';
import { projectEvent, viewBattle } from './view.ts';

// A pool that exercises every keyword and every spell effect, at several costs.
const POOL: CardDef[] = [
  unitDef('grunt', 2, 3, {}, 2),
  unitDef('wall', 1, 5, { guard: true }, 2),
  unitDef('runner', 3, 1, { swift: true }, 2),
  unitDef('sapling', 1, 2, { bloom: true }, 1),
  unitDef('leech', 2, 3, { drain: true }, 3),
  unitDef('cactus', 1, 4, { thorns: 2 }, 3),
  unitDef('acorn', 1, 1, { sprout: true }, 1),
  unitDef('bubble', 2, 2, { shield: true }, 2),
  unitDef('banner', 1, 3, { rally: true }, 3),
  unitDef('archer', 2, 2, { volley: 1 }, 3),
  unitDef('giant', 7, 7, { guard: true, shield: true }, 8),
  unitDef('hydra', 4, 4, { drain: true, volley: 3, sprout: true }, 6),
  unitDef('zero', 0, 6, { guard: true, thorns: 1 }, 2),
  spellDef('bolt', { type: 'damage', amount: 3 }, 2),
  spellDef('blast', { type: 'damage', amount: 8 }, 6),
  spellDef('salve', { type: 'heal', amount: 5 }, 1),
  spellDef('insight', { type: 'draw', count: 3 }, 3),
  spellDef('growth', { type: 'buff', attack: 2, health: 2 }, 2),
  spellDef('swarm', { type: 'summon', token: 'seedling', count: 3 }, 3),
  spellDef('free', { type: 'draw', count: 1 }, 0),
];
const CARDS: Record<string, CardDef> = { seedling: SEEDLING };
for (const c of POOL) CARDS[c.id] = c;

const hexSeed = fc.uint8Array({ minLength: 16, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const deckArb = (p: number) =>
  fc
    .array(fc.integer({ min: 0, max: POOL.length - 1 }), { minLength: 5, maxLength: 30 })
    .map((idx) => idx.map((i, n): CardRef => ({ uid: `p${p}-${n}`, def: (POOL[i] as CardDef).id })));

interface Played {
  setup: BattleSetup;
  transcript: BattleTranscript;
  states: BattleState[];
  events: BattleEvent[];
  steps: { action: BattleAction; events: BattleEvent[] }[];
  tokens: Set<string>;
}

/** Plays a random legal game; `choices` drive every decision (including rare timeouts and concessions). */
function playRandom(seed: string, deckA: CardRef[], deckB: CardRef[], choices: number[]): Played {
  const setup: BattleSetup = {
    config: TEST_CONFIG,
    cards: CARDS,
    players: [
      { playerId: 'a', deck: deckA },
      { playerId: 'b', deck: deckB },
    ],
  };
  const rng = createRngFromSeed(seed);
  const startedAt = 1_700_000_000_000;
  const started = createBattle(setup, { rng, now: startedAt });
  if (!started.ok) throw new Error(started.violation.message);
  let state = started.state;
  const states = [state];
  const events = [...started.events];
  const actions: TranscriptEntry[] = [];
  const steps: Played['steps'] = [];
  let now = startedAt;
  for (const choice of choices) {
    if (state.outcome) break;
    let action: BattleAction;
    if (choice % 97 === 0) {
      now = state.turnStartedAt + state.config.turnSeconds * 1000;
      action = { type: 'timeout', seat: state.active };
    } else if (choice % 4001 === 1) {
      action = { type: 'concede', seat: (choice % 2) as 0 | 1 };
    } else {
      const legal = listLegalActions(state);
      action = legal[choice % legal.length] as BattleAction;
      now += 1 + (choice % 5000);
    }
    const before = JSON.stringify(state);
    const r = applyBattle(state, action, { rng, now });
    if (!r.ok) throw new Error(`legal action refused: ${r.violation.code} ${JSON.stringify(action)}`);
    expect(JSON.stringify(state)).toBe(before); // the previous state is never touched
    state = r.state;
    states.push(state);
    events.push(...r.events);
    actions.push({ at: now, action });
    steps.push({ action, events: r.events });
  }
  const tokens = new Set(events.flatMap((e) => (e.type === 'unit_summoned' && e.token ? [e.uid] : [])));
  return { setup, transcript: { v: 1, seed, startedAt, setup, actions }, states, events, steps, tokens };
}

const gameArb = fc
  .record({
    seed: hexSeed,
    deckA: deckArb(0),
    deckB: deckArb(1),
    choiceSeed: fc.integer({ min: 1 }),
    maxActions: fc.oneof(fc.constant(5000), fc.integer({ min: 0, max: 300 })),
  })
  .map(({ choiceSeed, maxActions, ...rest }) => {
    // Decisions come from a seeded stream so games run to the end; fast-check still shrinks seed and decks.
    const r = createRngFromState([choiceSeed, 0x9e3779b9, 7, 1]);
    return { ...rest, choices: Array.from({ length: maxActions }, () => r.nextU32()) };
  });

const depth = { turns: [] as number[], finished: 0, kinds: new Set<string>() };

/** Which mechanics a game exercised, read off each action's events. */
function mechanics(played: Played): string[] {
  const out = new Set<string>();
  const defOf = new Map<string, string>();
  for (const p of played.setup.players) for (const c of p.deck) defOf.set(c.uid, c.def);
  for (const { action, events } of played.steps) {
    for (const e of events) {
      if (e.type === 'unit_summoned') defOf.set(e.uid, e.def);
      if (e.type === 'bloomed') out.add('bloom');
      if (e.type === 'card_burned') out.add('burn');
      if (e.type === 'fatigue') out.add('fatigue');
      if (e.type === 'shield_broken') out.add('shield');
    }
    if (action.type === 'timeout') out.add('timeout');
    if (action.type === 'attack') {
      out.add('attack');
      if (events.some((e) => e.type === 'healed')) out.add('drain');
      const t = action.target;
      const thorns =
        t.kind === 'unit'
          ? CARDS[defOf.get(t.uid) ?? '']?.kind === 'unit' &&
            (CARDS[defOf.get(t.uid) ?? ''] as { keywords: { thorns?: number } }).keywords.thorns
          : undefined;
      const fromDefender = events.filter((e) => e.type === 'damaged' && t.kind === 'unit' && e.source === t.uid);
      if (thorns && fromDefender.at(-1)?.type === 'damaged' && (fromDefender.at(-1) as { amount: number }).amount === thorns)
        out.add('thorns');
    }
    if (action.type === 'play') {
      const def = defOf.get(action.uid);
      if (def === 'swarm' && events.some((e) => e.type === 'unit_summoned' && e.token)) out.add('summon-spell');
      if ((def === 'archer' || def === 'hydra') && events.some((e) => e.type === 'damaged' && e.source === action.uid)) out.add('volley');
    }
    const died = events.some((e) => e.type === 'unit_died' && (e.def === 'acorn' || e.def === 'hydra'));
    if (died && events.some((e) => e.type === 'unit_summoned' && e.token) && !(action.type === 'play' && defOf.get(action.uid) === 'swarm'))
      out.add('sprout');
  }
  return [...out];
}

describe('random legal games', () => {
  it('keep every invariant', () => {
    fc.assert(
      fc.property(gameArb, ({ seed, deckA, deckB, choices }) => {
        const played = playRandom(seed, deckA, deckB, choices);
        const { states, tokens } = played;
        for (const s of states) {
          s.seats.forEach((p, seat) => {
            expect(p.health).toBeLessThanOrEqual(p.maxHealth);
            expect(p.energy).toBeGreaterThanOrEqual(0);
            expect(p.energy).toBeLessThanOrEqual(p.maxEnergy);
            expect(p.maxEnergy).toBeLessThanOrEqual(10);
            expect(p.hand.length).toBeLessThanOrEqual(8);
            expect(p.board.length).toBeLessThanOrEqual(5);
            for (const u of p.board) {
              expect(u.health).toBeLessThanOrEqual(u.maxHealth);
              if (!s.outcome) expect(u.health).toBeGreaterThan(0);
            }
            // Conservation: each of this seat's cards is in exactly one zone, plus the tokens it was given.
            const uids = [...p.deck, ...p.hand, ...p.board, ...p.graveyard].map((c) => c.uid);
            expect(new Set(uids).size).toBe(uids.length);
            const own = (seat === 0 ? deckA : deckB).map((c) => c.uid);
            const mine = uids.filter((u) => !u.startsWith('token:')).sort();
            expect(mine).toEqual(own.slice().sort());
            for (const t of uids.filter((u) => u.startsWith('token:'))) expect(tokens.has(t)).toBe(true);
          });
          // A token never exists on both sides.
          const all = s.seats.flatMap((p) => [...p.board, ...p.graveyard].map((c) => c.uid));
          expect(new Set(all).size).toBe(all.length);
        }
        const last = states.at(-1) as BattleState;
        depth.turns.push(last.turn);
        if (last.outcome) depth.finished += 1;
        for (const m of mechanics(played)) depth.kinds.add(m);
      }),
      { numRuns: 150 },
    );
    // Guard against a generator that only makes trivial games: they must go deep and touch everything.
    depth.turns.sort((a, b) => a - b);
    expect(depth.turns[Math.floor(depth.turns.length / 2)]).toBeGreaterThan(10);
    expect(depth.finished).toBeGreaterThan(50);
    expect([...depth.kinds].sort()).toEqual(
      ['attack', 'bloom', 'burn', 'drain', 'fatigue', 'shield', 'sprout', 'thorns', 'volley', 'summon-spell', 'timeout'].sort(),
    );
  });

  it('replay to the same state, events and outcome', () => {
    fc.assert(
      fc.property(gameArb, ({ seed, deckA, deckB, choices }) => {
        const played = playRandom(seed, deckA, deckB, choices);
        const replay = replayBattle(JSON.parse(JSON.stringify(played.transcript)) as BattleTranscript);
        if (!replay.ok) throw new Error(`replay refused action ${replay.index}`);
        expect(replay.state).toEqual(played.states.at(-1));
        expect(replay.events).toEqual(played.events);
        const final = played.states.at(-1) as BattleState;
        if (final.outcome) expect(verifyTranscript(played.transcript, commitSeed(seed), final.outcome)).toEqual({ ok: true });
      }),
      { numRuns: 150 },
    );
  });

  it('survive a JSON round trip mid-game', () => {
    fc.assert(
      fc.property(gameArb, fc.nat(), ({ seed, deckA, deckB, choices }, cut) => {
        const { states } = playRandom(seed, deckA, deckB, choices);
        const s = states[cut % states.length] as BattleState;
        expect(JSON.parse(JSON.stringify(s))).toEqual(s);
      }),
      { numRuns: 50 },
    );
  });
});

describe('replay checks', () => {
  const deck = (p: number): CardRef[] =>
    POOL.flatMap((c, i) =>
      i < 10
        ? [
            { uid: `p${p}-${i}a`, def: c.id },
            { uid: `p${p}-${i}b`, def: c.id },
          ]
        : [],
    );
  const seed = 'c0ffee'.repeat(6);
  const played = playRandom(
    seed,
    deck(0),
    deck(1),
    Array.from({ length: 3000 }, (_, i) => ((i * 7919 + 3) % 1000) + 2),
  );
  const final = played.states.at(-1) as BattleState;

  it('the scripted game finishes', () => {
    expect(final.outcome).not.toBeNull();
  });
  it('rejects a wrong seed, a tampered action or a false claim', () => {
    const outcome = final.outcome as NonNullable<BattleState['outcome']>;
    expect(verifyTranscript(played.transcript, commitSeed(seed), outcome).ok).toBe(true);
    expect(verifyTranscript({ ...played.transcript, seed: 'ab'.repeat(16) }, commitSeed(seed), outcome).ok).toBe(false);
    const flipped = { ...outcome, winner: outcome.winner === 0 ? 1 : 0 } as const;
    expect(verifyTranscript(played.transcript, commitSeed(seed), flipped).ok).toBe(false);
    const actions = played.transcript.actions.slice();
    actions.splice(1, 0, { at: actions[0]?.at ?? 0, action: { type: 'end_turn', seat: final.first === 0 ? 1 : 0 } });
    const tampered = replayBattle({ ...played.transcript, actions });
    expect(tampered.ok).toBe(false);
  });
  it('another seed gives another game', () => {
    const other = replayBattle({ ...played.transcript, seed: 'ab'.repeat(16), actions: [] });
    const first = replayBattle({ ...played.transcript, actions: [] });
    expect(other.ok && first.ok && JSON.stringify(other.state.seats) !== JSON.stringify(first.state.seats)).toBe(true);
  });
});

describe('views', () => {
  it('hide the opponent hand, every deck order and the opponent draws', () => {
    const played = playRandom('11'.repeat(16), deckArbSample(0), deckArbSample(1), [5, 9, 13]);
    const s = played.states.at(-1) as BattleState;
    const v = viewBattle(s, 0);
    expect(v.seats[0].hand).toEqual(s.seats[0].hand);
    expect(v.seats[1].hand).toBeNull();
    expect(v.seats[1].handCount).toBe(s.seats[1].hand.length);
    expect(JSON.stringify(v)).not.toContain('"deck"');
    for (const c of s.seats[1].hand) expect(JSON.stringify(v)).not.toContain(c.uid);
    for (const e of played.events) {
      const seen = projectEvent(e, 0);
      if (e.type === 'card_drawn' && e.seat === 1) expect(seen).toEqual({ type: 'card_drawn_hidden', seat: 1 });
      else expect(seen).toBe(e);
    }
  });
});

function deckArbSample(p: number): CardRef[] {
  return Array.from({ length: 20 }, (_, i) => ({ uid: `p${p}-${i}`, def: (POOL[i % POOL.length] as CardDef).id }));
}
