/**
 * The database-backed CLI commands end to end: the real CLI process against a test database (DATABASE_URL), in
 * order: versions, publish, refusals, diff against the active version, a second publish, rollback, versions.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestDatabase } from '@harvest/db/testing';
import { contentHash } from '@harvest/shared/gamedata';
import { describe, expect, it } from 'vitest';
import { ROOT, repoData } from './helpers.ts';

const CLI = join(ROOT, 'tools', 'gamedata', 'src', 'cli.ts');
const database = useTestDatabase();

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with only PATH and the given variables in its environment. */
function run(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout, stderr) => {
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const withDb = (...args: string[]) => run({ DATABASE_URL: database.url }, ...args);

/** A copy of gamedata/ with Helios the Golden's attack lowered from 7 to 6. */
function nerfedCopy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'gamedata-db-')), 'gamedata');
  cpSync(join(ROOT, 'gamedata'), dir, { recursive: true });
  const sun = join(dir, 'cards', 'sun.yaml');
  writeFileSync(sun, readFileSync(sun, 'utf8').replace('attack: 7', 'attack: 6'));
  return dir;
}

describe('gamedata CLI with a database', () => {
  const repoHash = contentHash(repoData());
  const nerfed = nerfedCopy();

  it('needs DATABASE_URL for the database commands and says so', async () => {
    for (const args of [
      ['publish', '--author', 'a', '--message', 'm'],
      ['versions'],
      ['diff'],
      ['rollback', '1', '--author', 'a', '--message', 'm'],
    ]) {
      const r = await run({}, ...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/DATABASE_URL is required/);
    }
    const bad = await run({ DATABASE_URL: 'mysql://x/y' }, 'versions');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('DATABASE_URL must be postgres://');
  });

  it('versions and diff before anything is published', async () => {
    const versions = await withDb('versions');
    expect(versions.status).toBe(0);
    expect(versions.stdout.trim()).toBe('no game data published yet');
    const diff = await withDb('diff');
    expect(diff.status).toBe(1);
    expect(diff.stderr).toContain('GAMEDATA_NOT_PUBLISHED');
  });

  it('publish requires an author and a message', async () => {
    const r = await withDb('publish', '--author', 'fern');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: publish --author <who> --message <why>');
    expect((await withDb('versions')).stdout.trim()).toBe('no game data published yet');
  });

  it('publish stores the repository data as version 1; publishing it again is refused with GAMEDATA_NO_CHANGES', async () => {
    const first = await withDb('publish', '--author', 'fern', '--message', 'launch');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`published version 1 (content hash ${repoHash}) by fern: "launch"`);
    expect(first.stdout).toMatch(/changes against nothing \(first version\): .*cards \d+ added/);
    expect(first.stdout).toMatch(/derived tables: card definitions \d+ written, 0 retired; recipes \d+ written/);
    const again = await withDb('publish', '--author', 'fern', '--message', 'again');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^GAMEDATA_NO_CHANGES: nothing to publish/m);
  });

  it('diff compares a directory with the active version by default', async () => {
    const same = await withDb('diff');
    expect(same.status).toBe(0);
    expect(same.stderr).toContain(`comparing with the active version 1 (${repoHash.slice(0, 12)}) in the database`);
    expect(same.stdout.trim()).toBe('no differences');
    const changed = await withDb('diff', '--dir', nerfed);
    expect(changed.stdout).toContain('~ cards/helios-the-golden attack: 7 -> 6');
    expect(changed.stdout).toMatch(/^1 difference\(s\): /m);
  });

  it('publish --json of a change, versions, rollback, and diff after the rollback', async () => {
    const second = await withDb('publish', '--dir', nerfed, '--author', 'reed', '--message', 'nerf Helios', '--json');
    expect(second.status).toBe(0);
    const record = JSON.parse(second.stdout);
    expect(record).toMatchObject({
      version: 2,
      parent: { version: 1, contentHash: repoHash },
      restoresVersion: null,
      summary: { cards: { added: 0, removed: 0, changed: 1 } },
      derived: { cards: { upserted: 1, retired: 0 } },
    });

    const rollback = await withDb('rollback', '1', '--author', 'fern', '--message', 'undo the nerf');
    expect(rollback.status).toBe(0);
    expect(rollback.stdout).toContain(`rolled back to version 1 as version 3 (content hash ${repoHash}) by fern: "undo the nerf"`);
    expect(rollback.stdout).toContain('changes against version 2: cards 1 changed');

    const versions = await withDb('versions');
    const lines = versions.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ {2}version {2}hash {10}published \(UTC\)/);
    expect(lines[1]).toMatch(
      new RegExp(`^\\* {7}3  ${repoHash.slice(0, 12)}  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  fern +undo the nerf \\(restores 1\\)$`),
    );
    expect(lines[2]?.trim()).toBe('cards 1 changed');
    expect(lines[3]).toMatch(/^ {8}2 {2}[0-9a-f]{12} {2}.* reed +nerf Helios$/);
    expect(lines[5]).toMatch(/^ {8}1 {2}/);
    const json = JSON.parse((await withDb('versions', '--json', '--limit', '2')).stdout);
    expect(json.map((v: { version: number; active: boolean }) => [v.version, v.active])).toEqual([
      [3, true],
      [2, false],
    ]);

    expect((await withDb('diff')).stdout.trim()).toBe('no differences');
  });

  it('rollback refuses the active content and unknown versions', async () => {
    const same = await withDb('rollback', '1', '--author', 'fern', '--message', 'again');
    expect(same.status).toBe(1);
    expect(same.stderr).toMatch(/^GAMEDATA_NO_CHANGES: /m);
    const unknown = await withDb('rollback', '9', '--author', 'fern', '--message', 'm');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/^GAMEDATA_VERSION_NOT_FOUND: no game data version 9/m);
    expect((await withDb('rollback', 'x', '--author', 'a', '--message', 'm')).status).toBe(2);
    expect(JSON.parse((await withDb('versions', '--json')).stdout)).toHaveLength(3);
  });
});
