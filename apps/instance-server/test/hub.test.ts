/**
 * The hub through real clients: presence and friends (with online/offline notifications), global chat and whispers
 * with the word filter and limits, and notifications pushed from bus events (outbox -> relay -> Redis Streams ->
 * the instance server's consumer -> the player's hub connection).
 */
import { randomBytes } from 'node:crypto';
import { Client, type Room } from '@colyseus/sdk';
import type { Bot } from '@harvest/bot';
import { createRedisTransport, createRelay, type Relay, type Transport } from '@harvest/bus';
import { appendEvents } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { createLogger } from '@harvest/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, joinRefused, siweBot, useInstanceStack } from './helpers.ts';

const database = useTestDatabase();
const busPrefix = `test-hub-${randomBytes(4).toString('hex')}`;
const log = createLogger('hub-test', 'warn');
const stack = useInstanceStack(database, { EVENT_BUS_PREFIX: busPrefix, CHAT_LINES_PER_10S: '5' });
let transport: Transport;
let relay: Relay;

beforeAll(async () => {
  // What game-api's relay does in production: publish the outbox to the bus.
  transport = createRedisTransport({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix: busPrefix, partitions: 16, log });
  relay = createRelay({ databaseUrl: database.url, transport, log, pollMs: 20 });
});
afterAll(async () => {
  await relay?.stop();
  await transport?.close();
});

type Refusal = { code: string };

/** A hub connection that records every message pushed to it. */
async function connect(bot: Bot): Promise<{ room: Room; inbox: Array<{ type: string; message: Record<string, unknown> }> }> {
  const room = await bot.client.joinOrCreate('hub');
  const inbox: Array<{ type: string; message: Record<string, unknown> }> = [];
  room.onMessage('*', (type: string | number, message: Record<string, unknown>) => inbox.push({ type: String(type), message }));
  return { room, inbox };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (e: { reason?: Refusal }) => e.reason?.code ?? 'no code',
  );

describe('hub', () => {
  it('refuses clients without a valid token with a stable code, and lets no one into a battle that is not theirs', async () => {
    const anonymous = new Client(stack.serverUrl);
    expect(await joinRefused(anonymous.joinOrCreate('hub'))).toMatchObject({
      code: 401,
      message: expect.stringMatching(/^UNAUTHENTICATED: /),
    });
    const [a, b, stranger] = await Promise.all([
      siweBot(stack.api.url, stack.serverUrl),
      siweBot(stack.api.url, stack.serverUrl),
      siweBot(stack.api.url, stack.serverUrl),
    ]);
    try {
      anonymous.auth.token = `${a.accessToken.slice(0, -4)}AAAA`;
      expect(await joinRefused(anonymous.joinOrCreate('hub'))).toMatchObject({
        code: 401,
        message: expect.stringMatching(/^TOKEN_INVALID: /),
      });
      // Battle rooms are created by the matchmaker only, and admit the match's two players only.
      for (const matchId of [crypto.randomUUID(), 'nope']) {
        expect(await joinRefused(stranger.client.create('battle', { matchId }))).toMatchObject({
          code: 404,
          message: expect.stringMatching(/^MATCH_NOT_FOUND: /),
        });
      }
      const [found] = await Promise.all([a.queue('casual'), b.queue('casual')]);
      const roomId = (found.reservation as { roomId: string }).roomId;
      // Knowing a real match id is not enough to make its room (only the matchmaker holds the room's pass).
      expect(await joinRefused(stranger.client.create('battle', { matchId: found.matchId, pass: 'guess' }))).toMatchObject({
        code: 404,
        message: expect.stringMatching(/^MATCH_NOT_FOUND: /),
      });
      expect(await joinRefused(stranger.client.joinById(roomId))).toMatchObject({
        code: 403,
        message: expect.stringMatching(/^NOT_A_PLAYER: /),
      });
    } finally {
      await Promise.all([a.close(), b.close(), stranger.close()]);
    }
  });

  it('drops the connections of a session signed out at game-api, and refuses its token from then on', async () => {
    const [bot, other] = await Promise.all([siweBot(stack.api.url, stack.serverUrl), siweBot(stack.api.url, stack.serverUrl)]);
    try {
      const { room, inbox } = await connect(bot);
      const kept = await connect(other);
      let closedWith: number | null = null;
      room.onLeave((code: number) => {
        closedWith = code;
      });
      const logout = await fetch(`${stack.api.url}/v1/auth/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bot.accessToken}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(logout.status).toBe(204);
      await eventually(async () => closedWith !== null, 5_000, 'the signed-out connection to close');
      expect(closedWith).toBe(4000);
      expect(inbox.find((m) => m.type === 'signedOut')?.message).toMatchObject({ code: 'SESSION_REVOKED' });
      expect(await joinRefused(bot.client.joinOrCreate('hub'))).toMatchObject({
        code: 401,
        message: expect.stringMatching(/^SESSION_REVOKED: /),
      });
      // Another session stays connected.
      expect(kept.room.connection.isOpen).toBe(true);
      expect(kept.inbox.some((m) => m.type === 'signedOut')).toBe(false);
      await kept.room.leave();
    } finally {
      await Promise.all([bot.close(), other.close()]);
    }
  });

  it('keeps friends and presence: requests, accept, online/offline pushes, status in the list, removal', async () => {
    const [a, b] = await Promise.all([siweBot(stack.api.url, stack.serverUrl), siweBot(stack.api.url, stack.serverUrl)]);
    const hubA = await connect(a);
    try {
      expect(await hubA.room.request('friendRequest', { playerId: b.playerId })).toEqual({ status: 'requested' });
      expect(await refusal(hubA.room.request('friendRequest', { playerId: b.playerId }))).toBe('ALREADY_FRIENDS');
      expect(await refusal(hubA.room.request('friendRequest', { playerId: 'not-a-uuid' }))).toBe('VALIDATION_FAILED');

      const hubB = await connect(b);
      expect(await hubB.room.request('friendAccept', { playerId: a.playerId })).toEqual({ status: 'accepted' });
      await eventually(
        async () => hubA.inbox.some((m) => m.type === 'friendAccepted' && m.message.from === b.playerId),
        5_000,
        'accept push',
      );

      const listed = (await hubA.room.request('friends', {})) as Array<{ playerId: string; presence: string; status: string }>;
      expect(listed).toEqual([expect.objectContaining({ playerId: b.playerId, presence: 'online', status: 'friends' })]);

      // B goes offline and comes back: A hears both.
      await hubB.room.leave(true);
      await eventually(
        async () => hubA.inbox.some((m) => m.type === 'friendOffline' && m.message.playerId === b.playerId),
        5_000,
        'offline push',
      );
      expect(((await hubA.room.request('friends', {})) as Array<{ presence: string }>)[0]?.presence).toBe('offline');
      const again = await connect(b);
      await eventually(
        async () => hubA.inbox.some((m) => m.type === 'friendOnline' && m.message.playerId === b.playerId),
        5_000,
        'online push',
      );

      // In the queue shows as in_queue.
      const deckId = await b.ensureDeck();
      await again.room.request('queue', { mode: 'casual', deckId });
      expect(((await hubA.room.request('friends', {})) as Array<{ presence: string }>)[0]?.presence).toBe('in_queue');
      await again.room.request('leaveQueue', {});
      expect(await refusal(again.room.request('leaveQueue', {}))).toBe('NOT_QUEUED');

      expect(await hubA.room.request('friendRemove', { playerId: b.playerId })).toEqual({ status: 'removed' });
      expect(await hubA.room.request('friends', {})).toEqual([]);
      await again.room.leave(true);
    } finally {
      await hubA.room.leave(true).catch(() => undefined);
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('carries global chat and whispers through the word filter, with length and rate limits', async () => {
    const [a, b, c] = await Promise.all([
      siweBot(stack.api.url, stack.serverUrl),
      siweBot(stack.api.url, stack.serverUrl),
      siweBot(stack.api.url, stack.serverUrl),
    ]);
    const [hubA, hubB, hubC] = [await connect(a), await connect(b), await connect(c)];
    try {
      expect(await hubA.room.request('chat', { text: 'gg you noob' })).toEqual({ ok: true });
      await eventually(async () => hubB.inbox.some((m) => m.type === 'chat' && m.message.text === 'gg you ****'), 5_000, 'chat line');
      expect(hubC.inbox.some((m) => m.type === 'chat' && m.message.from === a.playerId)).toBe(true);

      expect(await hubA.room.request('whisper', { to: b.playerId, text: 'psst' })).toEqual({ ok: true });
      await eventually(async () => hubB.inbox.some((m) => m.type === 'whisper' && m.message.text === 'psst'), 5_000, 'whisper');
      expect(hubC.inbox.some((m) => m.type === 'whisper')).toBe(false);

      expect(await refusal(hubA.room.request('chat', { text: 'x'.repeat(201) }))).toBe('VALIDATION_FAILED');
      expect(await refusal(hubA.room.request('chat', { text: '   ' }))).toBe('CHAT_BLOCKED');
      // Five lines per 10 s: two used above (chat, whisper; the blank line took one too).
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push(await refusal(hubA.room.request('chat', { text: `line ${i}` })));
      expect(codes).toContain('RATE_LIMITED');
      expect(codes.filter((code) => code === null).length).toBeLessThanOrEqual(2);
    } finally {
      for (const hub of [hubA, hubB, hubC]) await hub.room.leave(true).catch(() => undefined);
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('starts a private match from an invite code, and refuses unknown and own codes', async () => {
    const { db } = database;
    const [a, b] = await Promise.all([siweBot(stack.api.url, stack.serverUrl), siweBot(stack.api.url, stack.serverUrl)]);
    const [hubA, hubB] = [await connect(a), await connect(b)];
    try {
      const [deckA, deckB] = await Promise.all([a.ensureDeck(), b.ensureDeck()]);
      const { code } = (await hubA.room.request('challenge', { deckId: deckA })) as { code: string };
      expect(code).toMatch(/^[A-Z2-9]{8}$/);
      expect(await refusal(hubB.room.request('acceptChallenge', { code: 'ZZZZZZZZ', deckId: deckB }))).toBe('CHALLENGE_NOT_FOUND');
      expect(await refusal(hubA.room.request('acceptChallenge', { code, deckId: deckA }))).toBe('CHALLENGE_NOT_FOUND');
      expect(await hubB.room.request('acceptChallenge', { code: code.toLowerCase(), deckId: deckB })).toEqual({ accepted: true });
      const found = (hub: typeof hubA) => hub.inbox.find((m) => m.type === 'matchFound')?.message;
      await eventually(async () => found(hubA) && found(hubB), 10_000, 'both seats');
      expect(found(hubA)).toMatchObject({ mode: 'private', opponentId: b.playerId });
      expect(found(hubB)).toMatchObject({ mode: 'private', opponentId: a.playerId, matchId: found(hubA)?.matchId });
      const match = await db.match.findUniqueOrThrow({ where: { id: found(hubA)?.matchId as string } });
      expect(match.mode).toBe('private');
      // A code is used once.
      expect(await refusal(hubB.room.request('acceptChallenge', { code, deckId: deckB }))).toBe('CHALLENGE_NOT_FOUND');
    } finally {
      for (const hub of [hubA, hubB]) await hub.room.leave(true).catch(() => undefined);
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('pushes bus events to the players they concern: a card minted to its owner, a sale to seller and buyer', async () => {
    const { db } = database;
    const [a, b, c] = await Promise.all([
      siweBot(stack.api.url, stack.serverUrl),
      siweBot(stack.api.url, stack.serverUrl),
      siweBot(stack.api.url, stack.serverUrl),
    ]);
    const [hubA, hubB, hubC] = [await connect(a), await connect(b), await connect(c)];
    try {
      const card = await db.cardInstance.findFirstOrThrow({ where: { ownerId: a.playerId } });
      const [walletA, walletB] = await Promise.all([
        db.wallet.findFirstOrThrow({ where: { playerId: a.playerId } }),
        db.wallet.findFirstOrThrow({ where: { playerId: b.playerId } }),
      ]);
      const contract = `0x${'ab'.repeat(20)}`;
      const txHash = `0x${'12'.repeat(32)}`;
      await db.$transaction((tx) =>
        appendEvents(tx, [
          {
            type: 'card_minted',
            key: `${contract}:7`,
            payload: { chainId: 31337, contract, tokenId: '7', cardId: card.id, owner: walletA.address, txHash },
          },
          {
            type: 'sale',
            key: `${contract}:7`,
            payload: {
              chainId: 31337,
              contract,
              tokenId: '7',
              orderHash: `0x${'34'.repeat(32)}`,
              seller: walletA.address,
              buyer: walletB.address,
              price: '1000000000000000',
              currency: `0x${'00'.repeat(20)}`,
              txHash,
            },
          },
        ]),
      );
      const of = (hub: { inbox: Array<{ type: string; message: Record<string, unknown> }> }, kind: string) =>
        hub.inbox.find((m) => m.type === 'notification' && m.message.kind === kind)?.message;
      await eventually(async () => of(hubA, 'card_minted') && of(hubA, 'sold') && of(hubB, 'bought'), 20_000, 'the notifications');
      expect(of(hubA, 'card_minted')).toMatchObject({ cardId: card.id, tokenId: '7', contract, txHash });
      expect(of(hubA, 'sold')).toMatchObject({ tokenId: '7', buyer: walletB.address, price: '1000000000000000' });
      expect(of(hubB, 'bought')).toMatchObject({ tokenId: '7', seller: walletA.address });
      expect(hubC.inbox.some((m) => m.type === 'notification')).toBe(false);
      expect(hubB.inbox.some((m) => m.type === 'notification' && m.message.kind !== 'bought')).toBe(false);
    } finally {
      for (const hub of [hubA, hubB, hubC]) await hub.room.leave(true).catch(() => undefined);
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});
