import { describe, expect, it } from 'vitest';
import type { CardDef } from '../cards.ts';
import { checkDeck, type DeckEntry } from './deck.ts';

const def = (id: string, rarity: CardDef['rarity'] = 'common', token = false): CardDef => ({
  id,
  kind: 'unit',
  rarity,
  element: 'sun',
  cost: 1,
  attack: 1,
  health: 1,
  keywords: {},
  token,
});
const CARDS: Record<string, CardDef> = Object.fromEntries(
  [...Array.from({ length: 12 }, (_, i) => def(`c${i}`)), def('legend', 'legendary'), def('seedling', 'common', true)].map((c) => [
    c.id,
    c,
  ]),
);
const RULES = { deckSize: 20, maxCopies: 2, maxLegendaryCopies: 1 };
const entry = (i: number, d: string, extra: Partial<DeckEntry> = {}): DeckEntry => ({
  instanceId: `i${i}`,
  def: d,
  owner: 'me',
  state: 'in_game',
  ...extra,
});
const legal = (): DeckEntry[] => Array.from({ length: 20 }, (_, i) => entry(i, `c${Math.floor(i / 2)}`));
const codes = (deck: DeckEntry[]) => {
  const r = checkDeck(deck, { playerId: 'me', cards: CARDS, rules: RULES });
  return r.ok ? [] : r.violations.map((v) => v.code);
};

describe('checkDeck', () => {
  it('accepts 20 owned, available cards within copy limits', () => {
    expect(checkDeck(legal(), { playerId: 'me', cards: CARDS, rules: RULES })).toEqual({ ok: true });
    const withLegend = legal();
    withLegend[19] = entry(19, 'legend');
    expect(codes(withLegend)).toEqual([]);
  });
  it('needs exactly 20 cards', () => {
    expect(codes(legal().slice(1))).toEqual(['DECK_SIZE']);
    expect(codes([...legal(), entry(99, 'c11')])).toEqual(['DECK_SIZE']);
  });
  it('allows 2 copies, 1 of a legendary', () => {
    const three = legal();
    three[2] = entry(2, 'c0');
    expect(codes(three)).toEqual(['TOO_MANY_COPIES']);
    const legends = legal();
    legends[0] = entry(0, 'legend');
    legends[1] = entry(1, 'legend');
    expect(codes(legends)).toEqual(['TOO_MANY_LEGENDARY_COPIES']);
  });
  it('needs the cards to be yours, in game, known, collectible and distinct', () => {
    const d = legal();
    d[0] = entry(0, 'c0', { owner: 'someone' });
    d[1] = entry(1, 'c0', { state: 'minting' });
    d[2] = entry(2, 'seedling');
    d[3] = entry(3, 'nope');
    d[4] = entry(3, 'c2');
    expect(codes(d).sort()).toEqual(['CARD_NOT_OWNED', 'CARD_UNAVAILABLE', 'DUPLICATE_INSTANCE', 'NOT_COLLECTIBLE', 'UNKNOWN_CARD'].sort());
    const r = checkDeck(d, { playerId: 'me', cards: CARDS, rules: RULES });
    expect(r.ok ? null : r.violation.code).toBe('CARD_NOT_OWNED');
  });
});
