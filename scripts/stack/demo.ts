/**
 * The start command's demo (`npm start -- --demo`): two guest bots sign in at game-api, queue casual at the
 * instance server, are matched and play a match to its end at a watchable pace, through the public interfaces only.
 * Prints what happened; the stack keeps running.
 */
import { createBot } from '@harvest/bot';

/** Plays one bot match against a running stack; resolves with the lines to print. */
export async function runDemo(apiUrl: string, serverUrl: string): Promise<string[]> {
  const bots = [0, 1].map(() => createBot({ apiUrl, serverUrl, signIn: { kind: 'guest' }, thinkMs: 250 }));
  try {
    await Promise.all(bots.map((bot) => bot.signIn()));
    const found = await Promise.all(bots.map((bot) => bot.queue('casual', 30_000)));
    const started = Date.now();
    const [a, b] = await Promise.all(bots.map((bot, i) => bot.play(found[i] as NonNullable<(typeof found)[number]>, 300_000)));
    const winner = a?.result.winnerId;
    return [
      `demo: match ${a?.matchId} between two guest bots, ${(a?.actions ?? 0) + (b?.actions ?? 0)} actions in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      `demo: ${winner ? `winner ${winner} (${a?.result.reason})` : `draw (${a?.result.reason})`}; seed ${a?.result.seed} (commitment ${a?.result.seedCommitment})`,
    ];
  } finally {
    await Promise.all(bots.map((bot) => bot.close()));
  }
}
