/**
 * Battle state, actions and events. The state is plain JSON (no classes, maps or undefined-only fields), holds
 * both players' hidden zones (deck order, hands) so the server can project each player's view, and embeds the
 * card definitions and tunables it was started with, so a stored state or transcript stays meaningful after a
 * game-data publish changes the catalogue.
 */

import type { CardDef } from '../cards.ts';

/** A seat at the table: 0 or 1. Who acts first is drawn with the match RNG, not implied by the seat. */
export type Seat = 0 | 1;

/** Tunable battle numbers, from `gamedata/battle.yaml` (GAME.md gives the starting values). */
export interface BattleConfig {
  /** Hero starting and maximum health (25). */
  readonly heroHealth: number;
  /** Cards in hand at most; a card drawn into a full hand is burned (8). */
  readonly handLimit: number;
  /** Units on one side of the board at most (5). */
  readonly boardLimit: number;
  /** Maximum energy cap (10). */
  readonly maxEnergy: number;
  /** The match ends after this many turns in total, counting each player's turn as one (40). */
  readonly turnLimit: number;
  /** Turn timer in seconds; a `timeout` action is only legal once it has run out (45). */
  readonly turnSeconds: number;
  /** Consecutive timeouts by one player that forfeit the match (3). */
  readonly timeoutsToForfeit: number;
  /** Opening hand sizes for the first and the second player (3 and 4). */
  readonly openingHand: readonly [number, number];
  /** Card id of the 1/1 token that Sprout summons (`seedling`). */
  readonly sproutToken: string;
}

/** A card as it sits in a deck, hand or graveyard: a unique instance id and its definition id. */
export interface CardRef {
  /** Instance id: the card instance's id for deck cards, `token:<n>` for tokens made during the match. */
  readonly uid: string;
  /** Card definition id (key of {@link BattleState.cards}). */
  readonly def: string;
}

/** A unit on the board. `attack` excludes Rally auras; see `effectiveAttack`. */
export interface Unit {
  readonly uid: string;
  readonly def: string;
  /** Base attack including buffs and Bloom growth, excluding auras. */
  attack: number;
  /** Current health; the unit dies when this reaches 0 or less. */
  health: number;
  /** Maximum health (definition health plus health buffs and Bloom growth); heals stop here. */
  maxHealth: number;
  /** Still has its Shield (absorbs the next damage). */
  shield: boolean;
  /** Can attack now: false on the turn it arrived (unless Swift) and after it attacked this turn. */
  canAttack: boolean;
  /** True for units summoned by effects (Seedlings, summon spells). */
  readonly token: boolean;
}

/** One player's side. Order: `deck[0]` is the top of the deck; `hand` in draw order; `board` left to right. */
export interface SeatState {
  readonly playerId: string;
  health: number;
  readonly maxHealth: number;
  energy: number;
  maxEnergy: number;
  deck: CardRef[];
  hand: CardRef[];
  board: Unit[];
  /** Played spells, dead units and burned cards, in the order they arrived. */
  graveyard: CardRef[];
  /** Fatigue damage already taken from drawing on an empty deck (the next empty draw deals one more). */
  fatigue: number;
  /** Timeouts in a row; reset when the player ends a turn themselves. */
  timeouts: number;
}

/** How a match ended. */
export type BattleEndReason = 'hero_destroyed' | 'concede' | 'forfeit' | 'timeouts' | 'turn_limit';

/** The final result: `winner` null means a draw. */
export interface BattleOutcome {
  readonly winner: Seat | null;
  readonly reason: BattleEndReason;
  /** The turn number on which the match ended. */
  readonly turn: number;
}

/** The whole battle. JSON-serialisable; never mutated by the rules (each action returns a new state). */
export interface BattleState {
  /** State format version. */
  readonly v: 1;
  readonly config: BattleConfig;
  /** Every card definition this match can meet: both decks' cards and the tokens they can summon. */
  readonly cards: Readonly<Record<string, CardDef>>;
  readonly seats: readonly [SeatState, SeatState];
  /** The seat that took turn 1 (drawn with the match RNG). */
  readonly first: Seat;
  /** Whose turn it is. */
  readonly active: Seat;
  /** Turn number, 1-based, counting both players' turns. */
  readonly turn: number;
  /** Server time (ms) when the current turn started; the turn timer runs from here. */
  readonly turnStartedAt: number;
  /** Counter for token instance ids. */
  readonly nextToken: number;
  /** Null while the match runs. */
  readonly outcome: BattleOutcome | null;
}

/** Something a card or attack can hit: a hero by seat, or a unit by instance id. */
export type Target = { readonly kind: 'hero'; readonly seat: Seat } | { readonly kind: 'unit'; readonly uid: string };

/**
 * What a player (or, for `timeout` and `forfeit`, the server) asks for.
 * - `play`: play card `uid` from hand; `target` for damage, heal and buff spells; `position` (0..board size) for
 *   units, default rightmost (position has no rules effect: no keyword looks at neighbours).
 * - `attack`: a ready friendly unit attacks an enemy unit or the enemy hero.
 * - `end_turn`: the active player passes.
 * - `timeout`: server-issued when the active player's turn timer ran out; legal only once it has.
 * - `concede`: a player gives up (either seat, any time).
 * - `forfeit`: server-issued loss, e.g. no reconnect within 60 s.
 */
export type BattleAction =
  | { readonly type: 'play'; readonly seat: Seat; readonly uid: string; readonly target?: Target; readonly position?: number }
  | { readonly type: 'attack'; readonly seat: Seat; readonly attacker: string; readonly target: Target }
  | { readonly type: 'end_turn'; readonly seat: Seat }
  | { readonly type: 'timeout'; readonly seat: Seat }
  | { readonly type: 'concede'; readonly seat: Seat }
  | { readonly type: 'forfeit'; readonly seat: Seat; readonly reason: 'disconnect' | 'abandoned' };

/**
 * What happened, in order. `card_drawn` reveals a card to its owner only: servers send it to the opponent through
 * `projectEvent` (see view.ts), which hides the card.
 */
export type BattleEvent =
  | { readonly type: 'battle_started'; readonly first: Seat }
  | { readonly type: 'turn_started'; readonly seat: Seat; readonly turn: number; readonly maxEnergy: number }
  | { readonly type: 'card_drawn'; readonly seat: Seat; readonly uid: string; readonly def: string }
  | { readonly type: 'card_burned'; readonly seat: Seat; readonly uid: string; readonly def: string }
  | { readonly type: 'fatigue'; readonly seat: Seat; readonly damage: number }
  | { readonly type: 'card_played'; readonly seat: Seat; readonly uid: string; readonly def: string; readonly target?: Target }
  | {
      readonly type: 'unit_summoned';
      readonly seat: Seat;
      readonly uid: string;
      readonly def: string;
      readonly position: number;
      readonly token: boolean;
    }
  | { readonly type: 'attacked'; readonly seat: Seat; readonly attacker: string; readonly target: Target }
  | { readonly type: 'damaged'; readonly target: Target; readonly amount: number; readonly source: string | null }
  | { readonly type: 'shield_broken'; readonly uid: string }
  | { readonly type: 'healed'; readonly target: Target; readonly amount: number }
  | { readonly type: 'buffed'; readonly uid: string; readonly attack: number; readonly health: number }
  | { readonly type: 'bloomed'; readonly uid: string }
  | { readonly type: 'unit_died'; readonly seat: Seat; readonly uid: string; readonly def: string }
  | { readonly type: 'turn_ended'; readonly seat: Seat; readonly turn: number; readonly reason: 'end_turn' | 'timeout' }
  | { readonly type: 'battle_ended'; readonly winner: Seat | null; readonly reason: BattleEndReason };

/** Violation codes the battle rules return. */
export const BATTLE_VIOLATIONS = [
  'BATTLE_ENDED',
  'NOT_YOUR_TURN',
  'CARD_NOT_IN_HAND',
  'NOT_ENOUGH_ENERGY',
  'BOARD_FULL',
  'BAD_POSITION',
  'TARGET_REQUIRED',
  'TARGET_NOT_ALLOWED',
  'INVALID_TARGET',
  'UNIT_NOT_FOUND',
  'UNIT_CANNOT_ATTACK',
  'MUST_ATTACK_GUARD',
  'TIMER_RUNNING',
  'UNKNOWN_ACTION',
  'INVALID_SETUP',
] as const;
/** A battle violation code. */
export type BattleViolationCode = (typeof BATTLE_VIOLATIONS)[number];

/** One player's entry in a match setup: who, and their deck as card instances (order irrelevant: it is shuffled). */
export interface BattlePlayerSetup {
  readonly playerId: string;
  readonly deck: readonly CardRef[];
}

/** Everything needed to start a match besides the RNG and clock. */
export interface BattleSetup {
  readonly config: BattleConfig;
  /** Card definitions for both decks and any tokens (extra definitions are ignored). */
  readonly cards: Readonly<Record<string, CardDef>>;
  readonly players: readonly [BattlePlayerSetup, BattlePlayerSetup];
}
