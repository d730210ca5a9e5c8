/**
 * `@harvest/bot`: a client that plays Harvest Battles like a person would, over the public interfaces only: it signs
 * in at game-api (a guest account, or SIWE with a freshly generated key), saves a deck from its starter cards, joins
 * the hub, queues, takes the seat reservation the hub sends, and plays each of its turns with the shared greedy AI
 * from what its own StateView shows (its hand, both boards; never the opponent's hand). Used by the end-to-end
 * tests, the start command's demo and the load test.
 */
import { Client, type Room } from '@colyseus/sdk';
import type { BattleAction, BattleConfig, BattleView, CardDef, CardRef, Seat, SeatView, Unit } from '@harvest/shared/rules';
import { chooseGreedyAction } from '@harvest/shared/rules';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createSiweMessage } from 'viem/siwe';

/** How the bot signs in. */
export type BotSignIn = { kind: 'guest' } | { kind: 'siwe'; domain: string; uri: string; chainId: number };

export interface BotOptions {
  /** game-api base URL, e.g. http://127.0.0.1:3000 */
  apiUrl: string;
  /** instance-server URL, e.g. http://127.0.0.1:2567 */
  serverUrl: string;
  signIn?: BotSignIn;
  /** Milliseconds to "think" before each action (a realistic pace). */
  thinkMs?: number;
  /** Least time between two of its intents (ms, default 120: under the room's default 10 messages a second). */
  minIntervalMs?: number;
  /** Called with each action's round trip (ms), for the load test. */
  onRoundTrip?: (ms: number) => void;
}

/** What a finished match looked like to the bot. */
export interface BotMatch {
  matchId: string;
  seat: Seat;
  /** The settlement the room broadcast (`MatchResult` of @harvest/db). */
  result: { winnerId: string | null; reason: string | null; seed: string | null; seedCommitment: string; status: string };
  actions: number;
  refused: number;
}

/** A reservation as the hub sends it (`matchFound`). */
export interface MatchFound {
  matchId: string;
  seat: Seat;
  reservation: unknown;
}

interface SchemaSeat {
  playerId: string;
  health: number;
  maxHealth: number;
  energy: number;
  maxEnergy: number;
  deckCount: number;
  handCount: number;
  fatigue: number;
  timeouts: number;
  board: Iterable<Unit>;
  graveyard: Iterable<CardRef>;
  hand?: Iterable<CardRef>;
}

interface SchemaBattle {
  phase: string;
  turn: number;
  active: number;
  first: number;
  turnEndsAt: number;
  turnSeconds: number;
  handLimit: number;
  boardLimit: number;
  seats: ArrayLike<SchemaSeat> & Iterable<SchemaSeat>;
}

const plainUnit = (u: Unit): Unit => ({
  uid: u.uid,
  def: u.def,
  attack: u.attack,
  health: u.health,
  maxHealth: u.maxHealth,
  shield: u.shield,
  canAttack: u.canAttack,
  token: u.token,
});

/**
 * The BattleView a player's synchronised state amounts to (what the AI reads). `config`: the match's battle rules
 * (the room's `catalog` answer carries them); without it, the state's own limits and the GAME.md defaults.
 */
export function viewFromState(state: SchemaBattle, viewer: Seat, config?: BattleConfig): BattleView {
  const seat = (s: SchemaSeat, i: number): SeatView => ({
    playerId: s.playerId,
    health: s.health,
    maxHealth: s.maxHealth,
    energy: s.energy,
    maxEnergy: s.maxEnergy,
    deckCount: s.deckCount,
    handCount: s.handCount,
    hand: i === viewer ? [...(s.hand ?? [])].map((c) => ({ uid: c.uid, def: c.def })) : null,
    board: [...s.board].map(plainUnit),
    graveyard: [...s.graveyard].map((c) => ({ uid: c.uid, def: c.def })),
    fatigue: s.fatigue,
    timeouts: s.timeouts,
  });
  const seats = [...state.seats];
  return {
    viewer,
    config: config ?? {
      heroHealth: seats[0]?.maxHealth ?? 25,
      handLimit: state.handLimit,
      boardLimit: state.boardLimit,
      maxEnergy: 10,
      turnLimit: 40,
      turnSeconds: state.turnSeconds,
      timeoutsToForfeit: 3,
      openingHand: [3, 4],
      sproutToken: 'seedling',
    },
    first: state.first as Seat,
    active: state.active as Seat,
    turn: state.turn,
    turnStartedAt: state.turnEndsAt - state.turnSeconds * 1000,
    turnEndsAt: state.turnEndsAt,
    seats: [seat(seats[0] as SchemaSeat, 0), seat(seats[1] as SchemaSeat, 1)],
    outcome: null,
  };
}

async function http<T>(url: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const body = (await response.json().catch(() => ({}))) as T & { error?: { code: string; message: string } };
  if (!response.ok)
    throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${body.error?.code ?? ''} ${body.error?.message ?? ''}`);
  return body;
}

/** The room message an engine action is sent as: its name, and a body without the seat (the room fills it in). */
export function intentOf(action: BattleAction): { name: string; body: Record<string, unknown> } {
  const { type, seat: _seat, ...body } = action as { type: string; seat: Seat } & Record<string, unknown>;
  return { name: type === 'end_turn' ? 'endTurn' : type, body };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A bot: one player. */
export interface Bot {
  readonly playerId: string;
  readonly accessToken: string;
  readonly client: Client;
  /** Signs in at game-api (guest or SIWE). */
  signIn(): Promise<void>;
  /** Saves (once) a deck of its 20 starter cards and returns its id. */
  ensureDeck(): Promise<string>;
  /** Joins the hub (`create` forces a new hub on the process the request reaches). */
  joinHub(how?: 'joinOrCreate' | 'create'): Promise<Room>;
  /** Queues and resolves with the reservation the hub sends. */
  queue(mode: 'ranked' | 'casual', timeoutMs?: number): Promise<MatchFound>;
  /** Takes the seat and plays the match to its end. */
  play(found: MatchFound, timeoutMs?: number): Promise<BotMatch>;
  /** Takes the seat without playing (tests drive the room themselves). */
  takeSeat(found: MatchFound): Promise<Room>;
  close(): Promise<void>;
}

/** Creates a bot (nothing happens until `signIn`). */
export function createBot(options: BotOptions): Bot {
  let playerId = '';
  let accessToken = '';
  let deckId: string | null = null;
  let hub: Room | null = null;
  const rooms = new Set<Room>();
  const client = new Client(options.serverUrl);
  const signIn = options.signIn ?? { kind: 'guest' };

  const bot: Bot = {
    get playerId() {
      return playerId;
    },
    get accessToken() {
      return accessToken;
    },
    client,
    async signIn() {
      type Tokens = { accessToken: string; player: { id: string } };
      let tokens: Tokens;
      if (signIn.kind === 'guest') {
        tokens = await http<Tokens>(`${options.apiUrl}/v1/auth/guest`, { body: {} });
      } else {
        const account = privateKeyToAccount(generatePrivateKey());
        const { nonce, nonceSession } = await http<{ nonce: string; nonceSession: string }>(`${options.apiUrl}/v1/auth/siwe/nonce`, {
          body: {},
        });
        const message = createSiweMessage({
          address: account.address,
          domain: signIn.domain,
          uri: signIn.uri,
          chainId: signIn.chainId,
          nonce,
          version: '1',
          statement: 'Sign in to Harvest Battles',
          issuedAt: new Date(),
        });
        tokens = await http<Tokens>(`${options.apiUrl}/v1/auth/siwe/verify`, {
          body: { message, signature: await account.signMessage({ message }), nonceSession },
        });
      }
      accessToken = tokens.accessToken;
      playerId = tokens.player.id;
      client.auth.token = accessToken;
    },
    async ensureDeck() {
      if (deckId) return deckId;
      const inventory = await http<{ cards: Array<{ id: string; origin: string; state: string }> }>(
        `${options.apiUrl}/v1/inventory?limit=100&state=in_game`,
        { token: accessToken },
      );
      const cards = inventory.cards.filter((c) => c.origin === 'starter').slice(0, 20);
      const deck = await http<{ id: string }>(`${options.apiUrl}/v1/decks`, {
        token: accessToken,
        body: { name: 'bot deck', cardIds: cards.map((c) => c.id) },
      });
      deckId = deck.id;
      return deckId;
    },
    async joinHub(how = 'joinOrCreate') {
      client.auth.token = accessToken;
      hub = how === 'create' ? await client.create('hub') : await client.joinOrCreate('hub');
      hub.onMessage('*', () => undefined);
      rooms.add(hub);
      return hub;
    },
    async queue(mode, timeoutMs = 60_000) {
      const room = hub ?? (await bot.joinHub());
      const deck = await bot.ensureDeck();
      // The handlers go when the wait ends, so a bot that queues many times does not pile them up.
      const stops: Array<() => void> = [];
      const found = new Promise<MatchFound>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no match found in time')), timeoutMs);
        stops.push(() => clearTimeout(timer));
        stops.push(room.onMessage('matchFound', (message: MatchFound) => resolve(message)));
        stops.push(
          room.onMessage('queueError', (message: { code: string; message: string }) =>
            reject(new Error(`${message.code}: ${message.message}`)),
          ),
        );
      }).finally(() => {
        for (const stop of stops) stop();
      });
      try {
        await room.request('queue', { mode, deckId: deck });
      } catch (error) {
        for (const stop of stops) stop();
        found.catch(() => undefined);
        throw error;
      }
      return found;
    },
    async takeSeat(found) {
      client.auth.token = accessToken;
      const room = await client.consumeSeatReservation(found.reservation as never);
      rooms.add(room);
      return room;
    },
    async play(found, timeoutMs = 180_000) {
      const room = await bot.takeSeat(found);
      // A finished battle room is forgotten (a long-running bot plays many).
      room.onLeave(() => rooms.delete(room));
      let cards: Record<string, CardDef> = {};
      /** The catalogue has arrived (checked on every state change: a flag, not a count of the catalogue's keys). */
      let catalogued = false;
      let config: BattleConfig | undefined;
      let seat: Seat = found.seat;
      let actions = 0;
      let refused = 0;
      let busy = false;
      let done = false;
      let lastSentAt = 0;
      return new Promise<BotMatch>((resolve, reject) => {
        const finish = (error: Error | null, match?: BotMatch): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          if (error) reject(error);
          else resolve(match as BotMatch);
        };
        const timer = setTimeout(() => finish(new Error(`match ${found.matchId} did not end in time`)), timeoutMs);
        void room.request('catalog').then(
          (message: { seat: Seat; cards: Record<string, CardDef>; config?: BattleConfig }) => {
            cards = message.cards;
            catalogued = true;
            config = message.config;
            seat = message.seat;
            void step();
          },
          (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))),
        );
        room.onMessage('events', () => undefined);
        room.onMessage('chat', () => undefined);
        room.onMessage('ended', (result: BotMatch['result']) => finish(null, { matchId: found.matchId, seat, result, actions, refused }));
        room.onLeave((code: number) => finish(new Error(`left match ${found.matchId} before it ended (close code ${code})`)));
        room.onStateChange(() => void step());

        /** Plays one action when it is this seat's turn; the room answers only after the resulting state was sent. */
        async function step(): Promise<void> {
          if (busy || done || !catalogued) return;
          // Two fields decide whether to act; the whole state is copied (toJSON) only when it is this seat's turn.
          const state = room.state as { phase?: string; active?: number } | undefined;
          if (state?.phase !== 'running' || state.active !== seat) return;
          busy = true;
          let again = false;
          try {
            const wait = Math.max(options.thinkMs ?? 0, lastSentAt + (options.minIntervalMs ?? 120) - performance.now());
            if (wait > 0) await sleep(wait);
            // The synchronised state itself (what this player's StateView shows): viewFromState copies what the AI
            // reads, so nothing keeps a reference into it. A toJSON copy of the whole state per intent was the bot's
            // largest cost in the load test.
            const live = room.state as SchemaBattle;
            if (done || live.phase !== 'running' || live.active !== seat) return;
            const action = chooseGreedyAction(viewFromState(live, seat, config), cards);
            const { name, body } = intentOf(action);
            const started = performance.now();
            lastSentAt = started;
            try {
              await room.request(name, body);
              actions++;
              options.onRoundTrip?.(performance.now() - started);
            } catch (error) {
              const code = (error as { reason?: { code?: string } }).reason?.code;
              if (code === 'RATE_LIMITED') {
                // Over the room's message rate: nothing happened; wait a little and choose again.
                await sleep(250);
              } else if (code !== undefined) {
                refused++;
                // A refusal changes nothing; end the turn rather than repeat it.
                if (name !== 'endTurn') await room.request('endTurn', {}).catch(() => undefined);
              } else if (!done) {
                throw error;
              }
            }
            again = true;
          } catch (error) {
            finish(error instanceof Error ? error : new Error(String(error)));
          } finally {
            busy = false;
            if (again && !done) setImmediate(() => void step());
          }
        }
      });
    },
    async close() {
      // A room whose connection the server already closed may never answer the leave: do not wait for it forever.
      for (const room of rooms) await Promise.race([room.leave(true).catch(() => undefined), sleep(2_000)]);
      rooms.clear();
      hub = null;
    },
  };
  return bot;
}
