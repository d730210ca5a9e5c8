import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runServer(env: Record<string, string>, untilMs = 15_000): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), untilMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

describe('game-api process: bad configuration exits non-zero with one line naming the variable', () => {
  it.each([
    ['DATABASE_URL', { DATABASE_URL: 'postgres//oops' }],
    ['CHAIN_ID', { DATABASE_URL: databaseUrl, CHAIN_ID: '424242' }],
    ['GAME_API_PORT', { DATABASE_URL: databaseUrl, GAME_API_PORT: 'eighty' }],
  ])('%s', async (variable, env) => {
    const exit = await runServer(env);
    expect(exit.code).toBe(1);
    const lines = exit.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^config error: ${variable}: `));
    expect(exit.stderr).not.toContain('    at ');
  });

  it('GAME_API_PORT already taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const exit = await runServer({ DATABASE_URL: databaseUrl, GAME_API_PORT: String(port) });
      expect(exit.code).toBe(1);
      expect(exit.stderr.trim()).toBe(`config error: GAME_API_PORT: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
    } finally {
      blocker.close();
    }
  });

  it('stops cleanly with exit 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [SERVER], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, GAME_API_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk;
        if (out.includes('Server listening')) resolve();
      });
    });
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', resolve);
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(out).toContain('"msg":"stopped"');
  });
});
