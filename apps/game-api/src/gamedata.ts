/** Game data the game-api serves from: read from the game-data directory at start-up and checked by the loader. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadGameData } from '@harvest/shared/gamedata';
import type { AvatarDefinition } from '@harvest/shared/schemas';

/** Reads every YAML file under `dir` and returns the avatars; throws with the first error diagnostics. */
export function loadAvatars(dir: string): AvatarDefinition[] {
  const files = readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path: relative(dir, path), text: readFileSync(path, 'utf8') };
    });
  const result = loadGameData(files);
  if (!result.data) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').slice(0, 3);
    throw new Error(`game data in ${dir} does not load: ${errors.map((d) => `${d.file}:${d.line} ${d.message}`).join('; ')}`);
  }
  return [...result.data.avatars];
}
