/**
 * What a match's settlement costs the process that runs it (the instance server, when a battle ends): the whole
 * settleMatch call, and the transcript replay inside it, which runs on the caller's event loop. Matches are played to
 * their end by the greedy AI on a throw-away database, then settled one at a time.
 *
 *   DATABASE_URL=postgres://… node scripts/run.mjs exec node packages/db/bench/settle.ts [--matches 40]
 *
 * Prints the medians and p90s in milliseconds, and the actions per match.
 */
import { parseArgs } from 'node:util';
import { getActiveGameData, seedGameData, settleMatch } from '@harvest/db';
import { createTestDatabase } from '@harvest/db/testing';
import { type BattleTranscript, replayBattle } from '@harvest/shared/rules';
import { repoGameData } from '../test/gamedata/helpers.ts';
import { newPlayer, playOut, rankedMatch } from '../test/matches/helpers.ts';

const { values } = parseArgs({ options: { matches: { type: 'string', default: '40' } } });
const count = Number(values.matches);
if (!Number.isInteger(count) || count < 1) throw new Error('--matches is a positive whole number');

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

const database = await createTestDatabase();
try {
  const { db } = database;
  await seedGameData(db, { content: repoGameData() });
  const content = await getActiveGameData(db);
  const matches: Array<{ id: string; actions: number }> = [];
  for (let i = 0; i < count; i++) {
    const [a, b] = [await newPlayer(db, content), await newPlayer(db, content)];
    const seed = (i + 1).toString(16).padStart(64, '0');
    const created = await rankedMatch(db, content, a, b, seed);
    matches.push({ id: created.matchId, actions: await playOut(db, created.matchId, seed) });
  }
  // Once untimed: connections, prepared statements, the JIT.
  const [first, ...rest] = matches;
  if (first) await settleMatch(db, first.id);
  const settle: number[] = [];
  const replay: number[] = [];
  for (const match of rest) {
    const started = performance.now();
    await settleMatch(db, match.id);
    settle.push(performance.now() - started);
    // The stored transcript: the same replay settleMatch ran, timed alone.
    const stored = await db.match.findUniqueOrThrow({ where: { id: match.id }, select: { transcript: true } });
    const transcript = stored.transcript as unknown as BattleTranscript;
    const replayed = performance.now();
    const result = replayBattle(transcript);
    replay.push(performance.now() - replayed);
    if (!result.ok) throw new Error(`match ${match.id} does not replay`);
  }
  const actions = rest.map((m) => m.actions);
  const line = (name: string, ms: number[]) =>
    `${name}: median ${percentile(ms, 50).toFixed(2)} ms, p90 ${percentile(ms, 90).toFixed(2)} ms`;
  process.stdout.write(
    `settlement of ${rest.length} ranked matches, one at a time (actions per match: median ${percentile(actions, 50)})\n`,
  );
  process.stdout.write(`${line('settleMatch', settle)}\n${line("  of which the replay (on the caller's event loop)", replay)}\n`);
} finally {
  await database.drop();
}
