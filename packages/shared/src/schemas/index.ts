/**
 * `@harvest/shared/schemas`: zod schemas for game data (designer files) and for the actions clients send.
 * Types come from `z.output`; the rules' own types are structurally compatible.
 */

export * from './actions.ts';
export * from './gamedata/cards.ts';
export * from './gamedata/common.ts';
export * from './gamedata/economy.ts';
export * from './gamedata/file.ts';
export * from './gamedata/land.ts';
export * from './gamedata/settings.ts';
