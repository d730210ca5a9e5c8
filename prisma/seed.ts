/**
 * Seeds the game data: publishes the repository's `gamedata/` as version 1 when the database has no game-data
 * version yet, and does nothing otherwise (designers may have published or rolled back since; the seed never
 * touches a history). `npm start` runs it after the migrations on every start:
 *
 *   DATABASE_URL=postgres://… node prisma/seed.ts [--dir gamedata]
 *
 * Safe to run concurrently: `seedGameData` checks and publishes under the game-data publish lock, so two seeds
 * racing on an empty database publish once. Exit codes: 0 seeded or nothing to do, 1 the game data has errors or the
 * publish failed, 2 DATABASE_URL is missing.
 *
 * (`@harvest/db` and `@harvest/gamedata-tools` are not declared in prisma/package.json: `@harvest/db` depends on
 * this workspace for its migrations, and declaring the reverse would make a workspace cycle. Both resolve through
 * the workspace links in node_modules.)
 */
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createDb, seedGameData } from '@harvest/db';
import { readGameDataDir } from '@harvest/gamedata-tools/files';
import { isAppError } from '@harvest/shared/errors';
import { formatDiagnostic, loadGameData } from '@harvest/shared/gamedata';

const say = (line: string) => process.stdout.write(`seed: ${line}\n`);
const fail = (line: string, code: number): never => {
  process.stderr.write(`seed: ${line}\n`);
  process.exit(code);
};

const { values } = parseArgs({ args: process.argv.slice(2), options: { dir: { type: 'string' } } });
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) fail('DATABASE_URL is required', 2);
const dir = resolve(values.dir ?? join(import.meta.dirname, '..', 'gamedata'));

const db = createDb({ databaseUrl: databaseUrl as string, maxConnections: 1 });
try {
  // Fast path for every start after the first: no need to read and validate the files.
  const latest = await db.gameDataVersion.findFirst({ orderBy: { version: 'desc' }, select: { version: true } });
  if (latest) {
    say(`game data version ${latest.version} exists; nothing to seed`);
  } else {
    const loaded = loadGameData(readGameDataDir(dir));
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    if (loaded.data === null) fail(`${relative(process.cwd(), dir) || dir} has errors:\n${errors.map(formatDiagnostic).join('\n')}`, 1);
    const result = await seedGameData(db, {
      content: loaded.data as NonNullable<typeof loaded.data>,
      author: 'seed',
      message: `initial game data from ${relative(join(import.meta.dirname, '..'), dir) || dir}`,
    });
    if (result.seeded) say(`published game data version ${result.version} (${result.contentHash})`);
    else say(`game data version ${result.version ?? '?'} exists; nothing to seed`);
  }
} catch (error) {
  if (isAppError(error)) fail(`${error.code}: ${error.message}`, 1);
  throw error;
} finally {
  await db.$disconnect();
}
