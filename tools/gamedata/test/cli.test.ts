import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.ts';

const CLI = join(ROOT, 'tools', 'gamedata', 'src', 'cli.ts');
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
const copyData = () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'gamedata-')), 'gamedata');
  cpSync(join(ROOT, 'gamedata'), dir, { recursive: true });
  return dir;
};

describe('gamedata CLI', () => {
  it('validate passes on the repository data and prints the content hash', () => {
    const r = run('validate');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ok: 70 cards/m);
    expect(r.stdout).toMatch(/content hash [0-9a-f]{64}/);
    expect(run('hash').stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('validate fails on a broken file and names file, line and field', () => {
    const dir = copyData();
    const file = join(dir, 'crops.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('waterBonus: 35', 'waterBonus: 350'));
    const r = run('validate', '--dir', dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^gamedata\/crops\.yaml:\d+:5: error crops\[6\]\.waterBonus: Too big/m);
    const json = JSON.parse(run('validate', '--dir', dir, '--json').stdout);
    expect(json.ok).toBe(false);
    expect(json.diagnostics[0]).toMatchObject({ file: 'gamedata/crops.yaml', path: 'crops[6].waterBonus' });
    expect(json.diagnostics[0].line).toBe(
      readFileSync(file, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('waterBonus: 350')) + 1,
    );
  });

  it('diff and release describe a change', () => {
    const dir = copyData();
    const base = join(dir, '..', 'v1.json');
    expect(run('release', '--dir', dir, '--author', 'fern', '--message', 'launch', '--out', base).status).toBe(0);
    const v1 = JSON.parse(readFileSync(base, 'utf8'));
    expect(v1).toMatchObject({ version: 1, author: 'fern', message: 'launch', parent: null });
    const sun = join(dir, 'cards', 'sun.yaml');
    writeFileSync(sun, readFileSync(sun, 'utf8').replace('attack: 7', 'attack: 6'));
    const diff = run('diff', base, '--dir', dir);
    expect(diff.stdout).toContain('~ cards/helios-the-golden attack: 7 -> 6');
    const v2 = JSON.parse(run('release', '--dir', dir, '--author', 'reed', '--message', 'nerf', '--previous', base).stdout);
    expect(v2).toMatchObject({ version: 2, parent: { version: 1, contentHash: v1.contentHash }, summary: { cards: { changed: 1 } } });
    const same = run('release', '--dir', join(ROOT, 'gamedata'), '--author', 'a', '--message', 'm', '--previous', base);
    expect(same.status).toBe(1);
    expect(same.stderr).toContain('NO_CHANGES');
    expect(run('release', '--dir', dir, '--author', 'a').stderr).toContain('MESSAGE_REQUIRED');
  });

  it('simulate writes an HTML report with charts and its JSON twin', () => {
    const out = mkdtempSync(join(tmpdir(), 'reports-'));
    const r = run('simulate', '--matches', '300', '--random-decks', '2', '--out', out);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/simulate 300\/300 \(100%\)/);
    expect(r.stdout).toMatch(/300 matches in [\d.]+ s: \d+ matches\/s/);
    const files = readdirSync(out).sort();
    expect(files).toHaveLength(2);
    const html = readFileSync(join(out, files[0] as string), 'utf8');
    const json = JSON.parse(readFileSync(join(out, files[1] as string), 'utf8'));
    expect(files[0]).toMatch(/^balance-.*\.html$/);
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(5);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3)|NaN|undefined/);
    expect(json.headline.matches).toBe(300);
    expect(json.headline.refusedActions).toBe(0);
    expect(json.cards.every((c: { games: number }) => c.games > 0)).toBe(true);
    expect(json.economy.length).toBe(10);
  });

  it('refuses unknown commands and bad options', () => {
    expect(run('nope').status).toBe(2);
    expect(run('simulate', '--matches', 'x').status).toBe(2);
    expect(run('simulate', '--bogus').status).toBe(2);
  });
});
