/** The real process (server.ts): identity wiring end to end over HTTP, and its configuration errors. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTokenVerifier } from '@harvest/auth';
import { useTestDatabase } from '@harvest/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { redisUrl } from './helpers.ts';

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const database = useTestDatabase();
let child: ChildProcess | undefined;

afterEach(() => {
  child?.kill('SIGTERM');
  child = undefined;
});

function start(env: Record<string, string>): Promise<{ url: string } | { code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match?.[1]) resolve({ url: match[1] });
    });
    proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk));
    proc.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('game-api process: identity', () => {
  it('serves the JWKS and a guest sign-in whose token the shared verifier accepts', async () => {
    const started = await start({
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl(),
      GAME_API_PORT: '0',
      AUTH_ISSUER: 'https://api.harvest.test',
      AUTH_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
      OUTBOX_RELAY: 'off',
      LOG_LEVEL: 'info',
    });
    if (!('url' in started)) throw new Error(`server did not start: ${started.stderr}`);
    const guest = await fetch(`${started.url}/v1/auth/guest`, { method: 'POST' });
    expect(guest.status).toBe(201);
    const tokens = (await guest.json()) as { accessToken: string; player: { id: string } };
    const jwks = await fetch(`${started.url}/.well-known/jwks.json`);
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=60');
    const verifier = createTokenVerifier({
      jwks: { url: `${started.url}/.well-known/jwks.json` },
      issuer: 'https://api.harvest.test',
      audience: 'harvest',
    });
    expect(await verifier.verify(tokens.accessToken)).toMatchObject({ sub: tokens.player.id, guest: true, roles: ['player'] });
    const me = await fetch(`${started.url}/v1/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(me.status).toBe(200);
    const sealed = await database.db.signingKey.findMany();
    expect(sealed).toHaveLength(1);
    expect(Buffer.from(sealed[0]?.privateKeySealed ?? []).toString('latin1')).not.toContain('PRIVATE KEY');
  });

  it.each([
    [
      'production without a key-encryption key',
      { NODE_ENV: 'production' },
      /^config error: AUTH_KEY_ENCRYPTION_KEY: is required when NODE_ENV=production$/,
    ],
    [
      'a key-encryption key of the wrong size',
      { AUTH_KEY_ENCRYPTION_KEY: 'c2hvcnQ=' },
      /^config error: AUTH_KEY_ENCRYPTION_KEY: must be 32 bytes/,
    ],
    ['an unsupported SIWE chain id', { SIWE_CHAIN_IDS: '31337,424242' }, /^config error: SIWE_CHAIN_IDS: /],
    ['a SIWE URI that is not a URL', { SIWE_URIS: 'play.harvest.test' }, /^config error: SIWE_URIS: /],
    ['an unknown signing algorithm', { AUTH_SIGNING_ALG: 'HS256' }, /^config error: AUTH_SIGNING_ALG: /],
  ])('refuses %s with one line naming the variable', async (_what, env, line) => {
    const exit = await start({ DATABASE_URL: database.url, GAME_API_PORT: '0', ...env });
    expect('code' in exit && exit.code).toBe(1);
    const stderr = 'stderr' in exit ? exit.stderr.trim() : '';
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(line);
  });
});
