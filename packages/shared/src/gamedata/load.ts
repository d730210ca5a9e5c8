/**
 * Loads game data from file texts: parse YAML (keeping positions), validate each file with the zod schemas,
 * merge sections across files, then run the cross-reference checks. No file system access: callers pass
 * `{ path, text }` pairs (the CLI reads `gamedata/`, a server might read a published snapshot).
 */

import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import {
  type GameData,
  type GameDataFile,
  gameDataFileSchema,
  LIST_SECTIONS,
  type ListSection,
  SINGLETON_SECTIONS,
  type SingletonSection,
} from '../schemas/gamedata/file.ts';
import { type Diagnostic, formatPath, type Severity } from './diagnostics.ts';
import { locate, type ParsedSource } from './locate.ts';
import { crossCheck } from './xref.ts';

/** A game-data file's path (as it should appear in messages) and its text. */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

/** The outcome of loading: data when there are no errors, and every diagnostic (errors and warnings) in order. */
export interface LoadResult {
  readonly data: GameData | null;
  readonly diagnostics: readonly Diagnostic[];
  /** Where each entry came from, `section:id` -> file and index, for tools that point designers at entries. */
  readonly origins: ReadonlyMap<string, { readonly file: string; readonly index: number }>;
}

type Issue = z.core.$ZodIssue;

/**
 * Flattens zod union failures into the issues of the branch that fits best (the one whose shape matched, with the
 * fewest issues), so designers see "cards[3].keywords[1].thorns: Too small" rather than "Invalid input".
 */
function flattenIssues(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): { path: PropertyKey[]; message: string }[] {
  const out: { path: PropertyKey[]; message: string }[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const shaped = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && i.code === 'invalid_type'));
      const pick = (shaped.length > 0 ? shaped : issue.errors).reduce((a, b) => (b.length < a.length ? b : a));
      if (shaped.length > 0) {
        out.push(...flattenIssues(pick, path));
        continue;
      }
      const expected = [
        ...new Set(
          issue.errors.flatMap((b) => b.filter((i) => i.code === 'invalid_type').map((i) => (i as { expected: string }).expected)),
        ),
      ];
      out.push({ path, message: `expected ${expected.join(' or ')}` });
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...path, key], message: `unknown field "${key}"` });
      continue;
    }
    if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
      out.push({ path, message: `missing field "${String(path.at(-1))}" (expected ${issue.expected})` });
      continue;
    }
    out.push({ path, message: issue.message });
  }
  return out;
}

/** Loads and checks a set of game-data files. `data` is null when any error was found. */
export function loadGameData(files: readonly SourceFile[]): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, ParsedSource>();
  const origins = new Map<string, { file: string; index: number }>();
  const singletonFile = new Map<SingletonSection, string>();
  const lists: Record<ListSection, unknown[]> = {
    cards: [],
    items: [],
    crops: [],
    recipes: [],
    biomes: [],
    perks: [],
    parcels: [],
    avatars: [],
  };
  const singles: Partial<Record<SingletonSection, unknown>> = {};

  const at = (severity: Severity, code: string, file: string, path: readonly PropertyKey[], message: string) => {
    const source = sources.get(file);
    const pos = source ? locate(source, path) : { line: 0, column: 0 };
    diagnostics.push({ severity, code, file, line: pos.line, column: pos.column, path: formatPath(path), message });
  };

  let schemaFailed = false;
  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    const lines = new LineCounter();
    const doc = parseDocument(file.text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    sources.set(file.path, { file: file.path, doc, lines });
    for (const [severity, list] of [
      ['error', doc.errors],
      ['warning', doc.warnings],
    ] as const) {
      for (const e of list) {
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        diagnostics.push({
          severity,
          code: 'YAML',
          file: file.path,
          line: pos.line,
          column: pos.col,
          path: '',
          message: e.message.split('\n')[0] ?? e.code,
        });
      }
    }
    if (doc.errors.length > 0) {
      schemaFailed = true;
      continue;
    }
    const parsed = gameDataFileSchema.safeParse(doc.toJS({ maxAliasCount: 100 }) ?? {});
    if (!parsed.success) {
      schemaFailed = true;
      for (const f of flattenIssues(parsed.error.issues)) at('error', 'SCHEMA', file.path, f.path, f.message);
      continue;
    }
    const content: GameDataFile = parsed.data;
    for (const section of SINGLETON_SECTIONS) {
      if (content[section] === undefined) continue;
      const first = singletonFile.get(section);
      if (first !== undefined) at('error', 'DUPLICATE_SECTION', file.path, [section], `"${section}" is already defined in ${first}`);
      else {
        singletonFile.set(section, file.path);
        singles[section] = content[section];
      }
    }
    for (const section of LIST_SECTIONS) {
      const entries = (content[section] ?? []) as { id: string }[];
      entries.forEach((entry, index) => {
        const key = `${section}:${entry.id}`;
        const first = origins.get(key);
        if (first) {
          at('error', 'DUPLICATE_ID', file.path, [section, index, 'id'], `${section} id "${entry.id}" is already used in ${first.file}`);
          return;
        }
        origins.set(key, { file: file.path, index });
        lists[section].push(entry);
      });
    }
  }

  for (const section of SINGLETON_SECTIONS) {
    if (!singletonFile.has(section) && !schemaFailed) {
      diagnostics.push({
        severity: 'error',
        code: 'MISSING_SECTION',
        file: '(game data)',
        line: 0,
        column: 0,
        path: section,
        message: `no file defines "${section}"`,
      });
    }
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { data: null, diagnostics, origins };

  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const data = {
    ...singles,
    ...Object.fromEntries(LIST_SECTIONS.map((s) => [s, (lists[s] as { id: string }[]).slice().sort(byId)])),
  } as unknown as GameData;

  for (const f of crossCheck(data)) {
    if (f.at.id === undefined) {
      at(
        f.severity,
        f.code,
        singletonFile.get(f.at.section as SingletonSection) ?? '(game data)',
        [f.at.section, ...(f.at.sub ?? [])],
        f.message,
      );
    } else {
      const origin = origins.get(`${f.at.section}:${f.at.id}`);
      if (origin) at(f.severity, f.code, origin.file, [f.at.section, origin.index, ...(f.at.sub ?? [])], f.message);
    }
  }
  const failed = diagnostics.some((d) => d.severity === 'error');
  return { data: failed ? null : data, diagnostics, origins };
}
