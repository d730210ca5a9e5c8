/**
 * Transcripts and replay: the stored record of a match from which anyone can recompute its result.
 */

import { verifySeedCommitment } from '../core/fairness.ts';
import type { Violation } from '../core/result.ts';
import { createRngFromSeed } from '../core/rng.ts';
import { applyBattle, createBattle } from './engine.ts';
import type { BattleAction, BattleEvent, BattleOutcome, BattleSetup, BattleState, BattleViolationCode } from './types.ts';

/** An accepted action and the server time at which it was applied. */
export interface TranscriptEntry {
  readonly at: number;
  readonly action: BattleAction;
}

/**
 * A match transcript: setup (decks as instances, the card definitions and tunables used), the revealed seed, the
 * start time and every accepted action in order. Refused actions are not recorded (they change nothing and draw no
 * randomness). The RNG is created from `seed` with `createRngFromSeed` and used by the engine only.
 */
export interface BattleTranscript {
  readonly v: 1;
  readonly seed: string;
  readonly startedAt: number;
  readonly setup: BattleSetup;
  readonly actions: readonly TranscriptEntry[];
}

/** Replay output: the final state, every event, and the outcome (null if the transcript stops mid-match). */
export type ReplayResult =
  | { readonly ok: true; readonly state: BattleState; readonly events: BattleEvent[]; readonly outcome: BattleOutcome | null }
  | { readonly ok: false; readonly index: number; readonly violation: Violation<BattleViolationCode> };

/**
 * Re-runs a transcript with the pure engine. `index` in a failure is the offending action (-1: the setup).
 * @throws RangeError when the seed is not a valid match seed.
 */
export function replayBattle(transcript: BattleTranscript): ReplayResult {
  const rng = createRngFromSeed(transcript.seed);
  const started = createBattle(transcript.setup, { rng, now: transcript.startedAt });
  if (!started.ok) return { ok: false, index: -1, violation: started.violation };
  let state = started.state;
  const events = started.events.slice();
  for (let i = 0; i < transcript.actions.length; i++) {
    const entry = transcript.actions[i] as TranscriptEntry;
    const step = applyBattle(state, entry.action, { rng, now: entry.at });
    if (!step.ok) return { ok: false, index: i, violation: step.violation };
    state = step.state;
    for (const e of step.events) events.push(e);
  }
  return { ok: true, state, events, outcome: state.outcome };
}

/**
 * Checks a finished match as an outside verifier would: the revealed seed matches the commitment published at the
 * start, the transcript replays without a refused action, and it ends with the claimed outcome.
 */
export function verifyTranscript(
  transcript: BattleTranscript,
  commitment: string,
  claimed: BattleOutcome,
): { readonly ok: true } | { readonly ok: false; readonly reason: string } {
  if (!verifySeedCommitment(transcript.seed, commitment)) return { ok: false, reason: 'seed does not match the commitment' };
  const replay = replayBattle(transcript);
  if (!replay.ok) return { ok: false, reason: `action ${replay.index} was refused: ${replay.violation.code}` };
  const o = replay.outcome;
  if (o === null) return { ok: false, reason: 'the transcript does not finish the match' };
  if (o.winner !== claimed.winner || o.reason !== claimed.reason || o.turn !== claimed.turn) {
    return { ok: false, reason: `replay ends ${JSON.stringify(o)}, claimed ${JSON.stringify(claimed)}` };
  }
  return { ok: true };
}
