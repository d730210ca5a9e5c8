/** Shared fixtures for the tools tests: the repository's game data, loaded once. */

import { join } from 'node:path';
import { type GameData, loadGameData } from '@harvest/shared/gamedata';
import { readGameDataDir } from '../src/files.ts';

/** Repository root. */
export const ROOT = join(import.meta.dirname, '..', '..', '..');

/** The repository's game data. */
export function repoData(): GameData {
  const r = loadGameData(readGameDataDir(join(ROOT, 'gamedata')));
  if (r.data === null) throw new Error('repository game data has errors');
  return r.data;
}
