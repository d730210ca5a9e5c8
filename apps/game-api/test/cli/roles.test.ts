import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { useTestDatabase } from '@harvest/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createGuest, createTestApp, expectError, newWallet, signIn, type TestApp } from '../helpers.ts';

const CLI = fileURLToPath(new URL('../../src/cli/roles.ts', import.meta.url));
const database = useTestDatabase();
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp(database.db, {
    extend: (app) => {
      // Routes behind the guards, as designer and admin routes will use them.
      app.get('/test/designer', { preHandler: app.requireRole('designer') }, async () => ({ ok: true }));
      app.get('/test/admin', { preHandler: app.requireRole('admin') }, async () => ({ ok: true }));
      app.get('/test/full', { preHandler: app.requireFullAccount }, async () => ({ ok: true }));
    },
  });
});
afterAll(async () => {
  await t?.close();
});

function roles(args: string[], databaseUrl = database.url): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const get = (url: string, token: string) => t.app.inject({ method: 'GET', url, headers: bearer(token) });
const refreshed = async (refreshToken: string) =>
  (await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } })).json() as {
    accessToken: string;
    refreshToken: string;
    player: { roles: string[] };
  };

describe('roles CLI and role guards', () => {
  it('grants designer by player id and admin by wallet; the next token carries them and the guards let them through', async () => {
    const wallet = newWallet();
    const session = await signIn(t.app, wallet);
    expectError(await get('/test/designer', session.accessToken), 403, 'FORBIDDEN');
    expectError(await get('/test/admin', session.accessToken), 403, 'FORBIDDEN');

    const granted = await roles(['grant', 'designer', '--player', session.player.id]);
    expect(granted).toMatchObject({ code: 0, stdout: `${session.player.id} player,designer\n` });
    const byWallet = await roles(['grant', 'admin', '--wallet', wallet.address]);
    expect(byWallet).toMatchObject({ code: 0, stdout: `${session.player.id} player,designer,admin\n` });

    const next = await refreshed(session.refreshToken);
    expect(next.player.roles).toEqual(['player', 'designer', 'admin']);
    expect((await get('/test/designer', next.accessToken)).statusCode).toBe(200);
    expect((await get('/test/admin', next.accessToken)).statusCode).toBe(200);

    const revoked = await roles(['revoke', 'admin', '--player', session.player.id]);
    expect(revoked).toMatchObject({ code: 0, stdout: `${session.player.id} player,designer\n` });
    const after = await refreshed(next.refreshToken);
    expectError(await get('/test/admin', after.accessToken), 403, 'FORBIDDEN');
    expect((await get('/test/designer', after.accessToken)).statusCode).toBe(200);
    expect(await roles(['show', '--wallet', wallet.address.toLowerCase()])).toMatchObject({
      code: 0,
      stdout: `${session.player.id} player,designer\n`,
    });
  });

  it('guests pass player guards but not full-account guards; anonymous requests are 401', async () => {
    const guest = await createGuest(t.app);
    expectError(await get('/test/full', guest.accessToken), 403, 'GUEST_NOT_ALLOWED');
    expectError(await t.app.inject({ method: 'GET', url: '/test/full' }), 401, 'UNAUTHENTICATED');
    const full = await signIn(t.app, newWallet());
    expect((await get('/test/full', full.accessToken)).statusCode).toBe(200);
  });

  it('refuses unknown players (exit 1) and bad usage (exit 2) without changing anything', async () => {
    const missing = await roles(['grant', 'admin', '--player', crypto.randomUUID()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no player/);
    expect((await roles(['grant', 'player', '--player', crypto.randomUUID()])).code).toBe(2);
    expect((await roles(['grant', 'admin'])).code).toBe(2);
    expect((await roles(['grant', 'admin', '--wallet', '0x1234'])).code).toBe(2);
    expect((await roles(['promote', 'admin', '--player', crypto.randomUUID()])).code).toBe(2);
    const badEnv = await roles(['show', '--player', crypto.randomUUID()], 'mysql://nope');
    expect(badEnv).toMatchObject({ code: 1 });
    expect(badEnv.stderr).toMatch(/^config error: DATABASE_URL: /);
  });
});
