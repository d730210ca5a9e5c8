/**
 * A worker thread of the load test (bench/load.ts): it owns a share of the bots, so that no single client event loop
 * (and its garbage collector) holds thousands of connections and adds its own pauses to the round trips measured.
 * Messages in: `add` { count }, `measure` { on }, `stop`. Messages out: `status` every 250 ms { playing, players,
 * matches, refused, errors, lastError }, `added` once an `add` is done, `samples` { roundTrips, sentAt, loopP99Ms, gcPauses }
 * when a measurement ends (sentAt[i]: when round trip i began, ms since the epoch, so that the bench can tell a tail
 * spread over the step from one burst), `stopped`.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { type Bot, createBot } from '@harvest/bot';
import { retried, sleep } from './retry.ts';

interface Options {
  apiUrl: string;
  serverUrl: string;
  thinkMin: number;
  thinkSpan: number;
  signInConcurrency: number;
  /** A new bot waits a uniformly drawn 0..staggerMs before its first queue (bench/load.ts --stagger-seconds). */
  staggerMs: number;
}

type Incoming = { type: 'add'; count: number } | { type: 'measure'; on: boolean } | { type: 'stop' };

const options = workerData as Options;
const port = parentPort;
if (!port) throw new Error('load-worker runs as a worker thread of bench/load.ts');

const players: Array<{ bot: Bot; phase: 'queued' | 'playing' | 'stopped' }> = [];
const loops: Promise<void>[] = [];
const counters = { matches: 0, refused: 0, errors: 0, lastError: '' };
let roundTrips: number[] = [];
let sentAt: number[] = [];
let measuring = false;
let stopping = false;
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
// This thread's garbage-collector pauses while measuring: they delay the answers its bots read, as the server's do.
let gcPauses: Array<{ ms: number; major: boolean }> = [];
new PerformanceObserver((list) => {
  if (!measuring) return;
  for (const entry of list.getEntries()) {
    const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
    gcPauses.push({ ms: entry.duration, major: kind === constants.NODE_PERFORMANCE_GC_MAJOR });
  }
}).observe({ entryTypes: ['gc'] });

async function newPlayer(): Promise<void> {
  const bot = await retried(async () => {
    const created = createBot({
      apiUrl: options.apiUrl,
      serverUrl: options.serverUrl,
      signIn: { kind: 'guest' },
      // Read by the bot before each intent: a new draw every time.
      get thinkMs() {
        return options.thinkMin + Math.random() * options.thinkSpan;
      },
      onRoundTrip: (ms) => {
        if (measuring) {
          roundTrips.push(ms);
          sentAt.push(Date.now() - ms);
        }
      },
    });
    await created.signIn();
    await created.ensureDeck();
    await created.joinHub();
    return created;
  });
  const player = { bot, phase: 'queued' as 'queued' | 'playing' | 'stopped' };
  players.push(player);
  loops.push(
    (async () => {
      await sleep(Math.random() * options.staggerMs);
      while (!stopping) {
        try {
          player.phase = 'queued';
          const found = await player.bot.queue('casual', 300_000);
          player.phase = 'playing';
          const match = await player.bot.play(found, 1_800_000);
          counters.matches += 1;
          counters.refused += match.refused;
        } catch (error) {
          if (stopping) break;
          counters.errors += 1;
          counters.lastError = error instanceof Error ? error.message : String(error);
          await sleep(1_000);
        }
      }
      player.phase = 'stopped';
    })(),
  );
}

async function add(count: number): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(count, options.signInConcurrency) }, async () => {
    while (next < count) {
      next += 1;
      await newPlayer();
    }
  });
  await Promise.all(lanes);
}

const status = setInterval(() => {
  port.postMessage({
    type: 'status',
    players: players.length,
    playing: players.filter((p) => p.phase === 'playing').length,
    ...counters,
  });
}, 250);

port.on('message', (message: Incoming) => {
  if (message.type === 'add') {
    void add(message.count).then(
      () => port.postMessage({ type: 'added' }),
      (error: unknown) => port.postMessage({ type: 'added', error: error instanceof Error ? error.message : String(error) }),
    );
  } else if (message.type === 'measure') {
    if (message.on) {
      roundTrips = [];
      sentAt = [];
      gcPauses = [];
      loop.reset();
      measuring = true;
    } else {
      measuring = false;
      port.postMessage({ type: 'samples', roundTrips, sentAt, loopP99Ms: loop.percentile(99) / 1e6, gcPauses });
    }
  } else {
    stopping = true;
    clearInterval(status);
    void (async () => {
      let i = 0;
      const lanes = Array.from({ length: 32 }, async () => {
        while (i < players.length) {
          const player = players[i++];
          if (player) await Promise.race([player.bot.close(), sleep(5_000)]);
        }
      });
      await Promise.all(lanes);
      await Promise.race([Promise.all(loops), sleep(10_000)]);
      port.postMessage({ type: 'stopped' });
    })();
  }
});
