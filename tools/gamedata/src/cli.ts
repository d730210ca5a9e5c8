#!/usr/bin/env node
/**
 * The designer CLI for `gamedata/`.
 *
 *   npm run gamedata -- validate [--dir gamedata] [--json] [--strict]
 *   npm run gamedata -- hash
 *   npm run gamedata -- diff [<other dir | release.json>]        (no argument: against the database's active version)
 *   npm run gamedata -- publish --author <who> --message <why> [--json]
 *   npm run gamedata -- rollback <version> --author <who> --message <why> [--json]
 *   npm run gamedata -- versions [--limit 20] [--json]
 *   npm run gamedata -- release --author <who> --message <why> [--previous release.json] [--restores N] [--out file]
 *   npm run gamedata -- simulate [--matches 10000] [--seed text] [--random-decks 12] [--workers 1] [--out reports]
 *   npm run gamedata -- economy [--json]
 *
 * `publish`, `rollback`, `versions` and `diff` without an argument use the database named by DATABASE_URL
 * (`src/db-commands.ts`); `release` builds the same record offline, as a file.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  contentHash,
  createRelease,
  diffGameData,
  formatDiagnostic,
  formatDiff,
  type GameData,
  type GameDataRelease,
  loadGameData,
} from '@harvest/shared/gamedata';
import { CliError } from './cli-error.ts';
import { farmEconomy } from './economy.ts';
import { findRepoRoot, readGameDataDir } from './files.ts';
import { err, loadAny, loadDir, out } from './io.ts';
import { renderHtml } from './report/html.ts';
import { buildReport } from './report/model.ts';
import { buildSimDecks } from './sim/decks.ts';
import { simulate } from './sim/run.ts';

/** A database-backed command, imported on first use (the Prisma client is not loaded for offline commands). */
function dbCommand(name: string): (args: string[], root: string) => Promise<void> {
  return async (args, root) => {
    const { dbCommands } = await import('./db-commands.ts');
    await dbCommands[name]?.(args, root);
  };
}

const commands: Record<string, (args: string[], root: string) => Promise<void> | void> = {
  validate(args, root) {
    const { values } = parseArgs({ args, options: { dir: { type: 'string' }, json: { type: 'boolean' }, strict: { type: 'boolean' } } });
    const dir = resolve(values.dir ?? join(root, 'gamedata'));
    const result = loadGameData(readGameDataDir(dir));
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = result.diagnostics.length - errors;
    if (values.json) {
      out(
        JSON.stringify(
          { ok: errors === 0, contentHash: result.data ? contentHash(result.data) : null, diagnostics: result.diagnostics },
          null,
          2,
        ),
      );
    } else {
      for (const d of result.diagnostics) out(formatDiagnostic(d));
      if (result.data) {
        const d = result.data;
        out(
          `ok: ${d.cards.length} cards (${d.cards.filter((c) => c.token).length} tokens), ${d.items.length} items, ${d.crops.length} crops, ${d.recipes.length} recipes, ` +
            `${d.biomes.length} biomes, ${d.perks.length} perks, ${d.parcels.length} parcels, ${d.avatars.length} avatars; ${warnings} warning(s)`,
        );
        out(`content hash ${contentHash(d)}`);
      } else out(`${errors} error(s), ${warnings} warning(s)`);
    }
    if (errors > 0 || (values.strict && warnings > 0)) throw new CliError('', 1);
  },

  hash(args, root) {
    const { values } = parseArgs({ args, options: { dir: { type: 'string' } } });
    out(contentHash(loadDir(resolve(values.dir ?? join(root, 'gamedata'))).data));
  },

  async diff(args, root) {
    const { values, positionals } = parseArgs({ args, options: { dir: { type: 'string' } }, allowPositionals: true });
    const other = positionals[0];
    if (positionals.length > 1) throw new CliError('usage: diff [<other gamedata dir | release.json>] [--dir gamedata]', 2);
    let before: GameData;
    if (other) before = loadAny(resolve(other));
    else {
      const { activeGameData } = await import('./db-commands.ts');
      const active = await activeGameData();
      err(`comparing with the active version ${active.version} (${active.contentHash.slice(0, 12)}) in the database`);
      before = active.data;
    }
    const after = loadDir(resolve(values.dir ?? join(root, 'gamedata'))).data;
    const lines = formatDiff(diffGameData(before, after));
    for (const l of lines) out(l);
    out(
      lines.length === 0
        ? 'no differences'
        : `${lines.length} difference(s): ${contentHash(before).slice(0, 12)} -> ${contentHash(after).slice(0, 12)}`,
    );
  },

  release(args, root) {
    const { values } = parseArgs({
      args,
      options: {
        dir: { type: 'string' },
        author: { type: 'string' },
        message: { type: 'string' },
        previous: { type: 'string' },
        restores: { type: 'string' },
        out: { type: 'string' },
      },
    });
    const content = loadDir(resolve(values.dir ?? join(root, 'gamedata'))).data;
    let previous: { head: { version: number; contentHash: string }; content: GameData } | null = null;
    if (values.previous) {
      const prev = JSON.parse(readFileSync(resolve(values.previous), 'utf8')) as GameDataRelease;
      previous = { head: { version: prev.version, contentHash: prev.contentHash }, content: loadAny(resolve(values.previous)) };
    }
    const r = createRelease({
      content,
      previous,
      author: values.author ?? '',
      message: values.message ?? '',
      now: Date.now(),
      ...(values.restores ? { restores: Number(values.restores) } : {}),
    });
    if (!r.ok) throw new CliError(`${r.violation.code}: ${r.violation.message}`);
    const text = `${JSON.stringify(r.release, null, 2)}\n`;
    if (values.out) {
      writeFileSync(resolve(values.out), text);
      err(`release v${r.release.version} ${r.release.contentHash} written to ${values.out}`);
    } else out(text);
  },

  economy(args, root) {
    const { values } = parseArgs({ args, options: { dir: { type: 'string' }, json: { type: 'boolean' }, cycles: { type: 'string' } } });
    const eco = farmEconomy(loadDir(resolve(values.dir ?? join(root, 'gamedata'))).data, Number(values.cycles ?? 400));
    if (values.json) {
      out(JSON.stringify(eco, null, 2));
      return;
    }
    out('crop          scenario       cycle min   produce/h   gold/h');
    for (const c of eco) {
      for (const s of c.scenarios)
        out(
          `${c.crop.padEnd(13)} ${s.name.padEnd(14)} ${s.cycleMinutes.toFixed(1).padStart(9)} ${s.itemsPerHour.toFixed(2).padStart(11)} ${s.goldPerHour.toFixed(1).padStart(8)}`,
        );
    }
  },

  async simulate(args, root) {
    const { values } = parseArgs({
      args,
      options: {
        dir: { type: 'string' },
        matches: { type: 'string', default: '10000' },
        seed: { type: 'string', default: 'harvest-balance-1' },
        'random-decks': { type: 'string', default: '12' },
        workers: { type: 'string', default: '1' },
        out: { type: 'string' },
        quiet: { type: 'boolean' },
      },
    });
    const matches = Number(values.matches);
    const randomDecks = Number(values['random-decks']);
    const workers = Number(values.workers);
    if (!Number.isInteger(matches) || matches < 1) throw new CliError('--matches must be a positive integer', 2);
    if (!Number.isInteger(randomDecks) || randomDecks < 0) throw new CliError('--random-decks must be 0 or more', 2);
    if (!Number.isInteger(workers) || workers < 1) throw new CliError('--workers must be 1 or more', 2);
    const { data, warnings } = loadDir(resolve(values.dir ?? join(root, 'gamedata')));
    const seed = values.seed;
    const decks = buildSimDecks(data, { randomDecks, seed });
    const tty = process.stderr.isTTY === true;
    const started = performance.now();
    let lastTenth = -1;
    const progress = (done: number) => {
      if (values.quiet) return;
      const s = (performance.now() - started) / 1000;
      const rate = done / Math.max(s, 1e-3);
      const line = `simulate ${done.toLocaleString('en-US')}/${matches.toLocaleString('en-US')} (${((done / matches) * 100).toFixed(0)}%) ${rate.toFixed(0)} matches/s, eta ${((matches - done) / Math.max(rate, 1)).toFixed(0)} s`;
      if (tty) process.stderr.write(`\r${line}\x1b[K`);
      else if (Math.floor((done / matches) * 10) > lastTenth) {
        lastTenth = Math.floor((done / matches) * 10);
        err(line);
      }
    };
    if (!values.quiet) err(`simulating ${matches} matches between ${decks.length} decks on ${workers} thread(s)`);
    const result = await simulate({ data, decks, matches, seed, workers, onProgress: progress });
    if (tty && !values.quiet) err();
    const report = buildReport({
      data,
      contentHash: contentHash(data),
      seed,
      decks,
      randomDecks,
      result,
      economy: farmEconomy(data),
      now: Date.now(),
      dataWarnings: warnings,
    });
    const dir = resolve(values.out ?? join(root, 'reports'));
    mkdirSync(dir, { recursive: true });
    const stamp = report.generatedAt.replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
    const base = join(dir, `balance-${stamp}`);
    writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`${base}.html`, renderHtml(report));
    const h = report.headline;
    const p = report.performance;
    out(
      `${h.matches} matches in ${(p.wallMs / 1000).toFixed(2)} s: ${p.matchesPerSecond.toFixed(0)} matches/s wall, ${p.oneCoreMatchesPerSecond.toFixed(0)} matches/s per core (${result.workers} thread(s))`,
    );
    out(
      `first player wins ${(h.firstPlayerWinRate * 100).toFixed(1)}%, second ${(h.secondPlayerWinRate * 100).toFixed(1)}%, draws ${(h.drawRate * 100).toFixed(1)}%; average ${h.averageTurns.toFixed(1)} turns (median ${h.medianTurns}); refused AI actions ${h.refusedActions}`,
    );
    const top = report.decks[0];
    const bottom = report.decks.at(-1);
    if (top && bottom)
      out(
        `decks: best ${top.name} ${((top.winRate ?? 0) * 100).toFixed(1)}%, worst ${bottom.name} ${((bottom.winRate ?? 0) * 100).toFixed(1)}%`,
      );
    out(`report: ${base}.html (+ .json)`);
  },

  publish: dbCommand('publish'),
  rollback: dbCommand('rollback'),
  versions: dbCommand('versions'),
};

function usage(): string {
  return 'usage: gamedata <validate|hash|diff|publish|rollback|versions|release|economy|simulate> [options]  (see tools/gamedata/src/cli.ts)';
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const run = command ? commands[command] : undefined;
  if (!run) {
    err(usage());
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
  try {
    await run(rest, findRepoRoot());
    return 0;
  } catch (e) {
    if (e instanceof CliError) {
      if (e.message) err(e.message);
      return e.code;
    }
    if (e instanceof TypeError && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      err(`${e.message}\n${usage()}`);
      return 2;
    }
    throw e;
  }
}

// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
