/**
 * The realtime server keeps Node's own handling of a failure nobody handled: the process ends. @colyseus/core loads
 * PM2's agent (@pm2/io), which logs such rejections and keeps the process running; startRealtime stops the agent.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { newPrefix } from './helpers.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/unhandled-rejection.ts', import.meta.url));

it('a rejection nobody handles ends the process with code 1, as Node does without an agent', async () => {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, FIXTURE_REDIS_PREFIX: newPrefix() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code, signal] = await exited;
  clearTimeout(timer);
  expect(stdout).toContain('listening');
  expect({ code, signal }).toEqual({ code: 1, signal: null });
  expect(stderr).toContain('left unhandled on purpose');
});
