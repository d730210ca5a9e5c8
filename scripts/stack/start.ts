// `npm start`: the whole stack on one machine. Brings up PostgreSQL, Redis and a local chain (each replaced by an
// external service when its URL is set), applies migrations, seeds game data, deploys the contracts, starts every
// app, waits for their /healthz and prints the URLs. SIGINT or SIGTERM stops everything it started, in reverse.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { NODE_FLAGS as INSTANCE_NODE_FLAGS } from '../../apps/instance-server/src/node-flags.ts';
import { type ChainHandle, deployContracts, ensureChain } from './chain.ts';
import { type Infra, migrate, ROOT, readStackEnv, startInfra } from './infra.ts';
import { dieWith, StackError, say } from './log.ts';

interface AppSpec {
  name: string;
  portVariable: string;
  defaultPort: number;
  /** V8 flags the app's process starts with. */
  nodeFlags?: readonly string[];
}

const APPS: AppSpec[] = [
  { name: 'game-api', portVariable: 'GAME_API_PORT', defaultPort: 3000 },
  { name: 'instance-server', portVariable: 'INSTANCE_SERVER_PORT', defaultPort: 2567, nodeFlags: INSTANCE_NODE_FLAGS },
  { name: 'marketplace', portVariable: 'MARKETPLACE_PORT', defaultPort: 3100 },
  { name: 'minter', portVariable: 'MINTER_PORT', defaultPort: 3200 },
  { name: 'indexer', portVariable: 'INDEXER_PORT', defaultPort: 3300 },
];

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Turns a pino JSON line into `name level msg key=value` for a person at a terminal. */
function formatLogLine(name: string, line: string): string {
  try {
    const {
      level,
      time: _time,
      msg,
      app: _app,
      name: _name,
      pid: _pid,
      hostname: _host,
      ...rest
    } = JSON.parse(line) as Record<string, unknown>;
    const extra = Object.entries(rest)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    return `${name.padEnd(15)} ${(LEVELS[Number(level)] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${extra ? ` ${extra}` : ''}`;
  } catch {
    return `${name.padEnd(15)} ${line}`;
  }
}

function startApp(spec: AppSpec, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [...(spec.nodeFlags ?? []), join(ROOT, 'apps', spec.name, 'src', 'server.ts')], {
    cwd: join(ROOT, 'apps', spec.name),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${formatLogLine(spec.name, line)}\n`));
  }
  return child;
}

/** Newest modification time under a folder (skipping build output), to tell whether a build is stale. */
function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path)
    .filter((name) => name !== 'dist' && name !== 'node_modules')
    .reduce((newest, name) => Math.max(newest, newestMtime(join(path, name))), stat.mtimeMs);
}

/** Builds the marketplace's web front end (Vite, about 2 s) when its output is missing or older than its sources. */
function buildMarketplaceWeb(): void {
  const web = join(ROOT, 'apps', 'marketplace', 'web');
  if (!existsSync(web)) return;
  const built = join(web, 'dist', 'index.html');
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(web)) return;
  say('building the marketplace web app');
  const result = spawnSync('npm', ['run', 'build', '-w', '@harvest/marketplace', '--silent'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) throw new StackError('MARKETPLACE_PORT', `building the marketplace web app failed (exit ${result.status})`);
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(500) });
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const env = readStackEnv();
  let infra: Infra | undefined;
  let chain: ChainHandle | undefined;
  const children = new Map<string, ChildProcess>();
  let stopping = false;

  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping');
    await Promise.all([...children.values()].map((child) => stopChild(child, 10_000)));
    await chain?.stop();
    await infra?.stop();
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGHUP', () => void shutdown(0));

  try {
    infra = await startInfra(env, 'dev');
    migrate(infra.postgres.url);
    const seed = join(ROOT, 'prisma', 'seed.ts');
    if (existsSync(seed)) {
      say('seeding game data');
      const result = spawnSync(process.execPath, [seed], {
        cwd: ROOT,
        stdio: 'inherit',
        env: { ...process.env, DATABASE_URL: infra.postgres.url },
      });
      if (result.status !== 0) throw new StackError('DATABASE_URL', `seeding failed (exit ${result.status})`);
    }
    buildMarketplaceWeb();
    chain = await ensureChain(ROOT, env.CHAIN_RPC_URL, env.CHAIN_ID, env.CHAIN_RPC_PORT);
    if (chain.owned || !env.CHAIN_RPC_URL) {
      if (deployContracts(ROOT, chain.rpcUrl)) say('contracts deployed');
    }
  } catch (error) {
    await chain?.stop();
    await infra?.stop();
    dieWith(error);
  }

  const appEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: infra.postgres.url,
    REDIS_URL: infra.redis.url,
    CHAIN_RPC_URL: chain.rpcUrl,
    CHAIN_ID: String(chain.chainId),
  };
  for (const spec of APPS) {
    const child = startApp(spec, appEnv);
    children.set(spec.name, child);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      say(`${spec.name} exited (${signal ?? `code ${code}`}); stopping the stack`);
      void shutdown(1);
    });
  }
  const urls = APPS.map((spec) => ({ spec, url: `http://127.0.0.1:${process.env[spec.portVariable] ?? spec.defaultPort}` }));
  const health = await Promise.all(
    urls.map(({ spec, url }) => waitHealthy(`${url}/healthz`, children.get(spec.name) as ChildProcess, 60_000)),
  );
  if (stopping) return;
  if (health.some((ok) => !ok)) {
    say(
      `not healthy: ${urls
        .filter((_, i) => !health[i])
        .map(({ spec }) => spec.name)
        .join(', ')}`,
    );
    return shutdown(1);
  }
  const lines = [
    `Harvest Battles is up in ${((Date.now() - started) / 1000).toFixed(1)} s:`,
    ...urls.map(({ spec, url }) => `  ${spec.name.padEnd(16)} ${url}  (${url}/healthz)`),
    `  postgres         ${infra.postgres.url}`,
    `  redis            ${infra.redis.url}`,
    `  chain            ${chain.rpcUrl} (chain id ${chain.chainId})`,
    'Ctrl-C stops everything.',
  ];
  for (const line of lines) say(line);
  if (process.argv.includes('--demo')) {
    const url = (name: string) => urls.find(({ spec }) => spec.name === name)?.url ?? '';
    say('demo: two bots sign in, queue and play a match');
    try {
      const { runDemo } = await import('./demo.ts');
      for (const line of await runDemo(url('game-api'), url('instance-server'))) say(line);
    } catch (error) {
      say(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

main().catch(dieWith);
