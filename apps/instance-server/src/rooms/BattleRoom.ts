/**
 * The authoritative battle room: one per match, created by the matchmaker (never by a client: it must claim a
 * `pending` match in the database, which only matchmaking creates). Clients send intents as requests (`play`,
 * `attack`, `endTurn`, `concede`, `chat`); the room applies them with the pure engine for the sender's own seat,
 * stores each accepted action before anyone sees its effects, and answers a refusal with `ctx.reject({ code })`
 * (the engine's violation code, or VALIDATION_FAILED, RATE_LIMITED, FORBIDDEN, SERVICE_UNAVAILABLE). A refused
 * intent changes nothing and draws no randomness.
 *
 * Clocks: the turn timer and the reconnection window run on the room clock. When the timer runs out the room
 * applies `timeout`; a player who dropped has `reconnectSeconds` to come back (through the SDK's reconnect, or a
 * new seat the hub hands out) before the room applies `forfeit`. At the end the room settles the match exactly once
 * (packages/db settleMatch), reveals the seed and closes.
 */
import { isDeepStrictEqual } from 'node:util';
import { type AuthContext, type Client, ClientState, CloseCode, type Delayed, type MessageContext, Room } from '@colyseus/core';
import { StateView } from '@colyseus/schema';
import type { AccessClaims } from '@harvest/auth';
import { beginMatch, claimMatch, getGameDataVersion, type MatchRecord, settleMatch } from '@harvest/db';
import { AppError } from '@harvest/shared/errors';
import {
  applyBattle,
  type BattleAction,
  type BattleEvent,
  type BattlePlayerSetup,
  type BattleState,
  type CardDef,
  createBattle,
  createRngFromSeed,
  createRngFromState,
  projectEvent,
  type Rng,
  type RngState,
  type Seat,
} from '@harvest/shared/rules';
import { z } from 'zod';
import { takeRoomPass } from '../matchmaking/matchmaker.ts';
import { createTokenBucket, type TokenBucket } from '../rate-limit.ts';
import { authenticate, holdUnlessRevoked, joinRefusal, services } from '../services.ts';
import { corkUntilNextTick } from '../transport.ts';
import { BattleSchema, SeatSchema, syncBattle } from './battle-schema.ts';

const uid = z.string().min(1).max(80);
const target = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('hero'), seat: z.union([z.literal(0), z.literal(1)]) }),
  z.strictObject({ kind: z.literal('unit'), uid }),
]);
const playMessage = z.strictObject({ uid, target: target.optional(), position: z.number().int().min(0).max(20).optional() });
const attackMessage = z.strictObject({ attacker: uid, target });
const emptyMessage = z.strictObject({}).optional().nullable();
const chatMessage = z.strictObject({ text: z.string().max(200) });

/** What a refusal carries to the client (`error.reason` of a rejected `room.request`). */
export interface Refusal {
  code: string;
  message: string;
}

interface SeatClient {
  client: Client | null;
  bucket: TokenBucket;
  chat: TokenBucket;
  forfeitTimer: Delayed | null;
  /** The SDK-level reconnection held open for a dropped connection (closed when the player comes back another way). */
  reconnection: ReturnType<Room['allowReconnection']> | null;
}

/** Options the matchmaker creates the room with (createBattleRoom). */
export interface BattleRoomOptions {
  matchId: string;
  /** The one-time pass the matchmaker stored for this match's room. */
  pass: string;
}

/**
 * The match's card definitions as the process's cached game-data version holds them, where equal: a match's setup
 * (JSON from its row) would otherwise give each room its own copy of every definition, all of it marked by every
 * major garbage collection. A definition that differs from the version's stays the match's. With the decks the room
 * drops once the battle starts (`start`), a heap snapshot of the load test at 1,000 clients held 443 objects per
 * client, 484 before.
 */
export function sharedDefinitions(
  own: Readonly<Record<string, CardDef>>,
  version: Readonly<Record<string, CardDef>>,
): Record<string, CardDef> {
  const out: Record<string, CardDef> = {};
  for (const [id, def] of Object.entries(own)) {
    const cached = version[id];
    out[id] = cached !== undefined && isDeepStrictEqual(cached, def) ? cached : def;
  }
  return out;
}

const seatOnly = (p: BattlePlayerSetup): BattlePlayerSetup => ({ playerId: p.playerId, deck: [] });

export class BattleRoom extends Room<{ state: BattleSchema }> {
  /**
   * Two players, plus room for a seat the hub re-issues to a player whose dropped connection still holds its
   * reconnection seat (a restarted client has lost the SDK's reconnection token). onJoin admits only the players.
   */
  override maxClients = 4;
  /** Hard cap on top of the per-client bucket (Colyseus disconnects past it). */
  override maxMessagesPerSecond = 60;

  private record!: MatchRecord;
  private battle: BattleState | null = null;
  private rng!: Rng;
  private seats: [SeatClient, SeatClient] = [this.newSeat(), this.newSeat()];
  private turnTimer: Delayed | null = null;
  private joinTimer: Delayed | null = null;
  /** Accepted actions so far (the next action's sequence number). */
  private seq = 0;
  /** Intents are applied one at a time, in arrival order (each waits for its transcript row). */
  private chain: Promise<unknown> = Promise.resolve();
  private catalog: Record<string, unknown> = {};
  private ending = false;

  private newSeat(): SeatClient {
    const { messagesPerSecond, chatLinesPer10s } = services().config;
    return {
      client: null,
      bucket: createTokenBucket(messagesPerSecond, messagesPerSecond * 2),
      chat: createTokenBucket(chatLinesPer10s / 10, chatLinesPer10s),
      forfeitTimer: null,
      reconnection: null,
    };
  }

  static override async onAuth(token: string, _options: unknown, _context: AuthContext): Promise<AccessClaims> {
    return authenticate(token);
  }

  override async onCreate(options: BattleRoomOptions): Promise<void> {
    const svc = services();
    const parsed = z.uuid().safeParse(options?.matchId);
    if (!parsed.success) throw joinRefusal(new AppError('MATCH_NOT_FOUND', 'no such match'));
    const matchId = parsed.data;
    // Only the matchmaker creates battle rooms (with the match's one-time pass); a client asking for one gets nowhere.
    if (!(await takeRoomPass(matchId, options?.pass))) throw joinRefusal(new AppError('MATCH_NOT_FOUND', 'no such match'));
    this.record = await claimMatch(svc.db, { matchId, roomId: this.roomId }).catch((error: unknown) => {
      throw joinRefusal(error);
    });
    const content = await getGameDataVersion(svc.db, this.record.contentVersion);
    this.catalog = content.rules.cards;
    this.record = {
      ...this.record,
      setup: { ...this.record.setup, cards: sharedDefinitions(this.record.setup.cards, content.rules.cards) },
    };
    await this.setPrivate(true);
    this.autoDispose = false;
    // Every accepted intent sends its patch at once (publish); the automatic patch only carries the rest (a seat's
    // connection flag) and ticks the room clock (turn timer, reconnection window), so it runs at BATTLE_PATCH_MS
    // (default 1 s), not 20 Hz: each room has its own interval, and at 1,500 rooms the 5 Hz of before cost the
    // process about 6% of its CPU on rooms with nothing to send.
    this.patchRate = svc.config.battlePatchMs;
    const setup = this.record.setup;
    this.state = new BattleSchema({
      matchId,
      mode: this.record.mode,
      seedCommitment: this.record.seedCommitment,
      turnSeconds: setup.config.turnSeconds,
      handLimit: setup.config.handLimit,
      boardLimit: setup.config.boardLimit,
    });
    for (const p of setup.players) this.state.seats.push(new SeatSchema({ playerId: p.playerId }));
    svc.liveMatches.add(matchId);
    this.joinTimer = this.clock.setTimeout(() => this.enqueue(() => this.start()), svc.config.joinSeconds * 1000);

    this.onMessage('play', (client, message, ctx) =>
      this.intent(client, ctx, message, (seat) => {
        const m = playMessage.parse(message);
        return {
          type: 'play',
          seat,
          uid: m.uid,
          ...(m.target ? { target: m.target } : {}),
          ...(m.position !== undefined ? { position: m.position } : {}),
        };
      }),
    );
    this.onMessage('attack', (client, message, ctx) =>
      this.intent(client, ctx, message, (seat) => {
        const m = attackMessage.parse(message);
        return { type: 'attack', seat, attacker: m.attacker, target: m.target };
      }),
    );
    this.onMessage('endTurn', (client, message, ctx) =>
      this.intent(client, ctx, message, (seat) => {
        emptyMessage.parse(message);
        return { type: 'end_turn', seat };
      }),
    );
    this.onMessage('concede', (client, message, ctx) =>
      this.intent(client, ctx, message, (seat) => {
        emptyMessage.parse(message);
        return { type: 'concede', seat };
      }),
    );
    this.onMessage('chat', (client, message, ctx) => this.chatLine(client, message, ctx));
    // The public catalogue of the match's game data version, the battle's rules and the caller's seat (asked after joining, since a
    // message pushed during the join can arrive before the client registered its handler).
    this.onMessage('catalog', (client, _message, ctx) => {
      const seat = this.seatOf(client);
      if (seat === null) return ctx.reject({ code: 'NOT_A_PLAYER', message: 'not in this match' });
      return ctx.resolve({
        seat,
        cards: this.catalog,
        config: this.record.setup.config,
        matchId: this.record.matchId,
        seedCommitment: this.record.seedCommitment,
      });
    });
    this.onMessage('*', (client, type) => {
      client.send('refused', { code: 'VALIDATION_FAILED', message: `unknown message ${String(type)}` });
    });
  }

  private seatOf(client: Client): Seat | null {
    const playerId = (client.auth as AccessClaims | undefined)?.sub;
    const index = this.record.setup.players.findIndex((p) => p.playerId === playerId);
    return index === 0 || index === 1 ? index : null;
  }

  override async onJoin(client: Client, _options: unknown, auth: AccessClaims): Promise<void> {
    const seat = this.record.setup.players.findIndex((p) => p.playerId === auth?.sub);
    if (seat !== 0 && seat !== 1) throw joinRefusal(new AppError('NOT_A_PLAYER', 'you hold no seat in this match'));
    const slot = this.seats[seat];
    if (slot.client && slot.client !== client && slot.client.state === ClientState.JOINED)
      throw joinRefusal(new AppError('NOT_A_PLAYER', 'your seat is already connected'));
    client.auth = auth;
    // A player back through a new seat (the hub's rejoin) replaces a dropped connection still waiting to reconnect.
    slot.reconnection?.reject(new Error('the player came back through a new seat'));
    slot.reconnection = null;
    slot.client = client;
    slot.forfeitTimer?.clear();
    slot.forfeitTimer = null;
    client.view = new StateView();
    (this.state.seats[seat] as SeatSchema).connected = true;
    this.showOwnHand(seat);
    services().sessions.hold(client, auth);
    if (this.battle === null && this.seats.every((s) => s.client !== null)) this.enqueue(() => this.start());
  }

  override onReconnect(client: Client): void {
    const seat = this.seatOf(client);
    if (seat === null) return;
    const slot = this.seats[seat];
    slot.client = client;
    slot.reconnection = null;
    slot.forfeitTimer?.clear();
    slot.forfeitTimer = null;
    client.view ??= new StateView();
    (this.state.seats[seat] as SeatSchema).connected = true;
    this.showOwnHand(seat);
    services().log.info({ matchId: this.record.matchId, seat }, 'player reconnected');
    // A reconnection presents the SDK's reconnection token, not the access token: its session may have been signed
    // out while the connection was down (the drop then found no open connection to close).
    void holdUnlessRevoked(client, client.auth as AccessClaims);
  }

  override async onDrop(client: Client): Promise<void> {
    const seat = this.seatOf(client);
    if (seat === null || this.state.phase === 'ended') return;
    const reconnection = this.allowReconnection(client, 'manual');
    this.seats[seat].reconnection = reconnection;
    this.startForfeitClock(seat, () => reconnection.reject(new Error('reconnection window closed')));
    await reconnection.catch(() => undefined);
  }

  override onLeave(client: Client): void {
    services().sessions.release(client);
    const seat = this.seatOf(client);
    if (seat === null) return;
    const slot = this.seats[seat];
    if (slot.client !== client && slot.client !== null && slot.client.sessionId !== client.sessionId) return;
    slot.client = null;
    (this.state.seats[seat] as SeatSchema).connected = false;
    if (this.state.phase !== 'ended' && !slot.forfeitTimer) this.startForfeitClock(seat);
  }

  /** The seat forfeits unless its player is back within the reconnection window (room clock). */
  private startForfeitClock(seat: Seat, onExpire?: () => void): void {
    const slot = this.seats[seat];
    (this.state.seats[seat] as SeatSchema).connected = false;
    slot.forfeitTimer?.clear();
    const seconds = services().config.reconnectSeconds ?? 60;
    slot.forfeitTimer = this.clock.setTimeout(() => {
      slot.forfeitTimer = null;
      onExpire?.();
      if (slot.client !== null && slot.client.state === 1) return;
      this.enqueue(async () => {
        if (this.battle === null) await this.start();
        if (this.battle && this.battle.outcome === null) await this.apply({ type: 'forfeit', seat, reason: 'disconnect' }, Date.now());
      });
    }, seconds * 1000);
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch((error: unknown) =>
      services().log.error({ err: error, matchId: this.record?.matchId }, 'battle room step failed'),
    );
    return next;
  }

  /** Starts the battle (both players in, or the join window closed); aborts when nobody came. */
  private async start(): Promise<void> {
    if (this.battle !== null || this.ending) return;
    this.joinTimer?.clear();
    if (this.seats.every((s) => s.client === null)) {
      services().log.warn({ matchId: this.record.matchId }, 'nobody joined the battle; the sweeper aborts it');
      this.ending = true;
      services().liveMatches.delete(this.record.matchId);
      await this.disconnect(CloseCode.CONSENTED);
      return;
    }
    this.rng = createRngFromSeed(this.record.seed);
    const now = Date.now();
    const started = createBattle(this.record.setup, { rng: this.rng, now });
    if (!started.ok) throw new Error(`match ${this.record.matchId} cannot start: ${started.violation.message}`);
    await beginMatch(services().db, { matchId: this.record.matchId, startedAtMs: now });
    this.battle = started.state;
    // The battle state holds the decks from here on; the room keeps who sits where, not a second copy of 40 cards.
    const setup = this.record.setup;
    this.record = { ...this.record, setup: { ...setup, players: [seatOnly(setup.players[0]), seatOnly(setup.players[1])] } };
    this.state.phase = 'running';
    this.sendTogether();
    this.publish(this.battle);
    this.sendEvents(started.events);
    this.armTurnTimer();
    for (const seat of [0, 1] as const)
      if (this.seats[seat].client === null && !this.seats[seat].forfeitTimer) this.startForfeitClock(seat);
    services().log.info({ matchId: this.record.matchId, roomId: this.roomId }, 'battle started');
  }

  private armTurnTimer(): void {
    this.turnTimer?.clear();
    const battle = this.battle;
    if (!battle || battle.outcome) return;
    const endsAt = battle.turnStartedAt + battle.config.turnSeconds * 1000;
    const turn = battle.turn;
    this.turnTimer = this.clock.setTimeout(
      () =>
        this.enqueue(async () => {
          if (this.battle && this.battle.outcome === null && this.battle.turn === turn) {
            await this.apply({ type: 'timeout', seat: this.battle.active }, Math.max(Date.now(), endsAt));
          }
        }),
      Math.max(0, endsAt - Date.now()),
    );
  }

  /** Validates and applies a client's intent for its own seat; answers the request. */
  private intent(client: Client, ctx: MessageContext, message: unknown, build: (seat: Seat) => BattleAction): unknown {
    const seat = this.seatOf(client);
    const refuse = (code: string, text: string): unknown => ctx.reject({ code, message: text } satisfies Refusal);
    if (seat === null) return refuse('NOT_A_PLAYER', 'you hold no seat in this match');
    if (!this.seats[seat].bucket.take()) return refuse('RATE_LIMITED', 'too many messages; slow down');
    if (typeof message === 'object' && message !== null && 'seat' in message && (message as { seat: unknown }).seat !== seat) {
      return refuse('FORBIDDEN', 'you can act for your own seat only');
    }
    if (typeof message === 'object' && message !== null && 'seat' in message) {
      const { seat: _ignored, ...rest } = message as Record<string, unknown>;
      message = rest;
    }
    let action: BattleAction;
    try {
      action = build(seat);
    } catch {
      return refuse('VALIDATION_FAILED', 'the message does not match its schema');
    }
    const received = performance.now();
    return this.enqueue(async () => {
      if (this.battle === null) return refuse('BATTLE_NOT_STARTED', 'the battle has not started');
      const refused = await this.apply(action, Date.now());
      if (refused) return refuse(refused.code, refused.message);
      services().metrics.intentSeconds.observe((performance.now() - received) / 1000);
      return ctx.resolve({ ok: true, turn: this.battle.turn });
    });
  }

  /**
   * Applies an action: the engine decides, the transcript row is stored, then the state and events go out. A
   * failure to store puts the generator back and refuses (nothing was shown). Returns the refusal, if any.
   */
  private async apply(action: BattleAction, now: number): Promise<Refusal | null> {
    const battle = this.battle;
    if (!battle) return { code: 'BATTLE_NOT_STARTED', message: 'the battle has not started' };
    const before: RngState = this.rng.snapshot();
    const result = applyBattle(battle, action, { rng: this.rng, now });
    if (!result.ok) return { code: result.violation.code, message: result.violation.message };
    try {
      const storing = performance.now();
      await services().writer.write({ matchId: this.record.matchId, seq: this.seq, at: now, action });
      services().metrics.storeSeconds.observe((performance.now() - storing) / 1000);
    } catch {
      this.rng = createRngFromState(before);
      return { code: 'SERVICE_UNAVAILABLE', message: 'the action could not be stored; retry' };
    }
    this.seq += 1;
    this.battle = result.state;
    this.sendTogether();
    this.publish(result.state);
    this.sendEvents(result.events);
    if (result.state.outcome) await this.finish();
    else this.armTurnTimer();
    return null;
  }

  /** The patch, the events and the request's answer about to be sent go to each player in one write (transport.ts). */
  private sendTogether(): void {
    corkUntilNextTick([this.seats[0].client, this.seats[1].client]);
  }

  /**
   * Copies the engine state into the synchronised state and sends the patch now, so that a client receives the
   * state an intent produced before the intent's answer and its events (a reply never overtakes its own effects).
   */
  private publish(battle: BattleState): void {
    syncBattle(this.state, battle);
    this.showOwnHand(0);
    this.showOwnHand(1);
    this.broadcastPatch();
  }

  /**
   * A StateView shows a `.view()` collection's items only once each is added to it: the seat's connected client
   * gets its seat and every card now in its hand. Only what the view lacks is added: adding an object again makes
   * the view re-send all its fields as additions, which duplicated the board's units on that client.
   */
  private showOwnHand(seat: Seat): void {
    const view = this.seats[seat].client?.view;
    if (!view) return;
    const seatState = this.state.seats[seat] as SeatSchema;
    if (!view.has(seatState)) view.add(seatState);
    for (const card of seatState.hand) if (!view.has(card)) view.add(card);
  }

  private sendEvents(events: readonly BattleEvent[]): void {
    for (const seat of [0, 1] as const) {
      const client = this.seats[seat].client;
      if (client)
        client.send(
          'events',
          events.map((e) => projectEvent(e, seat)),
        );
    }
  }

  /** Settles the match (exactly once, in the database), reveals the seed, tells the players and closes. */
  private async finish(): Promise<void> {
    if (this.ending) return;
    this.ending = true;
    this.turnTimer?.clear();
    for (const s of this.seats) s.forfeitTimer?.clear();
    const svc = services();
    const outcome = this.battle?.outcome;
    this.state.phase = 'ended';
    this.state.winner = outcome?.winner ?? -1;
    this.state.endReason = outcome?.reason ?? '';
    try {
      await svc.writer.flush();
      const settlement = await settleMatch(svc.db, this.record.matchId);
      this.state.seed = settlement.result.seed ?? '';
      this.sendTogether();
      this.broadcastPatch();
      this.broadcast('ended', settlement.result);
      svc.log.info({ matchId: this.record.matchId, winnerId: settlement.result.winnerId, settled: settlement.settled }, 'match settled');
    } catch (error) {
      // The transcript is stored: the sweeper settles it once this room stops beating.
      svc.log.error({ err: error, matchId: this.record.matchId }, 'settlement failed; left to the sweeper');
    } finally {
      svc.liveMatches.delete(this.record.matchId);
      this.clock.setTimeout(() => void this.disconnect(CloseCode.CONSENTED), 2_000);
    }
  }

  private chatLine(client: Client, message: unknown, ctx: MessageContext): unknown {
    const seat = this.seatOf(client);
    if (seat === null) return ctx.reject({ code: 'NOT_A_PLAYER', message: 'not in this match' });
    if (!this.seats[seat].bucket.take() || !this.seats[seat].chat.take()) return ctx.reject({ code: 'RATE_LIMITED', message: 'slow down' });
    const parsed = chatMessage.safeParse(message);
    const text = parsed.success ? services().chatFilter(parsed.data.text) : null;
    if (text === null) return ctx.reject({ code: 'CHAT_BLOCKED', message: 'empty, too long or filtered' });
    this.broadcast('chat', { seat, text, at: Date.now() });
    return ctx.resolve({ ok: true });
  }

  override onDispose(): void {
    if (this.record) services().liveMatches.delete(this.record.matchId);
  }
}
