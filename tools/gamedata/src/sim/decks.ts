/**
 * Decks for the simulator, built from game data: the starter deck, one deck per element, one per pair of elements,
 * and seeded random decks so every card gets games. All decks are legal under the data's deck rules.
 */

import { cardCatalog, deckRulesOf, estimateCard, type GameData } from '@harvest/shared/gamedata';
import { type CardDef, checkDeck, createRngFromSeed, ELEMENTS, type Element, type Rng, sha256Hex } from '@harvest/shared/rules';

/** A named simulator deck: 20 card definition ids. */
export interface SimDeck {
  readonly id: string;
  readonly name: string;
  readonly elements: readonly Element[];
  readonly cards: readonly string[];
}

/** Target number of cards per energy cost (7 means 7 or more): a Hearthstone-like midrange curve. */
const CURVE: Readonly<Record<number, number>> = { 0: 1, 1: 3, 2: 4, 3: 4, 4: 3, 5: 2, 6: 2, 7: 2 };

function copiesAllowed(card: CardDef, data: GameData): number {
  return card.rarity === 'legendary' ? data.battle.maxLegendaryCopies : data.battle.maxCopies;
}

/** Fills a deck from candidates (best first) along the curve, then tops it up with the best leftovers. */
function fillDeck(candidates: readonly CardDef[], data: GameData): string[] {
  const size = data.battle.deckSize;
  const deck: string[] = [];
  const count = new Map<string, number>();
  const bucket = new Map<number, number>();
  const room = (c: CardDef) => (count.get(c.id) ?? 0) < copiesAllowed(c, data);
  const add = (c: CardDef) => {
    deck.push(c.id);
    count.set(c.id, (count.get(c.id) ?? 0) + 1);
    const b = Math.min(c.cost, 7);
    bucket.set(b, (bucket.get(b) ?? 0) + 1);
  };
  for (let pass = 0; pass < 2 && deck.length < size; pass++) {
    for (const c of candidates) {
      while (deck.length < size && room(c) && (pass === 1 || (bucket.get(Math.min(c.cost, 7)) ?? 0) < (CURVE[Math.min(c.cost, 7)] ?? 0)))
        add(c);
    }
  }
  return deck;
}

/** Collectible cards of some elements, strongest first by the curve estimate (ties by id, for determinism). */
function byStrength(data: GameData, elements: readonly Element[]): CardDef[] {
  const catalog = cardCatalog(data);
  return data.cards
    .filter((c) => !c.token && elements.includes(c.element))
    .map((c) => ({ c, s: estimateCard(c, catalog).delta }))
    .sort((a, b) => b.s - a.s || (a.c.id < b.c.id ? -1 : 1))
    .map((x) => x.c);
}

function randomDeck(data: GameData, rng: Rng, index: number): SimDeck {
  const first = ELEMENTS[rng.int(ELEMENTS.length)] as Element;
  const second = ELEMENTS[rng.int(ELEMENTS.length)] as Element;
  const elements = first === second ? [first] : [first, second];
  const pool: CardDef[] = data.cards.filter((c) => !c.token && elements.includes(c.element));
  // Random order, then the same curve filler: random but playable decks.
  for (let i = pool.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [pool[i], pool[j]] = [pool[j] as CardDef, pool[i] as CardDef];
  }
  return { id: `random-${index + 1}`, name: `Random ${index + 1} (${elements.join('/')})`, elements, cards: fillDeck(pool, data) };
}

/**
 * The simulator's decks: the starter deck, one per element, one per element pair, `randomDecks` random ones, then
 * coverage decks until every collectible card is in at least one deck. Random decks are drawn from `seed` (any
 * text; the generator is seeded with SHA-256 of `"decks:" + seed`). Decks that come out illegal (too few cards of
 * an element, say) are dropped rather than played.
 */
export function buildSimDecks(data: GameData, opts: { readonly randomDecks: number; readonly seed: string }): SimDeck[] {
  const decks: SimDeck[] = [];
  const elements = [
    ...new Set(
      data.rewards.starter.deck.map((id) => data.cards.find((c) => c.id === id)?.element).filter((e): e is Element => e !== undefined),
    ),
  ];
  decks.push({ id: 'starter', name: 'Starter', elements, cards: data.rewards.starter.deck });
  for (const e of ELEMENTS) decks.push({ id: `mono-${e}`, name: `Mono ${e}`, elements: [e], cards: fillDeck(byStrength(data, [e]), data) });
  for (let i = 0; i < ELEMENTS.length; i++) {
    for (let j = i + 1; j < ELEMENTS.length; j++) {
      const pair = [ELEMENTS[i], ELEMENTS[j]] as Element[];
      decks.push({
        id: `${pair[0]}-${pair[1]}`,
        name: `${pair[0]}/${pair[1]}`,
        elements: pair,
        cards: fillDeck(byStrength(data, pair), data),
      });
    }
  }
  const rng = createRngFromSeed(sha256Hex(`decks:${opts.seed}`));
  for (let i = 0; i < opts.randomDecks; i++) decks.push(randomDeck(data, rng, i));
  // Coverage decks: every collectible card must be in some deck, or the report has no numbers for it.
  const covered = () => new Set(decks.flatMap((d) => d.cards));
  for (let n = 1; ; n++) {
    const inDecks = covered();
    const missing = data.cards.find((c) => !c.token && !inDecks.has(c.id));
    if (!missing) break;
    const strongest = byStrength(data, [missing.element]);
    const pool = [...strongest.filter((c) => !inDecks.has(c.id)), ...strongest.filter((c) => inDecks.has(c.id))];
    decks.push({
      id: `coverage-${n}`,
      name: `Coverage ${n} (${missing.element})`,
      elements: [missing.element],
      cards: fillDeck(pool, data),
    });
  }
  const catalog = cardCatalog(data);
  const rules = deckRulesOf(data);
  return decks.filter(
    (d) =>
      checkDeck(
        d.cards.map((def, i) => ({ instanceId: `x${i}`, def, owner: 'sim', state: 'in_game' as const })),
        { playerId: 'sim', cards: catalog, rules },
      ).ok,
  );
}
