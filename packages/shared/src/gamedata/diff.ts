/** Structural diff of two game-data versions, by section and id, down to changed fields. */

import { type GameData, LIST_SECTIONS, SINGLETON_SECTIONS } from '../schemas/gamedata/file.ts';
import { canonicalJson } from './content.ts';
import { formatPath } from './diagnostics.ts';

/** One changed value inside an entry. */
export interface FieldChange {
  /** Path inside the entry, e.g. `attack` or `keywords.thorns`. */
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** One entry (or singleton section) that differs. `id` is null for singleton sections. */
export interface DiffEntry {
  readonly section: string;
  readonly id: string | null;
  readonly kind: 'added' | 'removed' | 'changed';
  /** Changed fields (for `changed`). */
  readonly fields: readonly FieldChange[];
}

/** The differences between two versions, sections in schema order, ids sorted. */
export interface GameDataDiff {
  readonly entries: readonly DiffEntry[];
}

/** Per-section counts of a diff. */
export type DiffSummary = Readonly<Record<string, { readonly added: number; readonly removed: number; readonly changed: number }>>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fieldChanges(before: unknown, after: unknown, path: PropertyKey[], out: FieldChange[]): void {
  if (canonicalJson(before ?? null) === canonicalJson(after ?? null)) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    for (const k of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort())
      fieldChanges(before[k], after[k], [...path, k], out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    for (let i = 0; i < before.length; i++) fieldChanges(before[i], after[i], [...path, i], out);
    return;
  }
  out.push({ path: formatPath(path), before, after });
}

/** Diffs two versions; `before` null means everything is added (the first publish). */
export function diffGameData(before: GameData | null, after: GameData): GameDataDiff {
  const entries: DiffEntry[] = [];
  for (const section of SINGLETON_SECTIONS) {
    const fields: FieldChange[] = [];
    fieldChanges(before?.[section] ?? null, after[section], [], fields);
    if (before === null) entries.push({ section, id: null, kind: 'added', fields: [] });
    else if (fields.length > 0) entries.push({ section, id: null, kind: 'changed', fields });
  }
  for (const section of LIST_SECTIONS) {
    const a = new Map<string, unknown>(((before?.[section] ?? []) as { id: string }[]).map((x) => [x.id, x]));
    const b = new Map<string, unknown>((after[section] as { id: string }[]).map((x) => [x.id, x]));
    for (const id of [...new Set([...a.keys(), ...b.keys()])].sort()) {
      if (!a.has(id)) entries.push({ section, id, kind: 'added', fields: [] });
      else if (!b.has(id)) entries.push({ section, id, kind: 'removed', fields: [] });
      else {
        const fields: FieldChange[] = [];
        fieldChanges(a.get(id), b.get(id), [], fields);
        if (fields.length > 0) entries.push({ section, id, kind: 'changed', fields });
      }
    }
  }
  return { entries };
}

/** Counts a diff per section. */
export function summarizeDiff(diff: GameDataDiff): DiffSummary {
  const out: Record<string, { added: number; removed: number; changed: number }> = {};
  for (const e of diff.entries) {
    const s = out[e.section] ?? { added: 0, removed: 0, changed: 0 };
    s[e.kind] += 1;
    out[e.section] = s;
  }
  return out;
}

/** Human-readable lines, e.g. `~ cards/ember-imp attack: 2 -> 3`. */
export function formatDiff(diff: GameDataDiff): string[] {
  const lines: string[] = [];
  for (const e of diff.entries) {
    const name = e.id === null ? e.section : `${e.section}/${e.id}`;
    if (e.kind === 'added') lines.push(`+ ${name}`);
    else if (e.kind === 'removed') lines.push(`- ${name}`);
    else for (const f of e.fields) lines.push(`~ ${name} ${f.path}: ${JSON.stringify(f.before)} -> ${JSON.stringify(f.after)}`);
  }
  return lines;
}
