/**
 * The minter process: without a deployments file for its chain it stays up without workers, /readyz names the
 * missing contracts, and SIGTERM stops it with exit 0; a wrong variable stops it at once with one line naming it.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { useTestDatabase } from '@harvest/db/testing';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/chain.ts';
import { redisUrl, waitFor } from './support/minter.ts';

const database = useTestDatabase();
const SERVER = join(import.meta.dirname, '..', 'src', 'server.ts');

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('minter process', () => {
  it('stays up without contracts, reports them in /readyz, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const run = start({
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl(),
      MINTER_PORT: String(port),
      CHAIN_RPC_URL: 'http://127.0.0.1:9',
      DEPLOYMENTS_FILE: join(import.meta.dirname, 'no-such-deployments.json'),
      LOG_LEVEL: 'error',
    });
    try {
      const health = await waitFor(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
        return response?.ok ? response : undefined;
      }, 30_000);
      expect(health.status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { failed: Record<string, string> };
      expect(body.failed.contracts).toMatch(/no-such-deployments\.json/);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/minter_leader(\{[^}]*\})? 0/);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('refuses a wrong variable with one line naming it', async () => {
    const run = start({ DATABASE_URL: database.url, MINTER_PROVIDER: 'immutable', CHAIN_ID: '31337' });
    expect(await run.exited).toBe(1);
    expect(run.output().trim()).toBe('config error: IMMUTABLE_API_KEY: is required when MINTER_PROVIDER=immutable');
  });
});
