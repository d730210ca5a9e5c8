/**
 * The battle room's synchronised state. Public to both players: heroes, boards, graveyards, counts, the turn and
 * its deadline, the seed commitment (and the seed once revealed). Each seat's hand is a `.view()` field: a client's
 * StateView holds only its own seat, so the opponent's hand never leaves the server. Deck order is never in the
 * state at all (only `deckCount`).
 */
import { type SchemaType, schema, t } from '@colyseus/schema';
import type { BattleState, CardRef, SeatState, Unit } from '@harvest/shared/rules';

/** A card in a hand or graveyard. */
export const CardSchema = schema({ uid: t.string(), def: t.string() }, 'Card');
export type CardSchema = SchemaType<typeof CardSchema>;

/** A unit on the board. */
export const UnitSchema = schema(
  {
    uid: t.string(),
    def: t.string(),
    attack: t.int16().default(0),
    health: t.int16().default(0),
    maxHealth: t.int16().default(0),
    shield: t.boolean().default(false),
    canAttack: t.boolean().default(false),
    token: t.boolean().default(false),
  },
  'Unit',
);
export type UnitSchema = SchemaType<typeof UnitSchema>;

/** One side of the table. */
export const SeatSchema = schema(
  {
    playerId: t.string(),
    connected: t.boolean().default(false),
    health: t.int16().default(0),
    maxHealth: t.int16().default(0),
    energy: t.int8().default(0),
    maxEnergy: t.int8().default(0),
    deckCount: t.int8().default(0),
    handCount: t.int8().default(0),
    fatigue: t.int16().default(0),
    timeouts: t.int8().default(0),
    board: t.array(UnitSchema),
    graveyard: t.array(CardSchema),
    /** Visible only to the seat's own player (their StateView). */
    hand: t.array(CardSchema).view(),
  },
  'Seat',
);
export type SeatSchema = SchemaType<typeof SeatSchema>;

/** The room state. `phase`: waiting (players joining), running, ended. */
export const BattleSchema = schema(
  {
    matchId: t.string(),
    mode: t.string(),
    phase: t.string().default('waiting'),
    seedCommitment: t.string(),
    /** Revealed when the match ends. */
    seed: t.string().default(''),
    turn: t.int16().default(0),
    active: t.int8().default(0),
    first: t.int8().default(0),
    /** Epoch ms at which the active player's turn times out. */
    turnEndsAt: t.float64().default(0),
    turnSeconds: t.int16().default(0),
    handLimit: t.int8().default(0),
    boardLimit: t.int8().default(0),
    /** -1 while running or for a draw; the winning seat otherwise. */
    winner: t.int8().default(-1),
    endReason: t.string().default(''),
    seats: t.array(SeatSchema),
  },
  'Battle',
);
export type BattleSchema = SchemaType<typeof BattleSchema>;

function syncCards(
  target: {
    length: number;
    push(...c: CardSchema[]): number;
    splice(start: number, n?: number): unknown;
    [i: number]: CardSchema | undefined;
  },
  cards: readonly CardRef[],
): void {
  // Only what changed is touched, so unchanged cards cost nothing in the patch and no new objects: a hand or a
  // graveyard changes by one card left (played, discarded) and cards added at the end (drawn, died). Anything else
  // (never seen from the engine today) rebuilds the zone.
  const held = target.length;
  let head = 0;
  while (head < held && head < cards.length && target[head]?.uid === cards[head]?.uid) head++;
  let from = head;
  if (head < held) {
    // One card left at `head`: the cards behind it must follow in the same order.
    let shifted = cards.length >= held - 1;
    for (let i = head + 1; shifted && i < held; i++) shifted = target[i]?.uid === cards[i - 1]?.uid;
    if (shifted) {
      target.splice(head, 1);
      from = held - 1;
    } else {
      target.splice(0, held);
      from = 0;
    }
  }
  for (let i = from; i < cards.length; i++) {
    const c = cards[i] as CardRef;
    target.push(new CardSchema({ uid: c.uid, def: c.def }));
  }
}

function syncUnit(s: UnitSchema, u: Unit): void {
  s.attack = u.attack;
  s.health = u.health;
  s.maxHealth = u.maxHealth;
  s.shield = u.shield;
  s.canAttack = u.canAttack;
}

function syncBoard(seat: SeatSchema, board: readonly Unit[]): void {
  const target = seat.board;
  // The engine never reorders a board: units leave (deaths) and arrive at a position (summons). So the units that
  // stay keep their schema objects (and their place in the clients' state): the dead are removed, the new inserted,
  // and only changed fields reach the patch. A board of any other shape is rebuilt.
  for (let i = target.length - 1; i >= 0; i--) {
    const uid = target[i]?.uid;
    if (!board.some((u) => u.uid === uid)) target.splice(i, 1);
  }
  let i = 0;
  for (; i < board.length; i++) {
    const u = board[i] as Unit;
    const s = target[i];
    if (s?.uid === u.uid) syncUnit(s, u);
    else if (target.length < board.length) target.splice(i, 0, new UnitSchema({ ...u }));
    else break;
  }
  if (i === board.length && target.length === board.length) return;
  target.splice(0, target.length);
  for (const u of board) target.push(new UnitSchema({ ...u }));
}

function syncSeat(seat: SeatSchema, p: SeatState): void {
  seat.health = p.health;
  seat.maxHealth = p.maxHealth;
  seat.energy = p.energy;
  seat.maxEnergy = p.maxEnergy;
  seat.deckCount = p.deck.length;
  seat.handCount = p.hand.length;
  seat.fatigue = p.fatigue;
  seat.timeouts = p.timeouts;
  syncBoard(seat, p.board);
  syncCards(seat.graveyard as never, p.graveyard);
  syncCards(seat.hand as never, p.hand);
}

/** Copies the engine state into the room state (only what changed ends up in the patch). */
export function syncBattle(target: BattleSchema, state: BattleState): void {
  target.turn = state.turn;
  target.active = state.active;
  target.first = state.first;
  target.turnEndsAt = state.turnStartedAt + state.config.turnSeconds * 1000;
  syncSeat(target.seats[0] as SeatSchema, state.seats[0]);
  syncSeat(target.seats[1] as SeatSchema, state.seats[1]);
}
