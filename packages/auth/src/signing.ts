/**
 * The issuing side, used by game-api only: signing keys (generation, sealing at rest, import) and access-token
 * signing. Signing is a compact JWS built with node:crypto directly: one synchronous signature per login, no
 * WebCrypto round trip. Verification stays with jose (see verifier.ts).
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomUUID,
  sign,
} from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { ACCESS_TOKEN_TYPE, type AccessGrant, type AccessTokenAlgorithm } from './claims.ts';

/** A private signing key ready to sign, with the public half as published in the JWKS. */
export interface SigningKey {
  kid: string;
  alg: AccessTokenAlgorithm;
  privateKey: KeyObject;
  publicJwk: JWK;
}

/** A freshly generated key: the private half as PKCS#8 PEM (to be sealed before it is stored). */
export interface GeneratedSigningKey {
  kid: string;
  alg: AccessTokenAlgorithm;
  privateKeyPem: string;
  publicJwk: JWK;
}

async function publicJwkOf(privateKey: KeyObject, alg: AccessTokenAlgorithm): Promise<{ kid: string; publicJwk: JWK }> {
  const exported = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(exported, 'sha256');
  return { kid, publicJwk: { ...exported, kid, alg, use: 'sig' } };
}

function checkKeyType(privateKey: KeyObject, alg: AccessTokenAlgorithm): void {
  const ok =
    alg === 'EdDSA'
      ? privateKey.asymmetricKeyType === 'ed25519'
      : privateKey.asymmetricKeyType === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (!ok) throw new Error(`the private key is not a ${alg === 'EdDSA' ? 'Ed25519' : 'P-256'} key`);
}

/** A new key pair for `alg`; its `kid` is the RFC 7638 thumbprint of the public key. */
export async function generateSigningKey(alg: AccessTokenAlgorithm): Promise<GeneratedSigningKey> {
  const { privateKey } = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const { kid, publicJwk } = await publicJwkOf(privateKey, alg);
  return { kid, alg, publicJwk, privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

/** Imports a PKCS#8 PEM private key for `alg` (checking the curve) and derives its kid and public JWK. */
export async function importSigningKey(privateKeyPem: string, alg: AccessTokenAlgorithm): Promise<SigningKey> {
  const privateKey = createPrivateKey(privateKeyPem);
  checkKeyType(privateKey, alg);
  const { kid, publicJwk } = await publicJwkOf(privateKey, alg);
  return { kid, alg, privateKey, publicJwk };
}

/** Parses a key-encryption key: 32 bytes, given as base64 or base64url (e.g. `openssl rand -base64 32`). */
export function parseKeyEncryptionKey(value: string): Buffer {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== 32) throw new Error('the key-encryption key must be 32 bytes in base64');
  return bytes;
}

const SEAL_VERSION = 1;

/**
 * Encrypts a private key for storage: AES-256-GCM under the key-encryption key, with the kid as associated data
 * so a sealed key cannot be swapped onto another key's row. Layout: version(1) | iv(12) | tag(16) | ciphertext.
 */
export function sealPrivateKey(privateKeyPem: string, kek: Buffer, kid: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(kid));
  const ciphertext = Buffer.concat([cipher.update(privateKeyPem, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([SEAL_VERSION]), iv, cipher.getAuthTag(), ciphertext]);
}

/** Decrypts a key sealed by `sealPrivateKey`; throws when the key-encryption key or the kid is not the one used. */
export function openPrivateKey(sealed: Uint8Array, kek: Buffer, kid: string): string {
  const bytes = Buffer.from(sealed);
  if (bytes[0] !== SEAL_VERSION || bytes.length < 29) throw new Error('not a sealed private key');
  const decipher = createDecipheriv('aes-256-gcm', kek, bytes.subarray(1, 13));
  decipher.setAAD(Buffer.from(kid));
  decipher.setAuthTag(bytes.subarray(13, 29));
  return Buffer.concat([decipher.update(bytes.subarray(29)), decipher.final()]).toString('utf8');
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export interface SignOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
  /** Epoch milliseconds. */
  now: number;
}

/** A signed access token and when it expires. */
export interface SignedAccessToken {
  token: string;
  expiresAt: Date;
  jti: string;
}

/** Signs an access token for a grant (header: alg, kid, typ `at+jwt`). */
export function signAccessToken(key: SigningKey, grant: AccessGrant, options: SignOptions): SignedAccessToken {
  const iat = Math.floor(options.now / 1000);
  const exp = iat + options.ttlSeconds;
  const jti = randomUUID();
  const header = b64url(JSON.stringify({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYPE }));
  const payload = b64url(
    JSON.stringify({
      iss: options.issuer,
      aud: options.audience,
      sub: grant.sub,
      sid: grant.sid,
      roles: grant.roles,
      guest: grant.guest,
      iat,
      exp,
      jti,
    }),
  );
  const input = Buffer.from(`${header}.${payload}`);
  const signature =
    key.alg === 'EdDSA' ? sign(null, input, key.privateKey) : sign('sha256', input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return { token: `${header}.${payload}.${b64url(signature)}`, expiresAt: new Date(exp * 1000), jti };
}
