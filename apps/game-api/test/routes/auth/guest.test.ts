import { useTestDatabase } from '@harvest/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createGuest, createTestApp, expectError, newWallet, postSiwe, signedSiwe, signIn, type TestApp } from '../../helpers.ts';

const database = useTestDatabase();
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp(database.db);
});
afterAll(async () => {
  await t?.close();
});

const guestSession = (deviceId: string, deviceSecret: string) =>
  t.app.inject({ method: 'POST', url: '/v1/auth/guest/session', payload: { deviceId, deviceSecret } });

/** Gives a player some progress: resources, ledger history, a starter card and a finished match. */
async function seedProgress(playerId: string) {
  const db = database.db;
  await db.cardDefinition.upsert({ where: { id: 'sunpetal-sprite' }, create: { id: 'sunpetal-sprite', contentVersion: 1 }, update: {} });
  const card = await db.cardInstance.create({
    data: { definitionId: 'sunpetal-sprite', ownerId: playerId, origin: 'starter', contentVersion: 1 },
  });
  await db.playerResource.createMany({
    data: [
      { playerId, itemId: 'wheat-seed', quantity: 12 },
      { playerId, itemId: 'essence', quantity: 3 },
    ],
  });
  await db.player.update({ where: { id: playerId }, data: { gold: 215 } });
  await db.ledgerEntry.createMany({
    data: [
      { playerId, asset: 'gold', delta: 200, reason: 'starter' },
      { playerId, asset: 'gold', delta: 15, reason: 'match_reward', referenceId: 'match-1' },
      { playerId, asset: 'item', itemId: 'essence', delta: 3, reason: 'match_reward', referenceId: 'match-1' },
    ],
  });
  const match = await db.match.create({
    data: {
      mode: 'casual',
      status: 'finished',
      seedCommitment: 'c'.repeat(64),
      seed: 's'.repeat(64),
      startedAt: new Date(Date.now() - 600_000),
      endedAt: new Date(),
      contentVersion: 1,
      players: { create: [{ playerId, seat: 0 }] },
    },
  });
  return { cardId: card.id, matchId: match.id };
}

describe('guest accounts', () => {
  it('a guest gets tokens with the guest flag and a device credential that signs it in again', async () => {
    const guest = await createGuest(t.app);
    expect(guest.player).toMatchObject({ guest: true, roles: ['player'] });
    expect(guest.deviceSecret.length).toBeGreaterThanOrEqual(43);
    const stored = await database.db.guestDevice.findUniqueOrThrow({ where: { id: guest.deviceId } });
    expect(stored.secretHash).not.toContain(guest.deviceSecret);

    const again = await guestSession(guest.deviceId, guest.deviceSecret);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ player: { id: guest.player.id, guest: true } });
    expect(again.json().sessionId).not.toBe(guest.sessionId);
    const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(again.json().accessToken) });
    expect(me.json()).toMatchObject({ id: guest.player.id, guest: true, wallets: [] });
    const logins = await database.db.outboxEvent.findMany({ where: { key: guest.player.id, type: 'user_login' } });
    expect(logins.map((e) => e.payload)).toEqual([
      { playerId: guest.player.id, method: 'guest', guest: true },
      { playerId: guest.player.id, method: 'guest', guest: true },
    ]);
  });

  it('a wrong secret or unknown device is refused: GUEST_CREDENTIALS_INVALID', async () => {
    const guest = await createGuest(t.app);
    expectError(await guestSession(guest.deviceId, `${guest.deviceSecret.slice(0, -2)}xx`), 401, 'GUEST_CREDENTIALS_INVALID');
    expectError(await guestSession(crypto.randomUUID(), guest.deviceSecret), 401, 'GUEST_CREDENTIALS_INVALID');
  });

  it('guests cannot do what needs a full account (route guard): GUEST_NOT_ALLOWED', async () => {
    const guest = await createGuest(t.app);
    const wallet = newWallet();
    const link = await t.app.inject({
      method: 'POST',
      url: '/v1/me/wallets',
      headers: bearer(guest.accessToken),
      payload: await signedSiwe(t.app, wallet),
    });
    expectError(link, 403, 'GUEST_NOT_ALLOWED');
  });

  it('guest -> wallet upgrade in place keeps inventory, cards, ledger history and matches', async () => {
    const guest = await createGuest(t.app);
    const { cardId, matchId } = await seedProgress(guest.player.id);
    const wallet = newWallet();

    const upgraded = await signIn(t.app, wallet, { accessToken: guest.accessToken });
    expect(upgraded).toMatchObject({ created: false, upgraded: true, player: { id: guest.player.id, guest: false } });

    const db = database.db;
    expect(await db.player.findUniqueOrThrow({ where: { id: guest.player.id } })).toMatchObject({ isGuest: false, gold: 215 });
    expect(await db.cardInstance.findUniqueOrThrow({ where: { id: cardId } })).toMatchObject({
      ownerId: guest.player.id,
      state: 'in_game',
    });
    const resources = await db.playerResource.findMany({ where: { playerId: guest.player.id }, orderBy: { itemId: 'asc' } });
    expect(resources.map((r) => [r.itemId, r.quantity])).toEqual([
      ['essence', 3],
      ['wheat-seed', 12],
    ]);
    expect(await db.ledgerEntry.count({ where: { playerId: guest.player.id } })).toBe(3);
    expect(await db.matchPlayer.count({ where: { playerId: guest.player.id, matchId } })).toBe(1);
    expect(await db.player.count({ where: { wallets: { some: { address: wallet.address.toLowerCase() } } } })).toBe(1);
    expect((await db.wallet.findUniqueOrThrow({ where: { address: wallet.address.toLowerCase() } })).playerId).toBe(guest.player.id);

    // From now on the wallet signs in to the same player; the device credential and the guest session are gone.
    expect((await signIn(t.app, wallet)).player.id).toBe(guest.player.id);
    expectError(await guestSession(guest.deviceId, guest.deviceSecret), 401, 'GUEST_CREDENTIALS_INVALID');
    expectError(await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(guest.accessToken) }), 401, 'SESSION_REVOKED');
    expectError(
      await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: guest.refreshToken } }),
      401,
      'SESSION_REVOKED',
    );
    const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(upgraded.accessToken) });
    expect(me.json()).toMatchObject({ id: guest.player.id, guest: false, wallets: [{ address: wallet.address }] });
    const linked = await db.outboxEvent.findMany({ where: { key: guest.player.id, type: 'wallet_linked' } });
    expect(linked.map((e) => e.payload)).toEqual([{ playerId: guest.player.id, address: wallet.address.toLowerCase(), chainId: 31337 }]);
  });

  it('a guest cannot take over a wallet that already has an account: WALLET_ALREADY_LINKED, the guest stays a guest', async () => {
    const wallet = newWallet();
    const owner = await signIn(t.app, wallet);
    const guest = await createGuest(t.app);
    const response = await postSiwe(t.app, await signedSiwe(t.app, wallet), { accessToken: guest.accessToken });
    expectError(response, 409, 'WALLET_ALREADY_LINKED');
    expect(await database.db.player.findUniqueOrThrow({ where: { id: guest.player.id } })).toMatchObject({ isGuest: true });
    expect((await database.db.wallet.findUniqueOrThrow({ where: { address: wallet.address.toLowerCase() } })).playerId).toBe(
      owner.player.id,
    );
    expect((await guestSession(guest.deviceId, guest.deviceSecret)).statusCode).toBe(200);
  });

  it('guest creation is rate limited per IP with Retry-After', async () => {
    const limited = await createTestApp(database.db, { env: { AUTH_GUEST_CREATIONS_PER_HOUR: '2' } });
    try {
      for (let i = 0; i < 2; i++)
        expect((await limited.app.inject({ method: 'POST', url: '/v1/auth/guest', remoteAddress: '203.0.113.7' })).statusCode).toBe(201);
      const refused = await limited.app.inject({ method: 'POST', url: '/v1/auth/guest', remoteAddress: '203.0.113.7' });
      expectError(refused, 429, 'RATE_LIMITED');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(60);
    } finally {
      await limited.close();
    }
  });
});
