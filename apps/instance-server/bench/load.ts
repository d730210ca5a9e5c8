/**
 * Load test of one instance-server process (issue #8): how many concurrent clients it holds in 2-player battles
 * with a p99 intent round trip under the limit (50 ms), and what a farm room costs each visitor in bytes per second.
 *
 * It starts everything it needs on this machine: a scratch database on the PostgreSQL of DATABASE_URL (a migrated
 * copy from @harvest/db/testing, dropped at the end) with the repository's game data, a real game-api on loopback
 * (sign-in, starter grant, decks; its sign-in limits raised for the bench only), and the instance server as a child
 * process (`src/server.ts`), so its CPU is read on its own from /proc/<pid>/stat. The battle bots run in --workers
 * worker threads of this process (bench/load-worker.ts; default 4), so that no single client event loop and its
 * garbage collector pauses thousands of connections at once (at 3,000 clients, 2 threads of 1,500 had major GC pauses
 * of 84-237 ms mean and up to 437 ms, which the round trips measured; 4 threads of 750: 14-83 ms mean, at most 121
 * ms, in this machine's runs), on the same cores as the server: the server's CPU% is
 * the figure that says how much of a core one process needs; the bench's own CPU% is printed beside it.
 *
 * Battles: guest bots (guests play casual) sign in, save a deck, join the hub and queue casual; the real matchmaker
 * pairs them, and each bot takes its seat and plays legal moves with the shared greedy AI, thinking a uniformly
 * drawn 1-3 s (--think-min/--think-max) before each intent; when a match ends the bot queues again, so the number
 * of clients stays put. Each bot added waits a uniformly drawn 0..--stagger-seconds before its first queue: bots
 * added together would otherwise start, and so end, their matches together, and the server would see waves of
 * hundreds of settlements and new matches a second that a live population (whose matches are at every stage at
 * once) does not produce; `--stagger-seconds 0` measures those waves. Each intent's round trip (request sent to answer received, the answer coming after the
 * state patch and after the action is stored in PostgreSQL) is recorded. The clients are added in steps; each step
 * waits until nearly all of them are seated (or --settle-seconds pass), then measures for --step-seconds. A client
 * is one player: a hub connection plus, in a match, a battle connection. Beside the round trips each step prints
 * the event-loop delay p99 of the server (from its /metrics) and of each bot thread, and the latency of a one-row
 * PostgreSQL commit timed every 100 ms, so a tail can be told apart: the room, the clients, or the disk.
 *
 * Farm: an owner and --farm-visitors friends (signed in with SIWE: guests visit no farm) in one farm room at
 * FARM_TICK_HZ=10 for --farm-seconds while the owner acts every --farm-action-seconds. Bytes are counted at each
 * visitor's WebSocket (payload of every frame received plus the frame header the server sent with it; TCP/IP
 * overhead not included), after the join's full state.
 *
 *   node bench/load.ts [--only battle|farm] [--steps 200,400,800] [--step-seconds 20] [--settle-seconds 90] [--stagger-seconds 120]
 *     [--think-min 1000] [--think-max 3000] [--limit-ms 50] [--keep-going] [--farm-visitors 100] [--farm-seconds 30]
 *     [--farm-action-seconds 3] [--sign-in-concurrency 16] [--workers 4] [--client-websocket ws|undici] [--pin] [--server-priority]
 *     [--server-cpu-prof <dir>]
 *     [--server-node-options="<node flags>"]
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Room } from '@colyseus/sdk';
import { createBot } from '@harvest/bot';
import { acceptFriend, requestFriend } from '@harvest/db';
import { createTestDatabase, type TestDatabase } from '@harvest/db/testing';
import { z } from 'zod';
import { CHAIN_ID, createTestApp, DOMAIN, URI } from '../../game-api/test/helpers.ts';
import { freePort, newPrefix, seedRepoGameData, startChild, testEnv } from '../test/helpers.ts';
import { retried, sleep } from './retry.ts';

const flagsSchema = z.object({
  only: z.enum(['battle', 'farm']).optional(),
  steps: z
    .string()
    .regex(/^\d+(,\d+)*$/)
    .transform((s) => s.split(',').map(Number))
    .default([200, 400, 800]),
  'step-seconds': z.coerce.number().positive().default(20),
  'settle-seconds': z.coerce.number().positive().default(90),
  'stagger-seconds': z.coerce.number().min(0).default(120),
  'think-min': z.coerce.number().int().min(0).default(1000),
  'think-max': z.coerce.number().int().min(0).default(3000),
  'limit-ms': z.coerce.number().positive().default(50),
  'keep-going': z.boolean().default(false),
  'farm-visitors': z.coerce.number().int().min(1).max(199).default(100),
  'farm-seconds': z.coerce.number().positive().default(30),
  'farm-action-seconds': z.coerce.number().positive().default(3),
  'sign-in-concurrency': z.coerce.number().int().min(1).default(16),
  workers: z.coerce.number().int().min(1).max(16).default(4),
  'client-websocket': z.enum(['ws', 'undici']).default('ws'),
  pin: z.boolean().default(false),
  'server-priority': z.boolean().default(false),
  'server-cpu-prof': z.string().min(1).optional(),
  'server-node-options': z.string().min(1).optional(),
});
const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    steps: { type: 'string' },
    'step-seconds': { type: 'string' },
    'settle-seconds': { type: 'string' },
    'stagger-seconds': { type: 'string' },
    'think-min': { type: 'string' },
    'think-max': { type: 'string' },
    'limit-ms': { type: 'string' },
    'keep-going': { type: 'boolean' },
    'farm-visitors': { type: 'string' },
    'farm-seconds': { type: 'string' },
    'farm-action-seconds': { type: 'string' },
    'sign-in-concurrency': { type: 'string' },
    workers: { type: 'string' },
    'client-websocket': { type: 'string' },
    pin: { type: 'boolean' },
    'server-priority': { type: 'boolean' },
    'server-cpu-prof': { type: 'string' },
    'server-node-options': { type: 'string' },
  },
});
const parsed = flagsSchema.safeParse(values);
if (!parsed.success) {
  process.stderr.write(`bad flags: ${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
  process.exit(2);
}
const flags = parsed.data;
if (flags['think-max'] < flags['think-min']) {
  process.stderr.write('bad flags: --think-max must be at least --think-min\n');
  process.exit(2);
}

/** Young-generation size of each bot thread (see where the threads start). */
const BOT_YOUNG_GENERATION_MB = 24;
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CLOCK_TICKS = 100;

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const print = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `--pin`: the server process (every thread) on the last core, this process (the game-api, the bot threads it
 * starts afterwards inherit it) on the others, as a server with its own vCPU and its clients elsewhere would run.
 * PostgreSQL and Redis are left to the scheduler.
 */
function pinToCores(serverPid: number, benchPid: number): void {
  const cores = availableParallelism();
  if (cores < 2) throw new Error('--pin needs at least 2 cores');
  const last = cores - 1;
  execFileSync('taskset', ['-a', '-p', '-c', String(last), String(serverPid)], { stdio: 'ignore' });
  execFileSync('taskset', ['-a', '-p', '-c', last === 1 ? '0' : `0-${last - 1}`, String(benchPid)], { stdio: 'ignore' });
  print(
    `pinned: the instance server on core ${last}, the bench (game-api, bot threads) on ${last === 1 ? 'core 0' : `cores 0-${last - 1}`}`,
  );
}

/**
 * `--server-priority`: every thread of the server process at real-time priority (SCHED_FIFO 10, with `chrt`; root
 * or CAP_SYS_NICE), so the bot threads that share its cores never keep it waiting, as clients on other machines
 * would not. The round trips are still measured at the bots: their own delays (and PostgreSQL's, at normal
 * priority) stay in the figures; the server's intent/store p99 then shows what the process alone takes.
 */
function prioritise(serverPid: number): void {
  try {
    execFileSync('chrt', ['-f', '-a', '-p', '10', String(serverPid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const detail = (error as { stderr?: Buffer }).stderr?.toString().trim() || String(error);
    throw new Error(`--server-priority: chrt failed (it needs util-linux and root or CAP_SYS_NICE): ${detail}`);
  }
  print('server priority: every thread of the instance server at SCHED_FIFO 10, above the bench');
}

/** Seconds of CPU (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The machine's CPU time so far, in clock ticks summed over its cores (the first line of /proc/stat). */
function machineTicks(): { busy: number; steal: number; total: number } {
  const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const [user, nice, system, idle, iowait, irq, softirq, steal] = first.trim().split(/\s+/).slice(1, 9).map(Number);
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0);
  return { busy, steal: steal ?? 0, total: busy + (idle ?? 0) + (iowait ?? 0) + (steal ?? 0) };
}

/**
 * CPU% (of one core) of the server and of this process over a window, and of the whole machine: busy (every
 * process) and stolen. Steal is time the hypervisor ran something else while this virtual machine had work for its
 * vCPUs: on a shared host it came and went between runs (0 to over 100% of a core here), and a step with much of
 * it measured the host, not the server, so it is printed beside the round trips.
 */
function cpuMeter(pid: number) {
  const wall = performance.now();
  const server = cpuSeconds(pid);
  const bench = process.cpuUsage();
  const machine = machineTicks();
  return () => {
    const seconds = (performance.now() - wall) / 1000;
    const mine = process.cpuUsage(bench);
    const now = machineTicks();
    const cores = (now.total - machine.total) / CLOCK_TICKS / seconds;
    const share = (ticks: number) => (ticks / Math.max(1, now.total - machine.total)) * cores * 100;
    return {
      server: ((cpuSeconds(pid) - server) / seconds) * 100,
      bench: ((mine.user + mine.system) / 1e6 / seconds) * 100,
      machineBusy: share(now.busy - machine.busy),
      steal: share(now.steal - machine.steal),
    };
  };
}

/** Cumulative bucket counts of a histogram on /metrics, by upper bound (s). */
type Buckets = Map<number, number>;

/**
 * The server's own view (from /metrics): the event-loop delay p99 and max (ms) since the previous scrape (prom-client's
 * default metrics keep a delay histogram that each scrape reads and resets), and the intent and transcript-store
 * histograms (cumulative: a step's p99 comes from the difference of two scrapes).
 */
async function serverMetrics(
  serverUrl: string,
): Promise<{ loop: number; loopMax: number; intent: Buckets; store: Buckets; gc: Map<string, { count: number; seconds: number }> }> {
  const text = await (await fetch(`${serverUrl}/metrics`)).text();
  const lines = text.split('\n');
  const seconds = (name: string) => {
    const line = lines.find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return line ? Number(line.split(' ').at(-1)) * 1000 : Number.NaN;
  };
  const buckets = (name: string): Buckets => {
    const out: Buckets = new Map();
    for (const l of lines) {
      // Lines look like name_bucket{le="0.05",app="instance-server"} 12 (the service adds an app label).
      const match = l.match(new RegExp(`^${name}_bucket\\{le="([^"]+)"[^}]*\\} (\\d+)`));
      if (match) out.set(match[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[1]), Number(match[2]));
    }
    return out;
  };
  // Garbage-collector pauses by kind (minor = scavenge, major = mark-compact...), cumulative.
  const gc = new Map<string, { count: number; seconds: number }>();
  for (const l of lines) {
    const match = l.match(/^nodejs_gc_duration_seconds_(sum|count)\{[^}]*kind="([a-z]+)"[^}]*\} ([\d.e+-]+)/);
    if (!match) continue;
    const entry = gc.get(match[2] as string) ?? { count: 0, seconds: 0 };
    if (match[1] === 'sum') entry.seconds = Number(match[3]);
    else entry.count = Number(match[3]);
    gc.set(match[2] as string, entry);
  }
  return {
    loop: seconds('nodejs_eventloop_lag_p99_seconds'),
    loopMax: seconds('nodejs_eventloop_lag_max_seconds'),
    intent: buckets('battle_intent_seconds'),
    store: buckets('battle_transcript_store_seconds'),
    gc,
  };
}

/** The server's GC pauses between two scrapes: count x mean ms per kind. */
function gcBetween(
  before: Map<string, { count: number; seconds: number }>,
  after: Map<string, { count: number; seconds: number }>,
): string {
  return ['minor', 'major', 'incremental']
    .map((kind) => {
      const a = after.get(kind) ?? { count: 0, seconds: 0 };
      const b = before.get(kind) ?? { count: 0, seconds: 0 };
      const count = a.count - b.count;
      return `${kind} ${count}x${count > 0 ? (((a.seconds - b.seconds) * 1000) / count).toFixed(1) : '0'}`;
    })
    .join(', ');
}

/** The p99 (ms) of what a histogram counted between two scrapes: the upper bound of the bucket that holds it. */
function bucketP99(before: Buckets, after: Buckets): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0);
  if (total <= 0) return Number.NaN;
  const bound = bounds.find((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0) >= total * 0.99);
  return (bound ?? Number.POSITIVE_INFINITY) * 1000;
}

/**
 * Times one-row INSERT commits (each waits for its WAL flush, as a battle intent's transcript row does) every 100 ms
 * until stopped: how much of the round-trip tail is the database's and the disk's, not the room's.
 */
function commitProbe(db: TestDatabase['db']): { stop(): Promise<number[]> } {
  const times: number[] = [];
  let running = true;
  const loop = (async () => {
    await db.$executeRawUnsafe('CREATE TABLE IF NOT EXISTS bench_commit_probe (at timestamptz NOT NULL DEFAULT now())');
    while (running) {
      const started = performance.now();
      await db.$executeRawUnsafe('INSERT INTO bench_commit_probe DEFAULT VALUES');
      times.push(performance.now() - started);
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return times.sort((a, b) => a - b);
    },
  };
}

/**
 * The round trips over the limit, and the most of them that began within any one second of the step, from when
 * (s into the step). A tail spread over the step is load; most of it in one second is a stall. At 3,000 clients here
 * that second held a major GC cycle of the server: 140-225 ms of incremental marking on its main thread and
 * 0.8-1.2 s of concurrent marking on the 2 cores the bots and PostgreSQL share (V8's --trace-gc-nvp), the event
 * loop blocked for up to 236 ms at a time, and most of the step's slow round trips (README).
 */
function worstSecond(samples: ReadonlyArray<{ roundTrips: number[]; sentAt: number[] }>, limitMs: number, stepStart: number) {
  const over = samples.flatMap((s) => s.sentAt.filter((_, i) => (s.roundTrips[i] as number) >= limitMs)).sort((a, b) => a - b);
  let worst = 0;
  let from = Number.NaN;
  for (let i = 0, j = 0; j < over.length; j++) {
    while ((over[j] as number) - (over[i] as number) >= 1000) i++;
    if (j - i + 1 > worst) {
      worst = j - i + 1;
      from = ((over[i] as number) - stepStart) / 1000;
    }
  }
  return { over: over.length, worst, from };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i] as T);
      }
    }),
  );
  return out;
}

/** Resolves once `check` holds, polling; false after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

interface Stack {
  db: TestDatabase;
  apiUrl: string;
  serverUrl: string;
  child: ChildProcess;
  close(): Promise<void>;
}

async function startStack(): Promise<Stack> {
  const db = await createTestDatabase({ serverUrl: SERVER_URL });
  await seedRepoGameData(db.db);
  // Sign-in limits are per IP and every bot signs in from 127.0.0.1: raised here, never in the defaults.
  const api = await createTestApp(db.db, {
    env: { AUTH_RATE_LIMIT_PER_IP: '10000000', AUTH_RATE_LIMIT_PER_ADDRESS: '10000000', AUTH_GUEST_CREATIONS_PER_HOUR: '10000000' },
  });
  const apiUrl = await api.app.listen({ host: '127.0.0.1', port: 0 });
  const port = await freePort();
  const env = testEnv({
    databaseUrl: db.url,
    jwks: `${apiUrl}/.well-known/jwks.json`,
    authRedisPrefix: api.redis.options.keyPrefix ?? '',
    prefix: newPrefix(),
    port,
    // The production clocks, not the tests' short ones: the heartbeat and the matchmaker cost what they cost.
    extra: {
      LOG_LEVEL: 'warn',
      MATCHMAKER_TICK_MS: '500',
      MATCH_HEARTBEAT_MS: '5000',
      MATCH_ABANDON_AFTER_MS: '30000',
      MATCH_SWEEP_INTERVAL_MS: '10000',
      FARM_TICK_HZ: '10',
    },
  });
  // A V8 CPU profile of the server, written to this folder when it exits (open in DevTools, or sum self time).
  // --server-node-options: Node/V8 flags for the server only (e.g. GC sizing), to compare in separate runs.
  const profile = flags['server-cpu-prof'];
  // They go on node's command line, not in NODE_OPTIONS, which refuses many V8 flags (e.g. --single-threaded-gc).
  const nodeArgs = [
    ...(flags['server-node-options']?.split(/\s+/).filter(Boolean) ?? []),
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
  ];
  const child = await startChild(env, port, nodeArgs);
  if (flags.pin) pinToCores(child.pid as number, process.pid);
  if (flags['server-priority']) prioritise(child.pid as number);
  return {
    db,
    apiUrl,
    serverUrl: `http://127.0.0.1:${port}`,
    child,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([once(child, 'exit'), sleep(20_000).then(() => child.kill('SIGKILL'))]);
      }
      await api.close();
      await db.drop();
    },
  };
}

/** A worker thread holding a share of the bots (bench/load-worker.ts), and what it last reported. */
interface BotWorker {
  worker: Worker;
  status: { players: number; playing: number; matches: number; refused: number; errors: number; lastError: string };
  next(type: 'added' | 'samples' | 'stopped'): Promise<Record<string, unknown>>;
}

function startBotWorker(stack: Stack): BotWorker {
  const worker = new Worker(new URL('./load-worker.ts', import.meta.url), {
    // A young generation of 24 MB (8 MB semi-spaces), as the server runs with (src/node-flags.ts): with V8's default
    // the bot threads' scavenges took 30-60 ms each (max 236 ms) at 3,000 clients, and every bot of the thread read its
    // answer that much later: the round-trip p99 measured the load generator's garbage collector.
    resourceLimits: { maxYoungGenerationSizeMb: BOT_YOUNG_GENERATION_MB },
    // @colyseus/sdk connects with the global WebSocket when there is one (Node's, from undici) and with the `ws`
    // package otherwise. Without the global in the bot threads it takes `ws`: the bots then cost less CPU and garbage
    // per message on the cores they share with the server (README). `--client-websocket undici` keeps Node's.
    ...(flags['client-websocket'] === 'ws' ? { execArgv: ['--no-experimental-websocket'] } : {}),
    workerData: {
      apiUrl: stack.apiUrl,
      serverUrl: stack.serverUrl,
      thinkMin: flags['think-min'],
      thinkSpan: flags['think-max'] - flags['think-min'],
      signInConcurrency: Math.max(1, Math.ceil(flags['sign-in-concurrency'] / flags.workers)),
      staggerMs: flags['stagger-seconds'] * 1000,
    },
  });
  const waiting = new Map<string, Array<(message: Record<string, unknown>) => void>>();
  const handle: BotWorker = {
    worker,
    status: { players: 0, playing: 0, matches: 0, refused: 0, errors: 0, lastError: '' },
    next(type) {
      return new Promise((resolve) => waiting.set(type, [...(waiting.get(type) ?? []), resolve]));
    },
  };
  worker.on('message', (message: Record<string, unknown> & { type: string }) => {
    if (message.type === 'status') handle.status = message as unknown as BotWorker['status'];
    else for (const resolve of waiting.get(message.type)?.splice(0) ?? []) resolve(message);
  });
  worker.on('error', (error) => print(`  bot worker failed: ${error.message}`));
  return handle;
}

async function battles(stack: Stack): Promise<void> {
  const pid = stack.child.pid as number;
  const workers = Array.from({ length: flags.workers }, () => startBotWorker(stack));
  const total = (key: 'players' | 'playing' | 'matches' | 'errors') => workers.reduce((n, w) => n + w.status[key], 0);

  print('');
  print(
    `battles: casual, guest bots in ${flags.workers} worker thread(s) (${flags['client-websocket']} WebSocket), think ${flags['think-min']}-${flags['think-max']} ms before each intent, first queue staggered over ${flags['stagger-seconds']} s, p99 limit ${flags['limit-ms']} ms`,
  );
  print(
    '| clients | in battle | signed in (s) | seated (s) | intents | p50 ms | p99 ms | max ms | server CPU % | server loop p99 ms | server intent/store p99 ms (bucket bound) | bench CPU % | machine busy/steal % | bot loops p99 ms | PG commit p50/p99 ms | matches | errors | load avg |',
  );
  print('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  // A step count holds only if every step measured at it kept the p99 under the limit (steps may repeat a count).
  const failed = new Set<number>();
  const passed = new Set<number>();
  let players = 0;
  try {
    for (const target of flags.steps) {
      const signInStarted = performance.now();
      const adding = Math.max(0, target - players);
      await Promise.all(
        workers.map((w, i) => {
          const share = Math.floor(adding / workers.length) + (i < adding % workers.length ? 1 : 0);
          const done = w.next('added');
          w.worker.postMessage({ type: 'add', count: share });
          return done;
        }),
      );
      players = target;
      const signInSeconds = (performance.now() - signInStarted) / 1000;
      const seatStarted = performance.now();
      await sleep(300);
      // Staggered bots are still joining for up to --stagger-seconds.
      await until(() => total('playing') >= target * 0.95, (flags['settle-seconds'] + flags['stagger-seconds']) * 1000);
      const seatSeconds = (performance.now() - seatStarted) / 1000;

      const matchesBefore = total('matches');
      const errorsBefore = total('errors');
      const meter = cpuMeter(pid);
      const serverBefore = await serverMetrics(stack.serverUrl);
      const probe = commitProbe(stack.db.db);
      const stepStart = Date.now();
      for (const w of workers) w.worker.postMessage({ type: 'measure', on: true });
      await sleep(flags['step-seconds'] * 1000);
      const samples = await Promise.all(
        workers.map((w) => {
          const done = w.next('samples');
          w.worker.postMessage({ type: 'measure', on: false });
          return done;
        }),
      );
      const commits = await probe.stop();
      const cpu = meter();
      const server = await serverMetrics(stack.serverUrl);
      const sorted = samples.flatMap((s) => s.roundTrips as number[]).sort((a, b) => a - b);
      const botLoops = samples.map((s) => (s.loopP99Ms as number).toFixed(0)).join('/');
      const p99 = percentile(sorted, 99);
      const lastError = workers.map((w) => w.status.lastError).find(Boolean);
      print(
        `| ${total('players')} | ${total('playing')} | ${signInSeconds.toFixed(1)} | ${seatSeconds.toFixed(1)} | ${sorted.length} | ${percentile(sorted, 50).toFixed(1)} | ${p99.toFixed(1)} | ${(sorted.at(-1) ?? Number.NaN).toFixed(1)} | ${cpu.server.toFixed(0)} | ${server.loop.toFixed(0)} | ≤${bucketP99(serverBefore.intent, server.intent)}/≤${bucketP99(serverBefore.store, server.store)} | ${cpu.bench.toFixed(0)} | ${cpu.machineBusy.toFixed(0)}/${cpu.steal.toFixed(0)} | ${botLoops} | ${percentile(commits, 50).toFixed(1)}/${percentile(commits, 99).toFixed(1)} | ${total('matches') - matchesBefore} | ${total('errors') - errorsBefore} | ${loadavg()} |`,
      );
      const botGc = samples.map((s) => {
        const pauses = s.gcPauses as Array<{ ms: number; major: boolean }>;
        const line = (major: boolean) => {
          const ms = pauses.filter((p) => p.major === major).map((p) => p.ms);
          const mean = ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length);
          return `${major ? 'major' : 'other'} ${ms.length}x${mean.toFixed(1)} (max ${Math.max(0, ...ms).toFixed(0)})`;
        };
        return `${line(false)}, ${line(true)}`;
      });
      print(
        `  server GC pauses in the step (count x mean ms): ${gcBetween(serverBefore.gc, server.gc)}; bot threads: ${botGc.join(' / ')}`,
      );
      const slow = worstSecond(samples as unknown as Array<{ roundTrips: number[]; sentAt: number[] }>, flags['limit-ms'], stepStart);
      print(
        `  round trips over ${flags['limit-ms']} ms: ${slow.over} (${((slow.over / Math.max(1, sorted.length)) * 100).toFixed(2)}%), ${slow.worst} of them begun within one second${slow.worst > 0 ? ` (from ${slow.from.toFixed(1)} s into the step)` : ''}; server event-loop delay max ${server.loopMax.toFixed(0)} ms`,
      );
      if (total('errors') > errorsBefore && lastError) print(`  last error: ${lastError}`);
      if (p99 < flags['limit-ms'] && sorted.length > 0) passed.add(target);
      else {
        failed.add(target);
        if (!flags['keep-going']) break;
      }
    }
  } finally {
    await Promise.all(
      workers.map(async (w) => {
        const done = w.next('stopped');
        w.worker.postMessage({ type: 'stop' });
        await Promise.race([done, sleep(60_000)]);
        await w.worker.terminate();
      }),
    );
  }
  const best = [...passed].filter((n) => !failed.has(n)).sort((a, b) => b - a)[0];
  const mixed = [...passed].filter((n) => failed.has(n)).sort((a, b) => a - b);
  if (mixed.length > 0) print(`p99 under ${flags['limit-ms']} ms in some steps but not all at: ${mixed.join(', ')} clients`);
  print(
    best === undefined
      ? `no client count kept p99 under ${flags['limit-ms']} ms in all its steps`
      : `highest client count with p99 < ${flags['limit-ms']} ms in every step: ${best} clients (${best / 2} battles) on one process`,
  );
}

function countBytes(room: Room): { bytes: number; frames: number } {
  const counter = { bytes: 0, frames: 0 };
  const ws = (room.connection.transport as unknown as { ws: WebSocket }).ws;
  ws.addEventListener('message', (event: MessageEvent) => {
    const size = (event.data as ArrayBuffer).byteLength ?? String(event.data).length;
    counter.bytes += size + (size < 126 ? 2 : size < 65_536 ? 4 : 10);
    counter.frames += 1;
  });
  return counter;
}

async function farm(stack: Stack): Promise<void> {
  const pid = stack.child.pid as number;
  const siwe = { kind: 'siwe' as const, domain: DOMAIN, uri: URI, chainId: CHAIN_ID };
  const signIn = () =>
    retried(async () => {
      const bot = createBot({ apiUrl: stack.apiUrl, serverUrl: stack.serverUrl, signIn: siwe });
      await bot.signIn();
      return bot;
    });
  const owner = await signIn();
  const visitors = await pool(
    Array.from({ length: flags['farm-visitors'] }, (_, i) => i),
    flags['sign-in-concurrency'],
    () => signIn(),
  );
  for (const v of visitors) {
    await requestFriend(stack.db.db, { playerId: v.playerId, otherId: owner.playerId });
    await acceptFriend(stack.db.db, { playerId: owner.playerId, otherId: v.playerId });
  }
  const ownerRoom = await owner.client.joinOrCreate('farm', { ownerId: owner.playerId });
  ownerRoom.onMessage('*', () => undefined);
  const seeds = ['wheat-seed', 'wheat-seed', 'wheat-seed', 'carrot-seed', 'carrot-seed', 'carrot-seed'];
  for (const [i, seed] of seeds.entries()) await ownerRoom.request('plant', { plotId: `starter-${i + 1}`, seed });
  const rooms = await pool(visitors, 20, async (v) => {
    const room = await v.client.joinOrCreate('farm', { ownerId: owner.playerId });
    room.onMessage('*', () => undefined);
    return room;
  });
  if (new Set(rooms.map((r) => r.roomId).concat(ownerRoom.roomId)).size !== 1) throw new Error('visitors landed in different rooms');
  await until(() => rooms.every((r) => (r.state as { visitors?: { length: number } }).visitors?.length === visitors.length + 1), 30_000);

  const counters = rooms.map(countBytes);
  const meter = cpuMeter(pid);
  const started = performance.now();
  let actions = 0;
  let refusedActions = 0;
  let plot = 0;
  while (performance.now() - started < flags['farm-seconds'] * 1000) {
    await sleep(flags['farm-action-seconds'] * 1000);
    // Clears a plot, next time plants it again: two visible changes per plot, round the farm.
    const plotId = `starter-${(Math.floor(plot / 2) % 6) + 1}`;
    const request = plot % 2 === 0 ? ownerRoom.request('clear', { plotId }) : ownerRoom.request('plant', { plotId, seed: 'wheat-seed' });
    await request.then(
      () => actions++,
      () => refusedActions++,
    );
    plot++;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = meter();
  const rates = counters.map((c) => c.bytes / seconds).sort((a, b) => a - b);
  const frames = counters.map((c) => c.frames / seconds).sort((a, b) => a - b);
  print('');
  print(`farm: ${visitors.length} visitors (friends) + the owner in one room, FARM_TICK_HZ=10, ${seconds.toFixed(0)} s`);
  print(
    '| visitors | owner actions | bytes/s per client p50 | min | max | frames/s per client p50 | server CPU % | bench CPU % | load avg |',
  );
  print('|---|---|---|---|---|---|---|---|---|');
  print(
    `| ${visitors.length} | ${actions} (${refusedActions} refused) | ${percentile(rates, 50).toFixed(0)} | ${(rates[0] ?? 0).toFixed(0)} | ${(rates.at(-1) ?? 0).toFixed(0)} | ${percentile(frames, 50).toFixed(1)} | ${cpu.server.toFixed(0)} | ${cpu.bench.toFixed(0)} | ${loadavg()} |`,
  );
  await pool([owner, ...visitors], 32, (b) => Promise.race([b.close(), sleep(5_000)]));
}

print(`instance-server load test, load average at start: ${loadavg()}`);
const stack = await startStack();
// A server with autovacuum off (this machine's system PostgreSQL has it off) keeps every dead row the battles leave
// (heartbeats, cards moving in and out of matches): each step is slower than the one before, and PostgreSQL took twice
// the CPU of a default server in the same run here. Production servers vacuum; say so when this one does not.
const [autovacuum] = await stack.db.db.$queryRaw<Array<{ on: boolean }>>`SELECT current_setting('autovacuum') = 'on' AS on`;
if (!autovacuum?.on) print('warning: PostgreSQL runs with autovacuum off; figures from it are not those of a server that vacuums');
let exitCode = 0;
const onSignal = () => {
  void stack.close().finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
try {
  if (flags.only !== 'battle') await farm(stack);
  if (flags.only !== 'farm') await battles(stack);
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exitCode = 1;
} finally {
  await stack.close();
}
print(`load average at end: ${loadavg()}`);
process.exit(exitCode);
