/**
 * `@harvest/shared/gamedata`: pure game-data loading (YAML text in, validated data and located diagnostics out),
 * cross-reference checks, the content hash, diffs, releases, and the glue that binds data to the rules.
 */

/** Merged, validated game data (defined with its schema in `@harvest/shared/schemas`). */
export type { GameData } from '../schemas/gamedata/file.ts';
export * from './balance.ts';
export * from './catalog.ts';
export * from './content.ts';
export * from './diagnostics.ts';
export * from './diff.ts';
export * from './load.ts';
export * from './locate.ts';
export * from './release.ts';
export * from './xref.ts';
