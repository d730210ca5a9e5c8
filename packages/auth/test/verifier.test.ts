import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { AppError } from '@harvest/shared/errors';
import type { JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AccessGrant, createTokenVerifier } from '../src/index.ts';
import {
  generateSigningKey,
  importSigningKey,
  openPrivateKey,
  parseKeyEncryptionKey,
  type SigningKey,
  sealPrivateKey,
  signAccessToken,
} from '../src/signing.ts';

const ISSUER = 'https://api.harvest.test';
const AUDIENCE = 'harvest';
const grant: AccessGrant = { sub: randomUUID(), sid: randomUUID(), roles: ['player', 'designer'], guest: false };

async function newKey(alg: 'EdDSA' | 'ES256' = 'EdDSA'): Promise<SigningKey> {
  const generated = await generateSigningKey(alg);
  return importSigningKey(generated.privateKeyPem, alg);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A loopback JWKS endpoint whose key list the test changes, counting requests. */
let server: Server;
let jwksUrl: string;
let published: JWK[] = [];
let requests = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    requests++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/.well-known/jwks.json`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests = 0;
});

async function expectCode(promise: Promise<unknown>, code: string, reason?: string): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.code).toBe(code);
  if (reason) expect(appError.details?.reason).toBe(reason);
  return appError;
}

describe('shared token verifier', () => {
  it('accepts a token from a published EdDSA key and returns its claims', async () => {
    const key = await newKey();
    published = [key.publicJwk];
    const verifier = createTokenVerifier({ jwks: { url: jwksUrl }, issuer: ISSUER, audience: AUDIENCE });
    const { token } = signAccessToken(key, grant, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900, now: Date.now() });
    const claims = await verifier.verify(token);
    expect(claims).toMatchObject({ sub: grant.sub, sid: grant.sid, roles: ['player', 'designer'], guest: false, iss: ISSUER });
    expect(claims.exp - claims.iat).toBe(900);
    await verifier.verify(token);
    expect(requests).toBe(1);
  });

  it('accepts ES256 tokens too', async () => {
    const key = await newKey('ES256');
    published = [key.publicJwk];
    const verifier = createTokenVerifier({ jwks: { url: jwksUrl }, issuer: ISSUER, audience: AUDIENCE });
    const { token } = signAccessToken(
      key,
      { ...grant, guest: true, roles: ['player'] },
      { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900, now: Date.now() },
    );
    expect((await verifier.verify(token)).guest).toBe(true);
  });

  it('refuses a token signed by an unknown key, fetching the set again at most once per cooldown', async () => {
    const known = await newKey();
    const stranger = await newKey();
    published = [known.publicJwk];
    const verifier = createTokenVerifier({ jwks: { url: jwksUrl }, issuer: ISSUER, audience: AUDIENCE, cooldownMs: 60_000 });
    const opts = { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900, now: Date.now() };
    await verifier.verify(signAccessToken(known, grant, opts).token);
    const forged = signAccessToken(stranger, grant, opts).token;
    await expectCode(verifier.verify(forged), 'TOKEN_INVALID', 'unknown_key');
    await expectCode(verifier.verify(forged), 'TOKEN_INVALID', 'unknown_key');
    // first load only: the unknown kid arrived inside the cooldown of the first fetch
    expect(requests).toBe(1);
  });

  it('refuses a token whose kid names a published key but whose signature is by another key', async () => {
    const known = await newKey();
    const stranger = await newKey();
    published = [known.publicJwk];
    const verifier = createTokenVerifier({ jwks: { url: jwksUrl }, issuer: ISSUER, audience: AUDIENCE });
    const impostor: SigningKey = { ...stranger, kid: known.kid };
    const { token } = signAccessToken(impostor, grant, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900, now: Date.now() });
    await expectCode(verifier.verify(token), 'TOKEN_INVALID', 'signature');
  });

  it('refuses alg none, HMAC with the public key as secret, and a missing kid', async () => {
    const key = await newKey();
    published = [key.publicJwk];
    const verifier = createTokenVerifier({ jwks: { url: jwksUrl }, issuer: ISSUER, audience: AUDIENCE });
    const now = Math.floor(Date.now() / 1000);
    const payload = b64({ ...grant, iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 900, jti: randomUUID() });
    await expectCode(verifier.verify(`${b64({ alg: 'none', kid: key.kid, typ: 'at+jwt' })}.${payload}.`), 'TOKEN_INVALID', 'algorithm');
    await expectCode(verifier.verify(`${b64({ alg: 'none', typ: 'at+jwt' })}.${payload}.`), 'TOKEN_INVALID', 'algorithm');
    const { createHmac } = await import('node:crypto');
    const header = b64({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' });
    const mac = createHmac('sha256', JSON.stringify(key.publicJwk)).update(`${header}.${payload}`).digest('base64url');
    await expectCode(verifier.verify(`${header}.${payload}.${mac}`), 'TOKEN_INVALID', 'algorithm');
    // A valid signature over a header without kid.
    const { sign } = await import('node:crypto');
    const noKid = b64({ alg: 'EdDSA', typ: 'at+jwt' });
    const sig = sign(null, Buffer.from(`${noKid}.${payload}`), key.privateKey).toString('base64url');
    await expectCode(verifier.verify(`${noKid}.${payload}.${sig}`), 'TOKEN_INVALID', 'missing_kid');
    await expectCode(verifier.verify('not-a-jwt'), 'TOKEN_INVALID', 'malformed');
  });

  it('refuses an expired token with TOKEN_EXPIRED (5 s of skew tolerated)', async () => {
    const key = await newKey();
    published = [key.publicJwk];
    const verifier = createTokenVerifier({ jwks: { url: jwksUrl }, issuer: ISSUER, audience: AUDIENCE });
    const issued = Date.now() - 910_000;
    const { token } = signAccessToken(key, grant, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900, now: issued });
    await expectCode(verifier.verify(token), 'TOKEN_EXPIRED');
    const justInside = signAccessToken(key, grant, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900, now: Date.now() - 903_000 });
    await expect(verifier.verify(justInside.token)).resolves.toMatchObject({ sub: grant.sub });
  });

  it('refuses a wrong issuer, a wrong audience and a tampered payload', async () => {
    const key = await newKey();
    published = [key.publicJwk];
    const verifier = createTokenVerifier({ jwks: { url: jwksUrl }, issuer: ISSUER, audience: AUDIENCE });
    const now = Date.now();
    const wrongIss = signAccessToken(key, grant, { issuer: 'https://evil.test', audience: AUDIENCE, ttlSeconds: 900, now }).token;
    await expectCode(verifier.verify(wrongIss), 'TOKEN_INVALID', 'claims');
    const wrongAud = signAccessToken(key, grant, { issuer: ISSUER, audience: 'marketplace-admin', ttlSeconds: 900, now }).token;
    await expectCode(verifier.verify(wrongAud), 'TOKEN_INVALID', 'claims');
    const good = signAccessToken(key, grant, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900, now }).token;
    const [h, p, s] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const escalated = b64({ ...claims, roles: ['player', 'admin'] });
    await expectCode(verifier.verify(`${h}.${escalated}.${s}`), 'TOKEN_INVALID', 'signature');
  });

  it('follows a key rotation: a new kid triggers one fetch, and the previous key keeps verifying while published', async () => {
    const oldKey = await newKey();
    const newer = await newKey('ES256');
    published = [oldKey.publicJwk];
    const verifier = createTokenVerifier({ jwks: { url: jwksUrl }, issuer: ISSUER, audience: AUDIENCE, cooldownMs: 0 });
    const opts = { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900, now: Date.now() };
    const oldToken = signAccessToken(oldKey, grant, opts).token;
    await verifier.verify(oldToken);
    published = [newer.publicJwk, oldKey.publicJwk];
    await verifier.verify(signAccessToken(newer, grant, opts).token);
    await verifier.verify(oldToken);
    expect(requests).toBe(2);
  });

  it('fetches again after maxAge and keeps a stale set when the issuer is down', async () => {
    const key = await newKey();
    published = [key.publicJwk];
    let clock = Date.now();
    const verifier = createTokenVerifier({
      jwks: { url: jwksUrl },
      issuer: ISSUER,
      audience: AUDIENCE,
      maxAgeMs: 60_000,
      now: () => clock,
    });
    const { token } = signAccessToken(key, grant, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900, now: clock });
    await verifier.verify(token);
    clock += 61_000;
    await verifier.verify(token);
    expect(requests).toBe(2);

    let up = true;
    const flaky = createTokenVerifier({
      jwks: {
        load: async () => {
          if (!up) throw new Error('connection refused');
          return { keys: [key.publicJwk] };
        },
      },
      issuer: ISSUER,
      audience: AUDIENCE,
      maxAgeMs: 1,
      now: () => clock,
    });
    await flaky.verify(token);
    up = false;
    clock += 10;
    await expect(flaky.verify(token)).resolves.toMatchObject({ sub: grant.sub });
    const cold = createTokenVerifier({ jwks: { load: async () => Promise.reject(new Error('down')) }, issuer: ISSUER, audience: AUDIENCE });
    await expectCode(cold.verify(token), 'SERVICE_UNAVAILABLE');
  });
});

describe('verified-token cache', () => {
  it('answers a repeated token without verifying its signature again, and refuses it once exp passes', async () => {
    const key = await newKey();
    let clock = Date.now();
    let imports = 0;
    const verifier = createTokenVerifier({
      jwks: {
        load: async () => {
          imports++;
          return { keys: [key.publicJwk] };
        },
      },
      issuer: ISSUER,
      audience: AUDIENCE,
      maxAgeMs: 3_600_000,
      now: () => clock,
    });
    const { token } = signAccessToken(key, grant, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900, now: clock });
    const first = await verifier.verify(token);
    const again = await verifier.verify(token);
    // The same frozen object: nothing was parsed again, and no caller can change what the next one reads.
    expect(again).toBe(first);
    expect(Object.isFrozen(again) && Object.isFrozen(again.roles)).toBe(true);
    expect(verifier.cachedTokens).toBe(1);
    // Inside the 5 s tolerance past exp: still accepted; one second later: expired, as a fresh verify would say.
    clock = (first.exp + 4) * 1000;
    await expect(verifier.verify(token)).resolves.toBe(first);
    clock = (first.exp + 5) * 1000;
    await expectCode(verifier.verify(token), 'TOKEN_EXPIRED');
    await expectCode(verifier.verify(token), 'TOKEN_EXPIRED');
    expect(imports).toBe(1);
  });

  it('stops accepting a remembered token when its key leaves the key set', async () => {
    const key = await newKey();
    const next = await newKey();
    let clock = Date.now();
    let keys = [key.publicJwk];
    const verifier = createTokenVerifier({
      jwks: { load: async () => ({ keys }) },
      issuer: ISSUER,
      audience: AUDIENCE,
      maxAgeMs: 60_000,
      cooldownMs: 60_000,
      now: () => clock,
    });
    const { token } = signAccessToken(key, grant, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900, now: clock });
    await verifier.verify(token);
    keys = [next.publicJwk];
    // Until the set is fetched again the key is still current (as without the cache)...
    await verifier.verify(token);
    // ...after maxAge the set is fetched again and the withdrawn key's tokens are refused.
    clock += 61_000;
    await expectCode(verifier.verify(token), 'TOKEN_INVALID', 'unknown_key');
  });

  it('keeps at most cacheSize tokens (least recently used go first) and remembers no refused token', async () => {
    const key = await newKey();
    published = [key.publicJwk];
    const verifier = createTokenVerifier({ jwks: { url: jwksUrl }, issuer: ISSUER, audience: AUDIENCE, cacheSize: 3 });
    const tokens = Array.from(
      { length: 5 },
      () => signAccessToken(key, grant, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900, now: Date.now() }).token,
    );
    for (const token of tokens) await verifier.verify(token);
    expect(verifier.cachedTokens).toBe(3);
    const [h, p, s] = (tokens[0] as string).split('.') as [string, string, string];
    const tampered = `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
    await expectCode(verifier.verify(tampered), 'TOKEN_INVALID');
    expect(verifier.cachedTokens).toBe(3);
    const none = createTokenVerifier({ jwks: { url: jwksUrl }, issuer: ISSUER, audience: AUDIENCE, cacheSize: 0 });
    await none.verify(tokens[0] as string);
    expect(none.cachedTokens).toBe(0);
  });
});

describe('signing keys at rest', () => {
  it('seals and opens a private key; another KEK or another kid cannot open it', async () => {
    const generated = await generateSigningKey('EdDSA');
    const kek = parseKeyEncryptionKey(Buffer.alloc(32, 7).toString('base64'));
    const sealed = sealPrivateKey(generated.privateKeyPem, kek, generated.kid);
    expect(sealed.toString('utf8')).not.toContain('PRIVATE KEY');
    expect(openPrivateKey(sealed, kek, generated.kid)).toBe(generated.privateKeyPem);
    expect(() => openPrivateKey(sealed, Buffer.alloc(32, 8), generated.kid)).toThrow();
    expect(() => openPrivateKey(sealed, kek, 'another-kid')).toThrow();
    expect(() => parseKeyEncryptionKey('c2hvcnQ=')).toThrow(/32 bytes/);
  });

  it('derives the kid from the key (RFC 7638 thumbprint) and refuses a key of the wrong curve', async () => {
    const generated = await generateSigningKey('ES256');
    const imported = await importSigningKey(generated.privateKeyPem, 'ES256');
    expect(imported.kid).toBe(generated.kid);
    expect(imported.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: generated.kid, use: 'sig' });
    expect(imported.publicJwk).not.toHaveProperty('d');
    await expect(importSigningKey(generated.privateKeyPem, 'EdDSA')).rejects.toThrow(/Ed25519/);
  });
});
