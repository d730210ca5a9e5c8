import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AMOUNT_KEYWORDS, ELEMENTS, FLAG_KEYWORDS, RARITIES, SPELL_EFFECTS } from '../rules/cards.ts';
import { checkDeck } from '../rules/deck/deck.ts';
import { cardCatalog, deckRulesOf } from './catalog.ts';
import { contentHash } from './content.ts';
import type { Diagnostic } from './diagnostics.ts';
import { formatDiagnostic } from './diagnostics.ts';
import { loadGameData, type SourceFile } from './load.ts';

const GAMEDATA = join(import.meta.dirname, '..', '..', '..', '..', 'gamedata');
const REAL: SourceFile[] = readdirSync(GAMEDATA, { withFileTypes: true, recursive: true })
  .filter((e) => e.isFile() && e.name.endsWith('.yaml'))
  .map((e) => join(e.parentPath, e.name))
  .sort()
  .map((p) => ({ path: relative(join(GAMEDATA, '..'), p), text: readFileSync(p, 'utf8') }));

/** The real data with one file replaced (or added). */
function withFile(path: string, text: string): SourceFile[] {
  return [...REAL.filter((f) => f.path !== path), { path, text }];
}
function patched(path: string, from: string, to: string): SourceFile[] {
  const f = REAL.find((x) => x.path === path);
  if (!f?.text.includes(from)) throw new Error(`cannot patch ${path}`);
  return withFile(path, f.text.replace(from, to));
}
const errors = (ds: readonly Diagnostic[]) => ds.filter((d) => d.severity === 'error');
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('the repository game data', () => {
  const result = loadGameData(REAL);
  const data = result.data;
  if (data === null) throw new Error(result.diagnostics.map(formatDiagnostic).join('\n'));

  it('loads without errors or warnings', () => {
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
  });
  it('has at least 60 collectible cards covering every rarity, element, keyword and spell effect', () => {
    const cards = data.cards.filter((c) => !c.token);
    expect(cards.length).toBeGreaterThanOrEqual(60);
    expect(new Set(cards.map((c) => c.rarity))).toEqual(new Set(RARITIES));
    expect(new Set(cards.map((c) => c.element))).toEqual(new Set(ELEMENTS));
    const keywords = new Set(cards.flatMap((c) => (c.kind === 'unit' ? Object.keys(c.keywords) : [])));
    expect(keywords).toEqual(new Set([...FLAG_KEYWORDS, ...AMOUNT_KEYWORDS]));
    expect(new Set(cards.flatMap((c) => (c.kind === 'spell' ? [c.effect.type] : [])))).toEqual(new Set(SPELL_EFFECTS));
  });
  it('has at least 8 crops, 30 recipes, four biomes with perks, and avatars', () => {
    expect(data.crops.length).toBeGreaterThanOrEqual(8);
    expect(data.recipes.length).toBeGreaterThanOrEqual(30);
    expect(data.biomes.map((b) => b.id).sort()).toEqual(['highland', 'marsh', 'meadow', 'orchard']);
    expect(new Set(data.perks.map((p) => p.kind))).toEqual(new Set(['extra_yield', 'exclusive_recipe']));
    expect(data.avatars.length).toBeGreaterThan(0);
  });
  it('pays GAME.md rewards and grants a legal 20-card starter deck', () => {
    expect(data.rewards.match.winner.gold).toBe(50);
    expect(data.rewards.match.loser.gold).toBe(15);
    expect(data.rewards.match.firstWinOfDay.gold).toBe(100);
    const deck = data.rewards.starter.deck.map((def, i) => ({ instanceId: `s${i}`, def, owner: 'p', state: 'in_game' as const }));
    expect(checkDeck(deck, { playerId: 'p', cards: cardCatalog(data), rules: deckRulesOf(data) })).toEqual({ ok: true });
    expect(data.rewards.starter.items.every((x) => data.items.find((i) => i.id === x.item)?.kind === 'seed')).toBe(true);
    expect(data.rewards.starter.gold).toBeGreaterThan(0);
  });
  it('normalises keywords from the designer list form', () => {
    expect(data.cards.find((c) => c.id === 'permafrost-golem')).toMatchObject({ keywords: { guard: true, thorns: 1 } });
  });
  it('hashes the same however entries are spread over files or formatted', () => {
    const sun = REAL.find((f) => f.path === 'gamedata/cards/sun.yaml') as SourceFile;
    const [head, ...rest] = sun.text.split('\n  - id: ');
    const moved = [
      ...REAL.filter((f) => f.path !== sun.path),
      { path: sun.path, text: [head, ...rest.slice(0, 5)].join('\n  - id: ') },
      { path: 'gamedata/cards/sun-more.yaml', text: `# moved\ncards:\n  - id: ${rest.slice(5).join('\n  - id: ')}` },
    ];
    const again = loadGameData(moved);
    expect(again.data && contentHash(again.data)).toBe(contentHash(data));
    const changed = loadGameData(patched('gamedata/cards/sun.yaml', 'attack: 7', 'attack: 6'));
    expect(changed.data && contentHash(changed.data)).not.toBe(contentHash(data));
  });
});

describe('a broken game-data file', () => {
  it('YAML syntax errors name the file and line', () => {
    const text = 'cards:\n  - id: a\n    name: [unclosed\n';
    const ds = errors(loadGameData(withFile('gamedata/cards/bad.yaml', text)).diagnostics);
    expect(ds.length).toBeGreaterThan(0);
    expect(ds[0]).toMatchObject({ code: 'YAML', file: 'gamedata/cards/bad.yaml' });
    expect(ds[0]?.line).toBeGreaterThanOrEqual(3);
  });

  it('a wrong value names file, line and the field path', () => {
    const files = patched(
      'gamedata/cards/sun.yaml',
      '    attack: 1\n    health: 1\n    keywords: [{ volley: 1 }]',
      '    attack: -1\n    health: 1\n    keywords: [{ volley: 1 }]',
    );
    const text = files.find((f) => f.path === 'gamedata/cards/sun.yaml')?.text as string;
    const ds = errors(loadGameData(files).diagnostics);
    expect(ds).toEqual([
      expect.objectContaining({
        code: 'SCHEMA',
        file: 'gamedata/cards/sun.yaml',
        line: lineOf(text, 'attack: -1'),
        path: 'cards[1].attack',
      }),
    ]);
    expect(formatDiagnostic(ds[0] as Diagnostic)).toMatch(/^gamedata\/cards\/sun\.yaml:\d+:\d+: error cards\[1\]\.attack: /);
  });

  it('a bad keyword amount points into the keyword list', () => {
    const files = patched('gamedata/cards/frost.yaml', 'keywords: [guard, { thorns: 1 }]', 'keywords: [guard, { thorns: 0 }]');
    const text = files.find((f) => f.path === 'gamedata/cards/frost.yaml')?.text as string;
    const [d] = errors(loadGameData(files).diagnostics);
    expect(d).toMatchObject({ path: 'cards[11].keywords[1].thorns', line: lineOf(text, '{ thorns: 0 }') });
  });

  it('an unknown keyword, an unknown field and a missing field are each located', () => {
    const text = [
      'cards:',
      '  - id: broken-one',
      '    name: Broken One',
      '    rarity: common',
      '    element: sun',
      '    kind: unit',
      '    cost: 1',
      '    attack: 1',
      '    health: 1',
      '    keywords: [flying]',
      '  - id: broken-two',
      '    name: Broken Two',
      '    rarity: common',
      '    element: sun',
      '    kind: unit',
      '    cost: 1',
      '    attack: 1',
      '    helth: 1',
      '',
    ].join('\n');
    const ds = errors(loadGameData(withFile('gamedata/cards/broken.yaml', text)).diagnostics);
    const brief = ds.map((d) => [d.path, d.line]);
    expect(brief).toContainEqual(['cards[0].keywords[0]', 10]);
    expect(brief).toContainEqual(['cards[1].helth', 18]);
    expect(brief).toContainEqual(['cards[1].health', 11]);
    expect(ds.find((d) => d.path === 'cards[1].health')?.message).toMatch(/missing field "health"/);
    expect(ds.find((d) => d.path === 'cards[0].keywords[0]')?.message).toMatch(/guard/);
  });

  it('an unknown kind says which kinds exist', () => {
    const files = patched(
      'gamedata/cards/rain.yaml',
      'kind: spell\n    cost: 1\n    effect: { type: heal, amount: 4 }',
      'kind: spel\n    cost: 1\n    effect: { type: heal, amount: 4 }',
    );
    const [d] = errors(loadGameData(files).diagnostics);
    expect(d).toMatchObject({ path: 'cards[4].kind' });
    expect(d?.message).toMatch(/unit.*spell/);
  });

  it('an unknown reference names the file, line and field of the reference', () => {
    const files = patched('gamedata/recipes.yaml', 'output: { card: deluge }', 'output: { card: delugee }');
    const text = files.find((f) => f.path === 'gamedata/recipes.yaml')?.text as string;
    const ds = errors(loadGameData(files).diagnostics);
    expect(ds).toContainEqual(
      expect.objectContaining({
        code: 'UNKNOWN_REF',
        file: 'gamedata/recipes.yaml',
        line: lineOf(text, 'delugee'),
        path: expect.stringMatching(/^recipes\[\d+\]\.output\.card$/),
      }),
    );
  });

  it('summoning a non-token, duplicate ids, duplicate sections and a missing section are errors', () => {
    const wrongToken = errors(loadGameData(patched('gamedata/cards/soil.yaml', 'token: thornling', 'token: scarecrow')).diagnostics);
    expect(wrongToken.map((d) => d.code)).toContain('WRONG_KIND');
    const dupText =
      'cards:\n  - id: scarecrow\n    name: Again\n    rarity: common\n    element: soil\n    kind: unit\n    cost: 2\n    attack: 1\n    health: 4\n';
    const dup = errors(loadGameData(withFile('gamedata/cards/zz-dup.yaml', dupText)).diagnostics);
    expect(dup).toEqual([
      expect.objectContaining({ code: 'DUPLICATE_ID', file: 'gamedata/cards/zz-dup.yaml', line: 2, path: 'cards[0].id' }),
    ]);
    expect(dup[0]?.message).toContain('gamedata/cards/soil.yaml');
    const twice = errors(loadGameData(withFile('gamedata/zz-farm.yaml', 'farm:\n  starterPlots: 4\n')).diagnostics);
    expect(twice).toEqual([expect.objectContaining({ code: 'DUPLICATE_SECTION', file: 'gamedata/zz-farm.yaml', line: 1 })]);
    const missing = errors(loadGameData(REAL.filter((f) => f.path !== 'gamedata/rewards.yaml')).diagnostics);
    expect(missing).toEqual([expect.objectContaining({ code: 'MISSING_SECTION', path: 'rewards' })]);
  });

  it('an illegal starter deck is an error at the deck', () => {
    const files = patched(
      'gamedata/rewards.yaml',
      '      - ember-finch\n      - ember-finch\n',
      '      - ember-finch\n      - sunpetal-sprite\n',
    );
    const ds = errors(loadGameData(files).diagnostics);
    expect(ds).toEqual([
      expect.objectContaining({ code: 'ILLEGAL_STARTER_DECK', path: 'rewards.starter.deck', file: 'gamedata/rewards.yaml' }),
    ]);
  });

  it('warns about cards nothing produces, items nothing provides, and curve outliers, without failing', () => {
    const extra = [
      'cards:',
      '  - { id: lost-relic, name: Lost Relic, rarity: epic, element: frost, kind: unit, cost: 2, attack: 9, health: 9 }',
      'items:',
      '  - { id: moon-dust, name: Moon Dust, kind: material, value: 3 }',
      'recipes:',
      '  - id: frost-epics-only',
      '    name: Frost Epics',
      '    inputs: { gold: 1 }',
      '    output: { table: [{ element: frost, rarity: epic, weight: 1 }] }',
      '',
    ].join('\n');
    // The new recipe makes lost-relic obtainable; drop it to see the unobtainable warning.
    const r = loadGameData(withFile('gamedata/zz-extra.yaml', extra.replace(/recipes:[\s\S]*/, '')));
    expect(r.data).not.toBeNull();
    const warnings = r.diagnostics.filter((d) => d.severity === 'warning').map((d) => [d.code, d.path]);
    expect(warnings).toEqual(
      expect.arrayContaining([
        ['STAT_OUTLIER', 'cards[0].cost'],
        ['UNOBTAINABLE_ITEM', 'items[0]'],
      ]),
    );
    const reachable = loadGameData(withFile('gamedata/zz-extra.yaml', extra));
    expect(reachable.diagnostics.some((d) => d.code === 'UNOBTAINABLE_CARD')).toBe(false);
    const lonely = loadGameData(
      withFile(
        'gamedata/zz-extra.yaml',
        'cards:\n  - { id: lonely, name: Lonely, rarity: common, element: sun, kind: unit, cost: 1, attack: 1, health: 2 }\n',
      ),
    );
    // Sun commons are on a table (sun-seed-bundle), so even an unlisted sun common is obtainable.
    expect(lonely.diagnostics.some((d) => d.code === 'UNOBTAINABLE_CARD')).toBe(false);
    const noTables = REAL.map((f) =>
      f.path === 'gamedata/recipes.yaml'
        ? { ...f, text: f.text.replace(/element: frost, rarity: epic/g, 'element: frost, rarity: rare') }
        : f,
    );
    const r2 = loadGameData(
      noTables.map((f) =>
        f.path === 'gamedata/recipes.yaml'
          ? {
              ...f,
              text: f.text
                .replace('output: { table: [{ rarity: epic, weight: 1 }] }', 'output: { table: [{ rarity: rare, weight: 1 }] }')
                .replace('{ card: frostbound-colossus }', '{ card: rime-knight }'),
            }
          : f,
      ),
    );
    expect(r2.diagnostics.filter((d) => d.code === 'UNOBTAINABLE_CARD').map((d) => d.message)).toEqual([
      'no recipe or reward can produce frostbound-colossus',
    ]);
  });
});
