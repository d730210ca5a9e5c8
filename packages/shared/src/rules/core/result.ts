/**
 * The shape every rule shares: `apply(state, action, ctx) -> { ok: true, state, events } | { ok: false, violation }`.
 *
 * Rules never throw for a refused move: a violation is an expected answer (a client asked for something the rules
 * forbid), with a stable machine-readable code that transports map to their own error types.
 */

import type { Rng } from './rng.ts';

/** What a rule may use from the outside world: randomness and the server clock, both passed in. */
export interface RuleContext {
  /** The match's or the server's seeded generator; rules draw from it in a fixed order. */
  readonly rng: Rng;
  /** Server time in milliseconds since the Unix epoch; the only clock the rules know. */
  readonly now: number;
}

/** A refused action: `code` is stable (SCREAMING_SNAKE), `message` is for humans and logs. */
export interface Violation<C extends string = string> {
  readonly code: C;
  readonly message: string;
}

/** The outcome of applying an action: the next state and what happened, or a violation (state unchanged). */
export type RuleResult<S, E, C extends string = string> =
  | { readonly ok: true; readonly state: S; readonly events: E[] }
  | { readonly ok: false; readonly violation: Violation<C> };

/** Builds a refused result. */
export function violation<C extends string>(code: C, message: string): { ok: false; violation: Violation<C> } {
  return { ok: false, violation: { code, message } };
}
