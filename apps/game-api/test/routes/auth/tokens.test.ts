import { createTokenVerifier } from '@harvest/auth';
import { generateSigningKey, importSigningKey, signAccessToken } from '@harvest/auth/signing';
import { ENDED_SESSION_KEPT_MS, pruneEndedSessions } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, expectError, newWallet, signIn, type TestApp } from '../../helpers.ts';

const database = useTestDatabase();
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp(database.db);
});
afterAll(async () => {
  await t?.close();
});

const refresh = (app: TestApp['app'], refreshToken: string) =>
  app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });
const me = (app: TestApp['app'], accessToken: string) => app.inject({ method: 'GET', url: '/v1/me', headers: bearer(accessToken) });

describe('refresh tokens', () => {
  it('rotate on every use: a new pair each time, the player and session kept, a user_login(refresh) event', async () => {
    const first = await signIn(t.app, newWallet());
    const response = await refresh(t.app, first.refreshToken);
    expect(response.statusCode).toBe(200);
    const second = response.json();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second).toMatchObject({ sessionId: first.sessionId, player: first.player });
    expect((await me(t.app, second.accessToken)).statusCode).toBe(200);
    const events = await database.db.outboxEvent.findMany({ where: { key: first.player.id, type: 'user_login' } });
    expect(events.map((e) => (e.payload as { method: string }).method).sort()).toEqual(['refresh', 'siwe']);
  });

  it('reuse of a spent refresh token revokes the whole family: REFRESH_TOKEN_REUSED, then SESSION_REVOKED everywhere', async () => {
    const wallet = newWallet();
    const stolen = await signIn(t.app, wallet);
    const otherSession = await signIn(t.app, wallet);
    const rotated = (await refresh(t.app, stolen.refreshToken)).json();

    expectError(await refresh(t.app, stolen.refreshToken), 401, 'REFRESH_TOKEN_REUSED');
    // The legitimate holder's newer token and access token die with the family.
    expectError(await refresh(t.app, rotated.refreshToken), 401, 'SESSION_REVOKED');
    expectError(await me(t.app, rotated.accessToken), 401, 'SESSION_REVOKED');
    expectError(await me(t.app, stolen.accessToken), 401, 'SESSION_REVOKED');
    const family = await database.db.refreshTokenFamily.findUniqueOrThrow({ where: { id: stolen.sessionId }, include: { tokens: true } });
    expect(family).toMatchObject({ revokedReason: 'reuse' });
    expect(family.tokens.every((token) => token.revoked)).toBe(true);
    // Another session of the same player is untouched.
    expect((await me(t.app, otherSession.accessToken)).statusCode).toBe(200);
    expect((await refresh(t.app, otherSession.refreshToken)).statusCode).toBe(200);
  });

  it('two concurrent refreshes with one token: exactly one wins, the other is a reuse', async () => {
    const session = await signIn(t.app, newWallet());
    const results = await Promise.all([refresh(t.app, session.refreshToken), refresh(t.app, session.refreshToken)]);
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 401]);
    expect(results.find((r) => r.statusCode === 401)?.json().error.code).toBe('REFRESH_TOKEN_REUSED');
  });

  it('an unknown refresh token is refused: REFRESH_TOKEN_INVALID', async () => {
    expectError(await refresh(t.app, 'x'.repeat(43)), 401, 'REFRESH_TOKEN_INVALID');
  });
});

describe('logout', () => {
  it('by access token revokes the family: its refresh and access tokens stop working', async () => {
    const session = await signIn(t.app, newWallet());
    const out = await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(session.accessToken) });
    expect(out.statusCode).toBe(204);
    expectError(await refresh(t.app, session.refreshToken), 401, 'SESSION_REVOKED');
    expectError(await me(t.app, session.accessToken), 401, 'SESSION_REVOKED');
    const family = await database.db.refreshTokenFamily.findUniqueOrThrow({ where: { id: session.sessionId } });
    expect(family.revokedReason).toBe('logout');
  });

  it('by refresh token works without an access token; with neither it is 401', async () => {
    const session = await signIn(t.app, newWallet());
    const out = await t.app.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: session.refreshToken } });
    expect(out.statusCode).toBe(204);
    expectError(await refresh(t.app, session.refreshToken), 401, 'SESSION_REVOKED');
    expectError(await t.app.inject({ method: 'POST', url: '/v1/auth/logout' }), 401, 'UNAUTHENTICATED');
  });
});

describe('access tokens and the shared verifier', () => {
  it('game-api refuses a missing, malformed or forged token', async () => {
    expectError(await t.app.inject({ method: 'GET', url: '/v1/me' }), 401, 'UNAUTHENTICATED');
    expectError(await me(t.app, 'not.a.jwt'), 401, 'TOKEN_INVALID');
    const stranger = await importSigningKey((await generateSigningKey('EdDSA')).privateKeyPem, 'EdDSA');
    const forged = signAccessToken(
      stranger,
      { sub: crypto.randomUUID(), sid: crypto.randomUUID(), roles: ['player', 'admin'], guest: false },
      { issuer: 'https://api.harvest.test', audience: 'harvest', ttlSeconds: 900, now: Date.now() },
    );
    const body = expectError(await me(t.app, forged.token), 401, 'TOKEN_INVALID');
    expect(body.error.details).toEqual({ reason: 'unknown_key' });
  });

  it('key rotation: old tokens stay valid until they expire, new tokens use the new key after its pre-publication', async () => {
    let clock = Date.now();
    const rotating = await createTestApp(database.db, { now: () => clock });
    await rotating.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = rotating.app.server.address() as { port: number };
      const verifier = createTokenVerifier({
        jwks: { url: `http://127.0.0.1:${port}/.well-known/jwks.json` },
        issuer: 'https://api.harvest.test',
        audience: 'harvest',
        cooldownMs: 0,
        now: () => clock,
      });
      const kid = (token: string) => JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid as string;
      const wallet = newWallet();
      const old = await signIn(rotating.app, wallet);
      const oldKid = kid(old.accessToken);
      expect(await verifier.verify(old.accessToken)).toMatchObject({
        sub: old.player.id,
        roles: ['player'],
        guest: false,
        sid: old.sessionId,
      });

      const newKid = await rotating.app.auth.keys.rotate();
      expect(newKid).not.toBe(oldKid);
      const published = (await rotating.app.inject({ method: 'GET', url: '/.well-known/jwks.json' }))
        .json()
        .keys.map((k: { kid: string }) => k.kid);
      expect(published.sort()).toEqual([oldKid, newKid].sort());
      // Pre-published: not signing yet.
      expect(kid((await signIn(rotating.app, wallet)).accessToken)).toBe(oldKid);

      clock += 3 * 60_000;
      const fresh = await signIn(rotating.app, wallet);
      expect(kid(fresh.accessToken)).toBe(newKid);
      await expect(verifier.verify(old.accessToken)).resolves.toMatchObject({ sub: old.player.id });
      await expect(verifier.verify(fresh.accessToken)).resolves.toMatchObject({ sub: old.player.id });
      expect((await me(rotating.app, old.accessToken)).statusCode).toBe(200);

      // The old token lives its 15 minutes and no longer.
      clock += 13 * 60_000;
      await expect(verifier.verify(old.accessToken)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
      expectError(await me(rotating.app, old.accessToken), 401, 'TOKEN_EXPIRED');
      await expect(verifier.verify(fresh.accessToken)).resolves.toMatchObject({ sub: old.player.id });

      // Once every token it signed has expired, the old key leaves the JWKS.
      clock += 10 * 60_000;
      rotating.app.auth.keys.invalidate();
      const later = (await rotating.app.inject({ method: 'GET', url: '/.well-known/jwks.json' }))
        .json()
        .keys.map((k: { kid: string }) => k.kid);
      expect(later).toEqual([newKid]);
    } finally {
      await rotating.close();
    }
  });

  it('the shared verifier, fed by the JWKS endpoint, refuses an unknown key, alg none and an expired token', async () => {
    let clock = Date.now();
    const served = await createTestApp(database.db, { now: () => clock });
    await served.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = served.app.server.address() as { port: number };
      const verifier = createTokenVerifier({
        jwks: { url: `http://127.0.0.1:${port}/.well-known/jwks.json` },
        issuer: 'https://api.harvest.test',
        audience: 'harvest',
        now: () => clock,
      });
      const session = await signIn(served.app, newWallet());
      const claims = await verifier.verify(session.accessToken);
      expect(claims.exp - claims.iat).toBe(15 * 60);

      const stranger = await importSigningKey((await generateSigningKey('ES256')).privateKeyPem, 'ES256');
      const unknown = signAccessToken(
        stranger,
        { sub: claims.sub, sid: claims.sid, roles: ['player', 'admin'], guest: false },
        {
          issuer: claims.iss,
          audience: 'harvest',
          ttlSeconds: 900,
          now: clock,
        },
      );
      await expect(verifier.verify(unknown.token)).rejects.toMatchObject({ code: 'TOKEN_INVALID', details: { reason: 'unknown_key' } });

      const [header, payload] = session.accessToken.split('.') as [string, string];
      const none = `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(header, 'base64url').toString()), alg: 'none' })).toString('base64url')}.${payload}.`;
      await expect(verifier.verify(none)).rejects.toMatchObject({ code: 'TOKEN_INVALID', details: { reason: 'algorithm' } });
      expectError(await me(served.app, none), 401, 'TOKEN_INVALID');

      clock += 16 * 60_000;
      await expect(verifier.verify(session.accessToken)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    } finally {
      await served.close();
    }
  });
});

describe('OpenAPI', () => {
  it('documents the identity routes with their schemas', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const paths = response.json().paths as Record<string, Record<string, unknown>>;
    for (const path of [
      '/.well-known/jwks.json',
      '/v1/auth/siwe/nonce',
      '/v1/auth/siwe/verify',
      '/v1/auth/guest',
      '/v1/auth/guest/session',
      '/v1/auth/refresh',
      '/v1/auth/logout',
      '/v1/me',
      '/v1/me/wallets',
      '/v1/me/wallets/{address}',
    ]) {
      expect(paths[path], path).toBeDefined();
    }
    expect(Object.keys(paths['/v1/me'] ?? {}).sort()).toEqual(['get', 'patch']);
  });
});

describe('session pruning', () => {
  it('deletes families that ended more than a week ago, with their tokens, and keeps live ones', async () => {
    const live = await signIn(t.app, newWallet());
    const ended = await signIn(t.app, newWallet());
    await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(ended.accessToken) });
    const later = new Date(Date.now() + ENDED_SESSION_KEPT_MS + 60_000);
    // The live session is still within its 30 days; the logged-out one ended more than a week before `later`.
    expect(await pruneEndedSessions(database.db, later)).toBeGreaterThanOrEqual(1);
    expect(await database.db.refreshTokenFamily.findUnique({ where: { id: ended.sessionId } })).toBeNull();
    expect(await database.db.refreshToken.count({ where: { familyId: ended.sessionId } })).toBe(0);
    expect(await database.db.refreshTokenFamily.findUnique({ where: { id: live.sessionId } })).not.toBeNull();
    expect((await refresh(t.app, live.refreshToken)).statusCode).toBe(200);
  });
});
