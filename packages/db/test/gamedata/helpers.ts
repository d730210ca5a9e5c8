/** Fixtures for the game-data tests: the repository's game data and small, valid variations of it. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Db } from '@harvest/db';
import { type GameData, loadGameData } from '@harvest/shared/gamedata';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');

let cached: GameData | undefined;

/** The repository's gamedata/, loaded once (a fresh deep copy per call, so tests may change it). */
export function repoGameData(): GameData {
  if (!cached) {
    const dir = join(ROOT, 'gamedata');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => ({ path: relative(ROOT, join(dir, name)), text: readFileSync(join(dir, name), 'utf8') }));
    const result = loadGameData(files);
    if (!result.data) throw new Error('the repository game data has errors');
    cached = result.data;
  }
  return structuredClone(cached);
}

type Card = GameData['cards'][number];

/** A copy of `data` with one card changed. */
export function withCard(data: GameData, id: string, change: (card: Card) => Card): GameData {
  const copy = structuredClone(data);
  const index = copy.cards.findIndex((c) => c.id === id);
  if (index < 0) throw new Error(`no card ${id}`);
  copy.cards[index] = change(copy.cards[index] as Card);
  return copy;
}

/** The repository data with Helios the Golden's attack set to `attack` (7 in the repository). */
export function heliosAttack(attack: number, data: GameData = repoGameData()): GameData {
  return withCard(data, 'helios-the-golden', (card) => ({ ...card, attack }) as Card);
}

/** A copy of `data` with an extra common unit `id` (sorted into place, as the loader would). */
export function withExtraCard(data: GameData, id: string): GameData {
  const copy = structuredClone(data);
  const template = copy.cards.find((c) => c.id === 'helios-the-golden') as Card;
  copy.cards.push({ ...template, id, name: `Extra ${id}`, rarity: 'common', cost: 2, attack: 2, health: 2, keywords: {} } as Card);
  copy.cards.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return copy;
}

/** Rows that every publish writes, for "nothing happened" checks. */
export async function counts(db: Db) {
  const [versions, events, cards, recipes, parcels] = await Promise.all([
    db.gameDataVersion.count(),
    db.outboxEvent.count({ where: { type: 'gamedata_published' } }),
    db.cardDefinition.count(),
    db.recipe.count(),
    db.landParcel.count(),
  ]);
  const active = await db.gameDataVersion.findUnique({ where: { active: true }, select: { version: true } });
  return { versions, events, cards, recipes, parcels, active: active?.version ?? null };
}

/** The `gamedata_published` events in the outbox, in publication order. */
export async function publishedEvents(db: Db) {
  const rows = await db.outboxEvent.findMany({ where: { type: 'gamedata_published' }, orderBy: { id: 'asc' } });
  return rows.map((row) => ({ key: row.key, version: row.version, payload: row.payload }));
}
