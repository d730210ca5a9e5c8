/**
 * `@harvest/shared/rules`: the pure game rules. Nothing here performs I/O, reads the environment, or uses
 * `Math.random` / `Date.now`; randomness and time arrive in a {@link RuleContext}.
 */

export * from './battle/ai.ts';
export * from './battle/engine.ts';
export * from './battle/legal.ts';
export * from './battle/replay.ts';
export * from './battle/types.ts';
export * from './battle/view.ts';
export * from './cards.ts';
export * from './core/fairness.ts';
export * from './core/result.ts';
export * from './core/rng.ts';
export * from './core/sha256.ts';
export * from './crafting/crafting.ts';
export * from './deck/deck.ts';
export * from './farming/farming.ts';
export * from './rating/glicko2.ts';
