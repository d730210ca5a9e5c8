import { useTestDatabase } from '@harvest/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AVATARS, bearer, createTestApp, expectError, newWallet, signedSiwe, signIn, type TestApp } from '../../helpers.ts';

const database = useTestDatabase();
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp(database.db);
});
afterAll(async () => {
  await t?.close();
});

const patchMe = (token: string, payload: Record<string, unknown>) =>
  t.app.inject({ method: 'PATCH', url: '/v1/me', headers: bearer(token), payload });

describe('GET/PATCH /v1/me', () => {
  it('shows the profile and changes the display name and avatar (from game data)', async () => {
    const wallet = newWallet();
    const session = await signIn(t.app, wallet);
    const before = await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(session.accessToken) });
    expect(before.json()).toMatchObject({ id: session.player.id, displayName: null, avatar: null, guest: false, roles: ['player'] });
    expect(before.json().wallets).toEqual([{ address: wallet.address, linkedAt: expect.any(String) }]);

    const avatar = AVATARS[1];
    if (!avatar) throw new Error('game data has no avatars');
    const after = await patchMe(session.accessToken, { displayName: 'Fern the Bold', avatarId: avatar.id });
    expect(after.statusCode, after.body).toBe(200);
    expect(after.json()).toMatchObject({ displayName: 'Fern the Bold', avatar: { id: avatar.id, name: avatar.name, image: avatar.image } });
    const stored = await database.db.player.findUniqueOrThrow({ where: { id: session.player.id } });
    expect(stored).toMatchObject({ displayName: 'Fern the Bold', displayNameKey: 'fern the bold', avatarId: avatar.id });
  });

  it('display names are unique regardless of case: DISPLAY_NAME_TAKEN', async () => {
    const a = await signIn(t.app, newWallet());
    const b = await signIn(t.app, newWallet());
    expect((await patchMe(a.accessToken, { displayName: 'MoonMoth' })).statusCode).toBe(200);
    expectError(await patchMe(b.accessToken, { displayName: 'moonmoth' }), 409, 'DISPLAY_NAME_TAKEN');
    expectError(await patchMe(b.accessToken, { displayName: 'MoonMoth' }), 409, 'DISPLAY_NAME_TAKEN');
    // Changing the case of one's own name is fine.
    expect((await patchMe(a.accessToken, { displayName: 'moonMOTH' })).json().displayName).toBe('moonMOTH');
  });

  it.each([
    ['too short', 'ab'],
    ['too long', 'a'.repeat(21)],
    ['leading space', ' Fern'],
    ['double space', 'Fern  Reed'],
    ['symbols', 'Fern<script>'],
    ['non-ASCII look-alike', 'Fеrn'],
    ['reserved', 'Admin'],
  ])('an invalid display name is refused (%s): VALIDATION_FAILED', async (_why, displayName) => {
    const session = await signIn(t.app, newWallet());
    expectError(await patchMe(session.accessToken, { displayName }), 422, 'VALIDATION_FAILED');
  });

  it('an avatar that is not in the game data is refused: AVATAR_UNKNOWN; an empty patch or unknown field: VALIDATION_FAILED', async () => {
    const session = await signIn(t.app, newWallet());
    expectError(await patchMe(session.accessToken, { avatarId: 'dragon-lord' }), 422, 'AVATAR_UNKNOWN');
    expectError(await patchMe(session.accessToken, {}), 422, 'VALIDATION_FAILED');
    expectError(await patchMe(session.accessToken, { roles: ['admin'] }), 422, 'VALIDATION_FAILED');
  });
});

describe('/v1/me/wallets', () => {
  const link = async (token: string, wallet: ReturnType<typeof newWallet>) =>
    t.app.inject({ method: 'POST', url: '/v1/me/wallets', headers: bearer(token), payload: await signedSiwe(t.app, wallet) });
  const unlink = (token: string, address: string) =>
    t.app.inject({ method: 'DELETE', url: `/v1/me/wallets/${address}`, headers: bearer(token) });

  it('links a second wallet proved by SIWE, lists both, signs in with either, unlinks one', async () => {
    const main = newWallet();
    const second = newWallet();
    const session = await signIn(t.app, main);
    const linked = await link(session.accessToken, second);
    expect(linked.statusCode, linked.body).toBe(201);
    expect(linked.json()).toMatchObject({ address: second.address });
    expect((await link(session.accessToken, second)).statusCode).toBe(200);

    const list = await t.app.inject({ method: 'GET', url: '/v1/me/wallets', headers: bearer(session.accessToken) });
    expect(list.json().wallets.map((w: { address: string }) => w.address)).toEqual([main.address, second.address]);
    expect((await signIn(t.app, second)).player.id).toBe(session.player.id);
    const events = await database.db.outboxEvent.count({ where: { key: session.player.id, type: 'wallet_linked' } });
    expect(events).toBe(2);

    expect((await unlink(session.accessToken, second.address.toLowerCase())).statusCode).toBe(204);
    expect((await signIn(t.app, second)).player.id).not.toBe(session.player.id);
  });

  it('a wallet belongs to at most one player: WALLET_ALREADY_LINKED', async () => {
    const taken = newWallet();
    await signIn(t.app, taken);
    const session = await signIn(t.app, newWallet());
    expectError(await link(session.accessToken, taken), 409, 'WALLET_ALREADY_LINKED');
  });

  it("another player's wallet answers 404 like an unknown one; the last wallet cannot be unlinked", async () => {
    const mine = newWallet();
    const theirs = newWallet();
    const session = await signIn(t.app, mine);
    await signIn(t.app, theirs);
    expectError(await unlink(session.accessToken, theirs.address), 404, 'NOT_FOUND');
    expectError(await unlink(session.accessToken, newWallet().address), 404, 'NOT_FOUND');
    expectError(await unlink(session.accessToken, mine.address), 409, 'WALLET_LAST_CREDENTIAL');
  });

  it('unlinking is refused while the player holds on-chain assets: WALLET_HOLDS_ASSETS', async () => {
    const main = newWallet();
    const second = newWallet();
    const session = await signIn(t.app, main);
    expect((await link(session.accessToken, second)).statusCode).toBe(201);
    await database.db.cardDefinition.upsert({ where: { id: 'ember-finch' }, create: { id: 'ember-finch', contentVersion: 1 }, update: {} });
    await database.db.cardInstance.create({
      data: {
        definitionId: 'ember-finch',
        ownerId: session.player.id,
        origin: 'starter',
        contentVersion: 1,
        state: 'on_chain',
        tokenId: '42',
      },
    });
    const body = expectError(await unlink(session.accessToken, second.address), 409, 'WALLET_HOLDS_ASSETS');
    expect(body.error.details).toEqual({ cards: 1, parcels: 0 });
  });
});
