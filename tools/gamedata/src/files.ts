/** File-system side of the CLI: find the repository and read `gamedata/`. */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { SourceFile } from '@harvest/shared/gamedata';

/** The repository root: the nearest ancestor of `from` with a `gamedata/` directory and a `package.json`. */
export function findRepoRoot(from: string = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'gamedata')) && existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(import.meta.dirname, '..', '..', '..');
    dir = up;
  }
}

/**
 * Every `*.yaml` / `*.yml` file under `dir`, sorted, with paths relative to `base` so diagnostics read
 * `gamedata/cards/sun.yaml:12:5`.
 */
export function readGameDataDir(dir: string, base: string = dirname(resolve(dir))): SourceFile[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort()
    .map((p) => ({ path: relative(base, p), text: readFileSync(p, 'utf8') }));
}
