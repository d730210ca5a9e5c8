/**
 * Queues and the matchmaker, shared by every instance-server process through Redis: tickets live in Redis (a
 * sorted set per mode, by queue time, and a ticket per player), and each tick one process (holding a short Redis
 * lock) pairs them (see pairing.ts), claims each pair atomically, creates the match in the database (decks checked,
 * cards locked), creates its battle room on whichever process Colyseus picks, reserves both seats and sends each
 * player their reservation through the hub channel. Private challenges are invite codes in Redis.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { matchMaker } from '@colyseus/core';
import type { AccessClaims } from '@harvest/auth';
import { createMatch, findActiveMatch, getActiveGameData, getRating, type MatchMode, pipelinedReader } from '@harvest/db';
import { AppError, isAppError } from '@harvest/shared/errors';
import { type Services, services } from '../services.ts';
import { DEFAULT_PAIRING, pairTickets, type Ticket } from './pairing.ts';

/** Modes with a queue (private matches go through challenges). */
export const QUEUE_MODES = ['ranked', 'casual'] as const;
export type QueueMode = (typeof QUEUE_MODES)[number];

/** A queued player as stored in Redis. */
export interface QueueTicket extends Ticket {
  mode: QueueMode;
  deckId: string;
  /** Who the seat will be reserved for (the claims the hub verified). */
  claims: AccessClaims;
}

const TICKET_TTL_SECONDS = 15 * 60;
const CHALLENGE_TTL_SECONDS = 5 * 60;

const keys = (prefix: string) => ({
  queue: (mode: QueueMode) => `${prefix}queue:${mode}`,
  ticket: (playerId: string) => `${prefix}ticket:${playerId}`,
  challenge: (code: string) => `${prefix}challenge:${code}`,
  roomPass: (matchId: string) => `${prefix}room-pass:${matchId}`,
  lock: `${prefix}matchmaker-lock`,
});

/**
 * Creates the battle room of a match this process just created, on whichever process Colyseus picks. The room is
 * given a one-time pass kept in Redis, so that a client who learned a match id cannot create the room first.
 */
export async function createBattleRoom(matchId: string): Promise<Awaited<ReturnType<typeof matchMaker.createRoom>>> {
  const svc = services();
  const pass = randomBytes(16).toString('hex');
  await svc.redis.set(keys(svc.config.redisPrefix).roomPass(matchId), pass, 'EX', 60);
  return matchMaker.createRoom('battle', { matchId, pass });
}

/** Whether `pass` is the one-time pass of the match's room (consumed by the check). */
export async function takeRoomPass(matchId: string, pass: unknown): Promise<boolean> {
  if (typeof pass !== 'string' || pass.length === 0) return false;
  const svc = services();
  return (await svc.redis.getdel(keys(svc.config.redisPrefix).roomPass(matchId))) === pass;
}

const CLAIM_PAIR = `
if redis.call('exists', KEYS[1]) == 1 and redis.call('exists', KEYS[2]) == 1 then
  redis.call('del', KEYS[1], KEYS[2])
  redis.call('zrem', KEYS[3], ARGV[1], ARGV[2])
  return 1
end
return 0`;

/** Puts the player in a queue. GUEST_RANKED_NOT_ALLOWED, ALREADY_IN_MATCH, ALREADY_QUEUED. */
export async function enqueue(
  claims: AccessClaims,
  input: { mode: QueueMode; deckId: string; region?: string | undefined },
  now = Date.now(),
): Promise<QueueTicket> {
  const svc = services();
  if (input.mode === 'ranked' && claims.guest) throw new AppError('GUEST_RANKED_NOT_ALLOWED', 'guests play casual only');
  if (await findActiveMatch(pipelinedReader(svc.db), claims.sub)) throw new AppError('ALREADY_IN_MATCH', 'you are in a match');
  const rating = input.mode === 'ranked' ? (await getRating(pipelinedReader(svc.db), claims.sub)).rating : 1500;
  const ticket: QueueTicket = {
    playerId: claims.sub,
    rating,
    region: input.region ?? svc.config.region,
    enqueuedAt: now,
    mode: input.mode,
    deckId: input.deckId,
    claims,
  };
  const k = keys(svc.config.redisPrefix);
  const set = await svc.redis.set(k.ticket(claims.sub), JSON.stringify(ticket), 'EX', TICKET_TTL_SECONDS, 'NX');
  if (set !== 'OK') throw new AppError('ALREADY_QUEUED', 'you are already queued');
  await svc.redis.zadd(k.queue(input.mode), now, claims.sub);
  return ticket;
}

/** Takes the player out of any queue; false when they were not queued. */
export async function dequeue(playerId: string): Promise<boolean> {
  const svc = services();
  const k = keys(svc.config.redisPrefix);
  const removed = await svc.redis.del(k.ticket(playerId));
  for (const mode of QUEUE_MODES) await svc.redis.zrem(k.queue(mode), playerId);
  return removed > 0;
}

/** Whether the player has a ticket. */
export async function isQueued(playerId: string): Promise<boolean> {
  const svc = services();
  return (await svc.redis.exists(keys(svc.config.redisPrefix).ticket(playerId))) === 1;
}

/** Opens a private challenge; the code is what the friend types. */
export async function createChallenge(claims: AccessClaims, deckId: string): Promise<{ code: string; expiresInSeconds: number }> {
  const svc = services();
  if (await findActiveMatch(pipelinedReader(svc.db), claims.sub)) throw new AppError('ALREADY_IN_MATCH', 'you are in a match');
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const code = [...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join('');
  await svc.redis.set(keys(svc.config.redisPrefix).challenge(code), JSON.stringify({ claims, deckId }), 'EX', CHALLENGE_TTL_SECONDS);
  return { code, expiresInSeconds: CHALLENGE_TTL_SECONDS };
}

/** Accepts a challenge by code and starts the private match. CHALLENGE_NOT_FOUND for unknown, expired or own codes. */
export async function acceptChallenge(claims: AccessClaims, code: string, deckId: string): Promise<void> {
  const svc = services();
  const key = keys(svc.config.redisPrefix).challenge(code.toUpperCase());
  const raw = await svc.redis.getdel(key);
  const challenge = raw ? (JSON.parse(raw) as { claims: AccessClaims; deckId: string }) : null;
  if (!challenge || challenge.claims.sub === claims.sub) {
    if (challenge) await svc.redis.set(key, raw as string, 'EX', CHALLENGE_TTL_SECONDS);
    throw new AppError('CHALLENGE_NOT_FOUND', 'no open challenge with this code');
  }
  const now = Date.now();
  const host: QueueTicket = {
    playerId: challenge.claims.sub,
    rating: 0,
    region: svc.config.region,
    enqueuedAt: now,
    mode: 'casual',
    deckId: challenge.deckId,
    claims: challenge.claims,
  };
  const guest: QueueTicket = {
    playerId: claims.sub,
    rating: 0,
    region: svc.config.region,
    enqueuedAt: now,
    mode: 'casual',
    deckId,
    claims,
  };
  const started = await startMatch(svc, 'private', host, guest);
  if (!started) throw new AppError('DECK_ILLEGAL', 'the match could not start (see the notification)');
}

async function requeue(svc: Services, ticket: QueueTicket): Promise<void> {
  const k = keys(svc.config.redisPrefix);
  await svc.redis.set(k.ticket(ticket.playerId), JSON.stringify(ticket), 'EX', TICKET_TTL_SECONDS, 'NX');
  await svc.redis.zadd(k.queue(ticket.mode), ticket.enqueuedAt, ticket.playerId);
}

/**
 * Creates the match and its room and sends both players their seats. A deck that cannot be played is reported to
 * its player (`queueError`) and the other player goes back to the queue with their place kept.
 */
async function startMatch(svc: Services, mode: MatchMode, a: QueueTicket, b: QueueTicket): Promise<boolean> {
  const matchId = randomUUID();
  try {
    const content = await getActiveGameData(svc.db);
    await createMatch(svc.db, {
      matchId,
      mode,
      region: a.region === b.region ? a.region : null,
      seats: [
        { playerId: a.playerId, deckId: a.deckId },
        { playerId: b.playerId, deckId: b.deckId },
      ],
      content,
      ...(svc.config.turnSeconds ? { battleOverrides: { turnSeconds: svc.config.turnSeconds } } : {}),
    });
  } catch (error) {
    const culprit = isAppError(error) ? (error.details?.playerId as string | undefined) : undefined;
    for (const t of [a, b]) {
      if (t.playerId === culprit || culprit === undefined) {
        const code = isAppError(error) ? error.code : 'INTERNAL';
        const details = isAppError(error) ? error.details : undefined;
        await svc.notify(t.playerId, { type: 'queueError', code, message: isAppError(error) ? error.message : 'internal error', details });
      } else if (mode !== 'private') {
        await requeue(svc, t);
      }
    }
    if (!isAppError(error)) svc.log.error({ err: error }, 'match creation failed');
    return false;
  }
  const room = await createBattleRoom(matchId);
  for (const [seat, t] of [a, b].entries()) {
    const reservation = await matchMaker.reserveSeatFor(room, {}, t.claims);
    await svc.notify(t.playerId, {
      type: 'matchFound',
      matchId,
      mode,
      seat,
      opponentId: seat === 0 ? b.playerId : a.playerId,
      reservation,
    });
  }
  svc.log.info({ matchId, mode, roomId: room.roomId, processId: room.processId }, 'match found');
  return true;
}

/** A new seat in the player's running match (after a lost connection or a process change), or null. */
export async function reissueSeat(claims: AccessClaims): Promise<{ matchId: string; reservation: unknown } | null> {
  const svc = services();
  const active = await findActiveMatch(pipelinedReader(svc.db), claims.sub);
  if (!active?.roomId) return null;
  const rooms = await matchMaker.query({ roomId: active.roomId });
  const room = rooms[0];
  if (!room) return null;
  try {
    return { matchId: active.matchId, reservation: await matchMaker.reserveSeatFor(room, {}, claims) };
  } catch {
    return null;
  }
}

/** The matchmaking loop of a process. */
export interface Matchmaker {
  start(): void;
  stop(): Promise<void>;
  /** One pairing pass (the loop calls it; tests may too). Returns the number of matches started. */
  tick(): Promise<number>;
}

/** Starts nothing until `start()`; every process runs one, and the Redis lock lets one pass run at a time. */
export function createMatchmaker(tickMs: number): Matchmaker {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | null = null;
  const token = randomUUID();

  const tick = async (): Promise<number> => {
    const svc = services();
    const k = keys(svc.config.redisPrefix);
    const locked = await svc.redis.set(k.lock, token, 'PX', Math.max(2_000, tickMs * 4), 'NX');
    if (locked !== 'OK') return 0;
    let started = 0;
    try {
      const now = Date.now();
      for (const mode of QUEUE_MODES) {
        const ids = await svc.redis.zrange(k.queue(mode), 0, 999);
        if (ids.length < 2) continue;
        const raws = await svc.redis.mget(ids.map((id) => k.ticket(id)));
        const tickets: QueueTicket[] = [];
        for (const [i, raw] of raws.entries()) {
          if (raw) tickets.push(JSON.parse(raw) as QueueTicket);
          else await svc.redis.zrem(k.queue(mode), ids[i] as string);
        }
        const pairs = pairTickets(tickets, now, { ...DEFAULT_PAIRING, ranked: mode === 'ranked' });
        for (const [a, b] of pairs) {
          const claimed = await svc.redis.eval(
            CLAIM_PAIR,
            3,
            k.ticket(a.playerId),
            k.ticket(b.playerId),
            k.queue(mode),
            a.playerId,
            b.playerId,
          );
          if (claimed !== 1) continue;
          if (
            await startMatch(svc, mode, a as QueueTicket, b as QueueTicket).catch((error: unknown) => {
              svc.log.error({ err: error }, 'starting a match failed');
              return false;
            })
          )
            started++;
        }
      }
    } finally {
      await svc.redis.eval(
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0",
        1,
        k.lock,
        token,
      );
    }
    return started;
  };

  const loop = () => {
    running = tick().catch((error: unknown) => {
      services().log.error({ err: error }, 'matchmaker tick failed');
      return 0;
    });
    void running.finally(() => {
      running = null;
      if (timer !== undefined) timer = setTimeout(loop, tickMs);
    });
  };

  return {
    tick,
    start() {
      timer = setTimeout(loop, tickMs);
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      if (running) await running;
    },
  };
}
