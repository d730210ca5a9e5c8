import { useTestDatabase } from '@harvest/db/testing';
import { validateEnvelope } from '@harvest/shared/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  expectError,
  newWallet,
  postSiwe,
  requestNonce,
  type SiweAttempt,
  signedSiwe,
  signIn,
  siweMessage,
  type TestApp,
} from '../../helpers.ts';

const database = useTestDatabase();
let t: TestApp;
let ipBound: TestApp;

beforeAll(async () => {
  t = await createTestApp(database.db);
  ipBound = await createTestApp(database.db, { env: { SIWE_BIND_NONCE_TO_IP: 'true' } });
});
afterAll(async () => {
  await t?.close();
  await ipBound?.close();
});

describe('SIWE sign-in', () => {
  it('creates a player on first sign-in, returns the same player next time, and appends user_login in the same transaction', async () => {
    const wallet = newWallet();
    const first = await signIn(t.app, wallet);
    expect(first).toMatchObject({ created: true, upgraded: false, player: { guest: false, roles: ['player'] } });
    const again = await signIn(t.app, wallet);
    expect(again).toMatchObject({ created: false, player: { id: first.player.id } });
    expect(again.sessionId).not.toBe(first.sessionId);

    const stored = await database.db.wallet.findUnique({ where: { address: wallet.address.toLowerCase() } });
    expect(stored?.playerId).toBe(first.player.id);
    const logins = await database.db.outboxEvent.findMany({ where: { key: first.player.id, type: 'user_login' }, orderBy: { id: 'asc' } });
    expect(logins).toHaveLength(2);
    expect(logins[0]).toMatchObject({
      version: 1,
      payload: { playerId: first.player.id, method: 'siwe', address: wallet.address.toLowerCase(), guest: false },
    });
    const linked = await database.db.outboxEvent.count({ where: { key: first.player.id, type: 'wallet_linked' } });
    expect(linked).toBe(1);
    // The sign-in writes its outbox rows in SQL: each must be a valid envelope of the catalogue, in order.
    const rows = await database.db.outboxEvent.findMany({ where: { key: first.player.id }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.type)).toEqual(['wallet_linked', 'user_login', 'user_login']);
    for (const row of rows) {
      const envelope = {
        id: row.eventId,
        type: row.type,
        version: row.version,
        key: row.key,
        occurredAt: row.occurredAt.toISOString(),
        payload: row.payload,
      };
      expect(validateEnvelope(envelope)).toEqual([]);
    }
  });

  it('concurrent first sign-ins of one wallet make one player', async () => {
    const wallet = newWallet();
    const attempts = await Promise.all(Array.from({ length: 6 }, () => signedSiwe(t.app, wallet)));
    const responses = await Promise.all(attempts.map((attempt) => postSiwe(t.app, attempt)));
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    const bodies = responses.map((r) => r.json() as { created: boolean; player: { id: string } });
    expect(new Set(bodies.map((b) => b.player.id)).size).toBe(1);
    expect(bodies.filter((b) => b.created)).toHaveLength(1);
    expect(await database.db.player.count({ where: { wallets: { some: { address: wallet.address.toLowerCase() } } } })).toBe(1);
  });

  it('a replayed nonce is refused: SIWE_NONCE_USED', async () => {
    const wallet = newWallet();
    const attempt = await signedSiwe(t.app, wallet);
    expect((await postSiwe(t.app, attempt)).statusCode).toBe(200);
    expectError(await postSiwe(t.app, attempt), 401, 'SIWE_NONCE_USED');
  });

  it('a nonce the server never issued is refused: SIWE_NONCE_UNKNOWN', async () => {
    const wallet = newWallet();
    const { nonceSession } = await requestNonce(t.app);
    const message = siweMessage(wallet.address, 'deadbeefdeadbeefdeadbeefdeadbeef');
    expectError(
      await postSiwe(t.app, { message, signature: await wallet.signMessage({ message }), nonceSession }),
      401,
      'SIWE_NONCE_UNKNOWN',
    );
  });

  it('a nonce from another session is refused, and stays usable by its own session: SIWE_NONCE_SESSION_MISMATCH', async () => {
    const wallet = newWallet();
    const mine = await signedSiwe(t.app, wallet);
    const theirs = await requestNonce(t.app);
    expectError(await postSiwe(t.app, { ...mine, nonceSession: theirs.nonceSession }), 401, 'SIWE_NONCE_SESSION_MISMATCH');
    expect((await postSiwe(t.app, mine)).statusCode).toBe(200);
  });

  it('with SIWE_BIND_NONCE_TO_IP, a nonce presented from another IP is refused: SIWE_NONCE_SESSION_MISMATCH', async () => {
    const wallet = newWallet();
    const { nonce, nonceSession } = await requestNonce(ipBound.app, '10.0.0.1');
    const message = siweMessage(wallet.address, nonce);
    const attempt: SiweAttempt = { message, signature: await wallet.signMessage({ message }), nonceSession };
    const body = expectError(await postSiwe(ipBound.app, attempt, { ip: '10.0.0.2' }), 401, 'SIWE_NONCE_SESSION_MISMATCH');
    expect(body.error.details).toEqual({ bound: 'ip' });
    expect((await postSiwe(ipBound.app, attempt, { ip: '10.0.0.1' })).statusCode).toBe(200);
  });

  it('a message for another domain is refused: SIWE_DOMAIN_NOT_ALLOWED', async () => {
    const attempt = await signedSiwe(t.app, newWallet(), { domain: 'harvest-battles.phish.test' });
    expectError(await postSiwe(t.app, attempt), 401, 'SIWE_DOMAIN_NOT_ALLOWED');
  });

  it('a message with another URI is refused: SIWE_URI_NOT_ALLOWED', async () => {
    const attempt = await signedSiwe(t.app, newWallet(), { uri: 'https://play.harvest.test/other' });
    expectError(await postSiwe(t.app, attempt), 401, 'SIWE_URI_NOT_ALLOWED');
  });

  it('a chain id outside the allowed list is refused: SIWE_CHAIN_NOT_ALLOWED', async () => {
    const attempt = await signedSiwe(t.app, newWallet(), { chainId: 1 });
    const body = expectError(await postSiwe(t.app, attempt), 401, 'SIWE_CHAIN_NOT_ALLOWED');
    expect(body.error.details).toMatchObject({ chainId: 1, allowed: [31337] });
  });

  it('an expired message is refused: SIWE_EXPIRED', async () => {
    const attempt = await signedSiwe(t.app, newWallet(), {
      issuedAt: new Date(Date.now() - 120_000),
      expirationTime: new Date(Date.now() - 60_000),
    });
    expectError(await postSiwe(t.app, attempt), 401, 'SIWE_EXPIRED');
  });

  it('a message not valid yet (Not Before, or Issued At in the future) is refused: SIWE_NOT_YET_VALID', async () => {
    const notBefore = await signedSiwe(t.app, newWallet(), { notBefore: new Date(Date.now() + 60_000) });
    expectError(await postSiwe(t.app, notBefore), 401, 'SIWE_NOT_YET_VALID');
    const future = await signedSiwe(t.app, newWallet(), { issuedAt: new Date(Date.now() + 60_000) });
    expectError(await postSiwe(t.app, future), 401, 'SIWE_NOT_YET_VALID');
  });

  it('a message changed after signing is refused, and its nonce stays usable: SIWE_SIGNATURE_INVALID', async () => {
    const wallet = newWallet();
    const attempt = await signedSiwe(t.app, wallet);
    const tampered = attempt.message.replace('Sign in to Harvest Battles', 'Sign in to Harvest Battles as admin');
    expect(tampered).not.toBe(attempt.message);
    expectError(await postSiwe(t.app, { ...attempt, message: tampered }), 401, 'SIWE_SIGNATURE_INVALID');
    expect((await postSiwe(t.app, attempt)).statusCode).toBe(200);
  });

  it('a message naming one address but signed by another is refused: SIWE_SIGNATURE_INVALID', async () => {
    const victim = newWallet();
    const attacker = newWallet();
    const { nonce, nonceSession } = await requestNonce(t.app);
    const message = siweMessage(victim.address, nonce);
    const response = await postSiwe(t.app, { message, signature: await attacker.signMessage({ message }), nonceSession });
    expectError(response, 401, 'SIWE_SIGNATURE_INVALID');
    expect(await database.db.wallet.count({ where: { address: victim.address.toLowerCase() } })).toBe(0);
  });

  it('a malformed message or signature is refused: SIWE_MESSAGE_INVALID / VALIDATION_FAILED', async () => {
    const wallet = newWallet();
    const attempt = await signedSiwe(t.app, wallet);
    expectError(await postSiwe(t.app, { ...attempt, message: `${attempt.message}\nAdmin: true` }), 422, 'SIWE_MESSAGE_INVALID');
    expectError(await postSiwe(t.app, { ...attempt, message: 'hello' }), 422, 'SIWE_MESSAGE_INVALID');
    expectError(await postSiwe(t.app, { ...attempt, signature: 'nope' as `0x${string}` }), 422, 'VALIDATION_FAILED');
  });
});

describe('rate limits on sign-in', () => {
  it('limits attempts per address and per IP, answering 429 RATE_LIMITED with Retry-After', async () => {
    const limited = await createTestApp(database.db, { env: { AUTH_RATE_LIMIT_PER_ADDRESS: '2', AUTH_RATE_LIMIT_PER_IP: '5' } });
    // Nonces come from other IPs here: the nonce route has its own per-IP budget.
    let n = 0;
    const attempt = (wallet: ReturnType<typeof newWallet>) => signedSiwe(limited.app, wallet, {}, `198.51.100.${++n}`);
    try {
      const wallet = newWallet();
      for (let i = 0; i < 2; i++) expect((await postSiwe(limited.app, await attempt(wallet))).statusCode).toBe(200);
      const refused = await postSiwe(limited.app, await attempt(wallet));
      const body = expectError(refused, 429, 'RATE_LIMITED');
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(body.error.details).toMatchObject({ retryAfterSeconds: retryAfter });

      // A refused attempt counts on no key: the IP has spent 2 of its 5; other addresses use the rest.
      const other = newWallet();
      for (let i = 0; i < 2; i++) expect((await postSiwe(limited.app, await attempt(other))).statusCode).toBe(200);
      expect((await postSiwe(limited.app, await attempt(newWallet()))).statusCode).toBe(200);
      expectError(await postSiwe(limited.app, await attempt(newWallet())), 429, 'RATE_LIMITED');
      // A different IP is not affected.
      expect((await postSiwe(limited.app, await attempt(newWallet()), { ip: '192.0.2.9' })).statusCode).toBe(200);
      // The nonce route is limited per IP too.
      for (let i = 0; i < 5; i++) await limited.app.inject({ method: 'POST', url: '/v1/auth/siwe/nonce', remoteAddress: '192.0.2.50' });
      const nonce = await limited.app.inject({ method: 'POST', url: '/v1/auth/siwe/nonce', remoteAddress: '192.0.2.50' });
      expectError(nonce, 429, 'RATE_LIMITED');
      expect(nonce.headers['retry-after']).toBeDefined();
    } finally {
      await limited.close();
    }
  });
});
