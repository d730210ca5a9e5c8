/**
 * The apps an end-to-end test runs as real child processes (game-api, marketplace), the built web front end, and
 * Debian's Chromium (installed with apt when missing, like the start command installs redis-server; a machine where
 * that is impossible fails the test with the reason, it never skips).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './chain.ts';
import { waitFor } from './world.ts';

/** A child process serving HTTP on a port. */
export interface AppProcess {
  url: string;
  stop(): Promise<void>;
  /** The last lines it wrote to stderr (for failure messages). */
  output(): string;
}

/** Starts `node <script>` with `env` and waits until `<url>/healthz` answers. */
export async function startApp(name: string, script: string, url: string, env: Record<string, string>): Promise<AppProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(REPO, script)], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-6000);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitFor(
      `${name} to answer /healthz`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr}`);
        return fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
      },
      60_000,
      100,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop, output: () => stderr };
}

const WEB = join(REPO, 'apps', 'marketplace', 'web');

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Builds the web front end (`npm run build -w @harvest/marketplace`) when dist is missing or older than its sources. */
export function ensureWebBuilt(): string {
  const dist = join(WEB, 'dist');
  const index = join(dist, 'index.html');
  const sources = Math.max(newestMtime(join(WEB, 'src')), newestMtime(join(WEB, 'index.html')), newestMtime(join(WEB, 'vite.config.ts')));
  if (!existsSync(index) || statSync(index).mtimeMs < sources) {
    const vite = join(REPO, 'node_modules', '.bin', 'vite');
    const result = spawnSync(process.execPath, [vite, 'build', '--config', join(WEB, 'vite.config.ts')], { cwd: REPO, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`the web front end did not build:\n${result.stdout}\n${result.stderr}`);
  }
  return dist;
}

export const CHROMIUM = '/usr/bin/chromium';

/** Debian's Chromium, installed with apt-get when it is missing (as root); throws with the reason when it cannot be. */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (process.getuid?.() !== 0 || !hasApt) {
    throw new Error(`${CHROMIUM} is missing and cannot be installed here (needs root and apt-get): sudo apt-get install chromium`);
  }
  process.stderr.write('[marketplace e2e] chromium is not installed; installing it with apt-get (Debian package chromium)\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const result = spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
  if (result.status !== 0 || !existsSync(CHROMIUM)) throw new Error(`apt-get install chromium failed (exit ${result.status})`);
  return CHROMIUM;
}

/** The Chromium flags that work here as root (TOOLCHAIN.md). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
