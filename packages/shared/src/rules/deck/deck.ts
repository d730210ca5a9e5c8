/**
 * Deck legality. Ownership and card state come from the caller (the database knows them); the rule knows the
 * limits and the catalogue.
 */

import type { CardDef, CardState } from '../cards.ts';
import type { Violation } from '../core/result.ts';

/** Deck-building limits from `gamedata/battle.yaml` (GAME.md: 20 cards, 2 copies, 1 of a legendary). */
export interface DeckRules {
  readonly deckSize: number;
  /** Copies of one definition at most. */
  readonly maxCopies: number;
  /** Copies of one legendary definition at most. */
  readonly maxLegendaryCopies: number;
}

/** One card of a proposed deck: the instance, its definition, its owner and its state as the caller loaded them. */
export interface DeckEntry {
  readonly instanceId: string;
  readonly def: string;
  readonly owner: string;
  readonly state: CardState;
}

/** Deck violation codes. */
export const DECK_VIOLATIONS = [
  'DECK_SIZE',
  'TOO_MANY_COPIES',
  'TOO_MANY_LEGENDARY_COPIES',
  'UNKNOWN_CARD',
  'NOT_COLLECTIBLE',
  'CARD_NOT_OWNED',
  'CARD_UNAVAILABLE',
  'DUPLICATE_INSTANCE',
] as const;
/** A deck violation code. */
export type DeckViolationCode = (typeof DECK_VIOLATIONS)[number];

/** Deck check result: every problem is listed, `violation` is the first for callers that show one. */
export type DeckCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly violation: Violation<DeckViolationCode>; readonly violations: Violation<DeckViolationCode>[] };

/**
 * Checks a deck for `playerId`. Cards must be owned by the player and `in_game` (a card being minted, on chain,
 * in another match or consumed cannot be brought to a match; on-chain cards come back to `in_game` first), be
 * collectible (no tokens), and the deck must respect size and copy limits.
 */
export function checkDeck(
  deck: readonly DeckEntry[],
  ctx: { readonly playerId: string; readonly cards: Readonly<Record<string, CardDef>>; readonly rules: DeckRules },
): DeckCheck {
  const out: Violation<DeckViolationCode>[] = [];
  const { rules, cards, playerId } = ctx;
  if (deck.length !== rules.deckSize) {
    out.push({ code: 'DECK_SIZE', message: `a deck has exactly ${rules.deckSize} cards, this one ${deck.length}` });
  }
  const instances = new Set<string>();
  const copies = new Map<string, number>();
  for (const entry of deck) {
    if (instances.has(entry.instanceId)) {
      out.push({ code: 'DUPLICATE_INSTANCE', message: `card ${entry.instanceId} is listed twice` });
      continue;
    }
    instances.add(entry.instanceId);
    const def = cards[entry.def];
    if (def === undefined) out.push({ code: 'UNKNOWN_CARD', message: `unknown card definition "${entry.def}"` });
    else if (def.token) out.push({ code: 'NOT_COLLECTIBLE', message: `${def.id} is a token` });
    if (entry.owner !== playerId) out.push({ code: 'CARD_NOT_OWNED', message: `card ${entry.instanceId} is not yours` });
    else if (entry.state !== 'in_game') out.push({ code: 'CARD_UNAVAILABLE', message: `card ${entry.instanceId} is ${entry.state}` });
    copies.set(entry.def, (copies.get(entry.def) ?? 0) + 1);
  }
  for (const [defId, n] of copies) {
    const def = cards[defId];
    if (def === undefined) continue;
    if (def.rarity === 'legendary' && n > rules.maxLegendaryCopies) {
      out.push({ code: 'TOO_MANY_LEGENDARY_COPIES', message: `${defId} is legendary: at most ${rules.maxLegendaryCopies}, found ${n}` });
    } else if (n > rules.maxCopies) {
      out.push({ code: 'TOO_MANY_COPIES', message: `${defId}: at most ${rules.maxCopies} copies, found ${n}` });
    }
  }
  const first = out[0];
  return first === undefined ? { ok: true } : { ok: false, violation: first, violations: out };
}
