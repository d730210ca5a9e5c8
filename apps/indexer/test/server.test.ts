/**
 * The process: a wrong variable is named in one line; without a deployments file it stays up without a writer,
 * /readyz names the problem, /metrics serves the indexer's metrics, and SIGTERM exits 0.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { useTestDatabase } from '@harvest/db/testing';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/chain.ts';
import { waitFor } from './support/world.ts';

const SERVER = join(import.meta.dirname, '..', 'src', 'server.ts');

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exit, stderr: () => stderr };
}

describe('indexer process', () => {
  const database = useTestDatabase();

  it('names a wrong variable in one line and exits 1', async () => {
    const { exit, stderr } = run({ DATABASE_URL: database.url, CHAIN_ID: '5' });
    expect(await exit).toBe(1);
    expect(stderr().trim()).toMatch(/^config error: CHAIN_ID: is not a supported chain id/);
    expect(stderr().trim().split('\n')).toHaveLength(1);
  });

  it('stays up without contracts, reports them in /readyz, serves /metrics, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const chainPort = await freePort();
    const { child, exit } = run({
      DATABASE_URL: database.url,
      INDEXER_PORT: String(port),
      CHAIN_RPC_URL: `http://127.0.0.1:${chainPort}`,
      DEPLOYMENTS_FILE: join(import.meta.dirname, 'no-such-deployments.json'),
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor('/healthz', async () => (await fetch(`${base}/healthz`).catch(() => null))?.status === 200, 30_000, 50);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { failed: Record<string, string> };
    expect(Object.keys(body.failed).sort()).toEqual(['chain', 'contracts']);
    expect(body.failed.contracts).toMatch(/no-such-deployments\.json/);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of ['indexer_head_lag_blocks', 'indexer_reorgs_total', 'indexer_events_per_second']) expect(metrics).toContain(name);
    // No writer without contracts: this process is not the chain's writer.
    expect(metrics).toMatch(/^indexer_leader\{[^}]*\} 0$/m);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });
});
