/** Output and loading helpers shared by the CLI's commands. */

import { readFileSync, statSync } from 'node:fs';
import { formatDiagnostic, type GameData, type GameDataRelease, loadGameData, verifyRelease } from '@harvest/shared/gamedata';
import { CliError } from './cli-error.ts';
import { readGameDataDir } from './files.ts';

/** Writes a line to stdout. */
export const out = (line = '') => process.stdout.write(`${line}\n`);
/** Writes a line to stderr. */
export const err = (line = '') => process.stderr.write(`${line}\n`);

/** Loads a game-data directory, printing its diagnostics to stderr; fails on errors. */
export function loadDir(dir: string): { data: GameData; warnings: string[] } {
  const result = loadGameData(readGameDataDir(dir));
  for (const d of result.diagnostics) err(formatDiagnostic(d));
  if (result.data === null) throw new CliError(`game data in ${dir} has errors`);
  return { data: result.data, warnings: result.diagnostics.filter((d) => d.severity === 'warning').map(formatDiagnostic) };
}

/** Loads game data from a directory of YAML, or from a release / snapshot JSON file (verified). */
export function loadAny(path: string): GameData {
  if (statSync(path).isDirectory()) return loadDir(path).data;
  const json = JSON.parse(readFileSync(path, 'utf8')) as Partial<GameDataRelease> & { content?: unknown };
  if (json.content === undefined || typeof json.contentHash !== 'string')
    throw new CliError(`${path} is not a release file (needs contentHash and content)`);
  const v = verifyRelease({ contentHash: json.contentHash, content: json.content });
  if (!v.ok) throw new CliError(`${path}: ${v.reason}`);
  return v.content;
}
