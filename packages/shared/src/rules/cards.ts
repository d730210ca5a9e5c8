/**
 * Card vocabulary shared by the battle, crafting and deck rules. The game-data schemas in `../schemas` validate
 * designer files into exactly these shapes.
 */

/** Card rarities, lowest first. */
export const RARITIES = ['common', 'uncommon', 'rare', 'epic', 'legendary'] as const;
/** A card rarity. */
export type Rarity = (typeof RARITIES)[number];

/** Card elements. */
export const ELEMENTS = ['sun', 'rain', 'soil', 'frost'] as const;
/** A card element. */
export type Element = (typeof ELEMENTS)[number];

/** Card kinds. */
export const CARD_KINDS = ['unit', 'spell'] as const;
/** A card kind. */
export type CardKind = (typeof CARD_KINDS)[number];

/** Keywords that take no number. */
export const FLAG_KEYWORDS = ['guard', 'swift', 'bloom', 'drain', 'sprout', 'shield', 'rally'] as const;
/** Keywords that carry an amount (`Thorns N`, `Volley N`). */
export const AMOUNT_KEYWORDS = ['thorns', 'volley'] as const;
/** Every unit keyword. */
export const KEYWORDS = [...FLAG_KEYWORDS, ...AMOUNT_KEYWORDS] as const;
/** A unit keyword name. */
export type Keyword = (typeof KEYWORDS)[number];

/**
 * A unit's keywords in normalised form (absent = not present). Semantics, as the battle rules implement them:
 * - `guard`: while the owner has a Guard unit, enemy attacks must target a Guard unit (spells ignore Guard).
 * - `swift`: may attack on the turn it is played.
 * - `bloom`: +1/+1 (attack, health and maximum health) at the start of its owner's turn.
 * - `drain`: all damage this unit deals (attacking, striking back, Thorns, Volley) heals its hero by that amount.
 * - `thorns`: deals N to any unit that attacks it, as a separate hit after combat damage.
 * - `sprout`: when it dies, its owner summons a 1/1 Seedling token in its place.
 * - `shield`: the first damage it would take is prevented, and the shield is gone.
 * - `rally`: every other friendly unit has +1 attack while this unit is on the board (several Rally units stack).
 * - `volley`: when played, deals N to a random enemy (the enemy hero or an enemy unit, uniformly).
 */
export interface Keywords {
  readonly guard?: true;
  readonly swift?: true;
  readonly bloom?: true;
  readonly drain?: true;
  readonly sprout?: true;
  readonly shield?: true;
  readonly rally?: true;
  readonly thorns?: number;
  readonly volley?: number;
}

/**
 * A spell's effect.
 * - `damage`: deal `amount` to a chosen target (any hero or unit).
 * - `heal`: restore up to `amount` health to a chosen target (any hero or unit), never above its maximum.
 * - `draw`: the caster draws `count` cards (hand limit and fatigue apply).
 * - `buff`: a chosen unit (either side) gets +`attack`/+`health`; the health part raises its maximum too.
 * - `summon`: summon `count` copies of the token unit `token` for the caster; those that do not fit on the board
 *   are lost (the spell can still be cast on a full board, as in Hearthstone).
 */
export type SpellEffect =
  | { readonly type: 'damage'; readonly amount: number }
  | { readonly type: 'heal'; readonly amount: number }
  | { readonly type: 'draw'; readonly count: number }
  | { readonly type: 'buff'; readonly attack: number; readonly health: number }
  | { readonly type: 'summon'; readonly token: string; readonly count: number };

/** Spell effect types. */
export const SPELL_EFFECTS = ['damage', 'heal', 'draw', 'buff', 'summon'] as const;

/** The part of a card definition the rules read. Game data adds name and flavour. */
export type CardDef =
  | {
      readonly id: string;
      readonly kind: 'unit';
      readonly rarity: Rarity;
      readonly element: Element;
      readonly cost: number;
      readonly attack: number;
      readonly health: number;
      readonly keywords: Keywords;
      /** Tokens are summoned by effects only: never in decks, never crafted or rewarded. */
      readonly token: boolean;
    }
  | {
      readonly id: string;
      readonly kind: 'spell';
      readonly rarity: Rarity;
      readonly element: Element;
      readonly cost: number;
      readonly effect: SpellEffect;
      readonly token: boolean;
    };

/** Where a card instance is in its life (see the card state machine in ARCHITECTURE.md). */
export const CARD_STATES = ['in_game', 'in_match', 'minting', 'on_chain', 'consumed', 'burned'] as const;
/** A card instance's state. */
export type CardState = (typeof CARD_STATES)[number];
