import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../rules/core/sha256.ts';
import type { GameData } from '../schemas/gamedata/file.ts';
import { canonicalJson, contentHash } from './content.ts';
import { diffGameData, formatDiff } from './diff.ts';
import { loadGameData } from './load.ts';
import { createRelease, releaseContentJson, verifyRelease } from './release.ts';

const GAMEDATA = join(import.meta.dirname, '..', '..', '..', '..', 'gamedata');
const files = readdirSync(GAMEDATA, { withFileTypes: true, recursive: true })
  .filter((e) => e.isFile() && e.name.endsWith('.yaml'))
  .map((e) => join(e.parentPath, e.name))
  .map((p) => ({ path: relative(join(GAMEDATA, '..'), p), text: readFileSync(p, 'utf8') }));
const loaded = loadGameData(files).data;
if (loaded === null) throw new Error('repository game data does not load');
const V1: GameData = loaded;
const V2: GameData = {
  ...V1,
  cards: V1.cards.map((c) =>
    c.id === 'blazing-ram' && c.kind === 'unit' ? { ...c, attack: 3, keywords: { swift: true, shield: true } } : c,
  ),
  crops: V1.crops.filter((c) => c.id !== 'stoneroot'),
  battle: { ...V1.battle, turnSeconds: 60 },
};

describe('canonicalJson', () => {
  it('sorts keys at every depth and ignores undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
  });
  it('is the same for any key order and round-trips through JSON.parse', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const shuffled = JSON.parse(JSON.stringify(v), (_k, val) =>
          val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val).reverse()) : val,
        );
        expect(canonicalJson(shuffled)).toBe(canonicalJson(v));
        expect(canonicalJson(JSON.parse(canonicalJson(v)))).toBe(canonicalJson(v));
      }),
    );
  });
  it('refuses what JSON cannot hold', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError);
  });
  it('contentHash is SHA-256 of the canonical JSON', () => {
    expect(contentHash(V1)).toBe(sha256Hex(canonicalJson(V1)));
    expect(contentHash(V1)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('diffGameData', () => {
  it('lists added, removed and changed entries down to fields', () => {
    const diff = diffGameData(V1, V2);
    expect(formatDiff(diff)).toEqual([
      '~ battle turnSeconds: 45 -> 60',
      '~ cards/blazing-ram attack: 4 -> 3',
      '~ cards/blazing-ram keywords.shield: undefined -> true',
      '- crops/stoneroot',
    ]);
    expect(diffGameData(V1, V1).entries).toEqual([]);
    expect(diffGameData(null, V1).entries.filter((e) => e.kind !== 'added')).toEqual([]);
  });
});

describe('releases', () => {
  const first = createRelease({ content: V1, previous: null, author: 'fern@studio', message: 'Launch set', now: Date.UTC(2026, 0, 2) });
  if (!first.ok) throw new Error(first.violation.message);
  const r1 = first.release;

  it('number from 1, hash the content and record author, message and time', () => {
    expect(r1).toMatchObject({
      format: 1,
      version: 1,
      contentHash: contentHash(V1),
      parent: null,
      restores: null,
      author: 'fern@studio',
      message: 'Launch set',
      createdAt: '2026-01-02T00:00:00.000Z',
    });
    expect(r1.summary.cards?.added).toBe(V1.cards.length);
    expect(sha256Hex(releaseContentJson(r1))).toBe(r1.contentHash);
  });
  it('chain to their parent and summarise the change', () => {
    const next = createRelease({ content: V2, previous: { head: r1, content: V1 }, author: 'reed', message: 'Nerf ram', now: 0 });
    if (!next.ok) throw new Error(next.violation.message);
    expect(next.release).toMatchObject({ version: 2, parent: { version: 1, contentHash: r1.contentHash } });
    expect(next.release.summary).toEqual({
      battle: { added: 0, removed: 0, changed: 1 },
      cards: { added: 0, removed: 0, changed: 1 },
      crops: { added: 0, removed: 1, changed: 0 },
    });
    const rollback = createRelease({
      content: V1,
      previous: { head: next.release, content: V2 },
      author: 'reed',
      message: 'Undo',
      now: 0,
      restores: 1,
    });
    expect(rollback.ok && rollback.release).toMatchObject({ version: 3, restores: 1, contentHash: r1.contentHash });
  });
  it('refuse no-op publishes, missing author or message, and impossible rollbacks', () => {
    const code = (r: ReturnType<typeof createRelease>) => (r.ok ? 'ok' : r.violation.code);
    expect(code(createRelease({ content: V1, previous: { head: r1, content: V1 }, author: 'a', message: 'm', now: 0 }))).toBe('NO_CHANGES');
    expect(code(createRelease({ content: V2, previous: { head: r1, content: V1 }, author: ' ', message: 'm', now: 0 }))).toBe(
      'AUTHOR_REQUIRED',
    );
    expect(code(createRelease({ content: V2, previous: { head: r1, content: V1 }, author: 'a', message: '', now: 0 }))).toBe(
      'MESSAGE_REQUIRED',
    );
    expect(code(createRelease({ content: V2, previous: { head: r1, content: V1 }, author: 'a', message: 'm', now: 0, restores: 1 }))).toBe(
      'BAD_RESTORE',
    );
  });
  it('verify content read back from storage, and catch tampering', () => {
    const stored = JSON.parse(releaseContentJson(r1));
    expect(verifyRelease({ contentHash: r1.contentHash, content: stored }).ok).toBe(true);
    stored.battle.heroHealth = 30;
    expect(verifyRelease({ contentHash: r1.contentHash, content: stored })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('hashes to'),
    });
    expect(verifyRelease({ contentHash: r1.contentHash, content: { cards: 'x' } }).ok).toBe(false);
  });
});
