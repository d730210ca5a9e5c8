/**
 * The database-backed commands: `publish`, `rollback`, `versions`, and the active version `diff` compares against.
 * Each is a thin wrapper over the services in `@harvest/db` (one transaction per call); DATABASE_URL names the
 * database.
 */

import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createDb,
  type Db,
  getActiveGameData,
  type LoadedGameData,
  listGameDataVersions,
  type PublishedGameData,
  publishGameData,
  rollbackGameData,
} from '@harvest/db';
import { isAppError } from '@harvest/shared/errors';
import type { DiffSummary } from '@harvest/shared/gamedata';
import { LIST_SECTIONS, SINGLETON_SECTIONS } from '@harvest/shared/schemas';
import { CliError } from './cli-error.ts';
import { databaseUrlFromEnv } from './env.ts';
import { loadDir, out } from './io.ts';

/** Runs `use` with a database client, closing it after; an AppError becomes `CODE: message` and exit code 1. */
async function withDb<T>(command: string, use: (db: Db) => Promise<T>): Promise<T> {
  const db = createDb({ databaseUrl: databaseUrlFromEnv(command), maxConnections: 2 });
  try {
    return await use(db);
  } catch (error) {
    if (isAppError(error)) throw new CliError(`${error.code}: ${error.message}`, 1);
    throw error;
  } finally {
    await db.$disconnect();
  }
}

/** `cards 1 added, 2 changed; recipes 1 removed`, or `no changes`. */
export function formatSummary(summary: DiffSummary): string {
  // Sections in schema order (the database's jsonb does not keep key order).
  const order: readonly string[] = [...SINGLETON_SECTIONS, ...LIST_SECTIONS];
  const rank = (section: string) => (order.includes(section) ? order.indexOf(section) : order.length);
  const entries = Object.entries(summary).sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : 1));
  const parts = entries.map(([section, counts]) => {
    const kinds = (['added', 'removed', 'changed'] as const).filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k}`);
    return `${section} ${kinds.join(', ')}`;
  });
  return parts.length === 0 ? 'no changes' : parts.join('; ');
}

function printPublished(result: PublishedGameData, json: boolean | undefined): void {
  if (json) {
    const { diff: _diff, ...record } = result;
    out(JSON.stringify(record, null, 2));
    return;
  }
  const what = result.restoresVersion === null ? 'published' : `rolled back to version ${result.restoresVersion} as`;
  out(`${what} version ${result.version} (content hash ${result.contentHash}) by ${result.author}: ${JSON.stringify(result.message)}`);
  out(
    `changes against ${result.parent ? `version ${result.parent.version}` : 'nothing (first version)'}: ${formatSummary(result.summary)}`,
  );
  const d = result.derived;
  out(
    `derived tables: card definitions ${d.cards.upserted} written, ${d.cards.retired} retired; recipes ${d.recipes.upserted} written, ` +
      `${d.recipes.retired} retired; land parcels ${d.parcels.upserted} written, ${d.parcels.retired} retired`,
  );
}

/** The active version in the database (`diff`'s default baseline). */
export function activeGameData(): Promise<LoadedGameData> {
  return withDb('diff', (db) => getActiveGameData(db, { maxAgeMs: 0 }));
}

/** The commands that need DATABASE_URL. */
export const dbCommands: Record<string, (args: string[], root: string) => Promise<void>> = {
  async publish(args, root) {
    const { values, positionals } = parseArgs({
      args,
      options: { dir: { type: 'string' }, author: { type: 'string' }, message: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
    });
    if (positionals.length > 0 || !values.author || !values.message) {
      throw new CliError('usage: publish --author <who> --message <why> [--dir gamedata] [--json]', 2);
    }
    const { data } = loadDir(resolve(values.dir ?? join(root, 'gamedata')));
    const result = await withDb('publish', (db) =>
      publishGameData(db, { content: data, author: values.author ?? '', message: values.message ?? '' }),
    );
    printPublished(result, values.json);
  },

  async rollback(args) {
    const { values, positionals } = parseArgs({
      args,
      options: { author: { type: 'string' }, message: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
    });
    const version = Number(positionals[0]);
    if (positionals.length !== 1 || !Number.isInteger(version) || version < 1 || !values.author || !values.message) {
      throw new CliError('usage: rollback <version> --author <who> --message <why> [--json]', 2);
    }
    const result = await withDb('rollback', (db) =>
      rollbackGameData(db, { version, author: values.author ?? '', message: values.message ?? '' }),
    );
    printPublished(result, values.json);
  },

  async versions(args) {
    const { values } = parseArgs({ args, options: { limit: { type: 'string', default: '20' }, json: { type: 'boolean' } } });
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError('--limit must be 1-1000', 2);
    const versions = await withDb('versions', (db) => listGameDataVersions(db, { limit }));
    if (values.json) {
      out(JSON.stringify(versions, null, 2));
      return;
    }
    if (versions.length === 0) {
      out('no game data published yet');
      return;
    }
    out('  version  hash          published (UTC)      author         message');
    for (const v of versions) {
      const when = (v.publishedAt ?? v.createdAt).toISOString().replace('T', ' ').slice(0, 19);
      const restores = v.restoresVersion === null ? '' : ` (restores ${v.restoresVersion})`;
      out(
        `${v.active ? '*' : ' '} ${String(v.version).padStart(7)}  ${v.contentHash.slice(0, 12)}  ${when}  ${v.author.padEnd(13)}  ${v.message}${restores}`,
      );
      out(`           ${formatSummary(v.summary)}`);
    }
  },
};
