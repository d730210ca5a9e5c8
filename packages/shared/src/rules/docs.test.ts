import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// TSDoc on every export of the rules, schemas and game-data loaders (STYLE.md: "TSDoc on every export of
// packages/shared"). Re-exports (`export * from`) are exempt: the original declaration carries the doc.
const SRC = join(import.meta.dirname, '..');
const ROOTS = ['rules', 'schemas', 'gamedata'].map((d) => join(SRC, d));

/** Exported declarations in `text` that have no `/** ... *\/` comment. */
function undocumentedExports(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const missing: string[] = [];
  for (const st of sf.statements) {
    const exported = ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (!exported) continue;
    const docs = ts.getJSDocCommentsAndTags(st).length > 0 || /\/\*\*[\s\S]*?\*\/\s*$/.test(text.slice(0, st.getStart(sf)));
    if (docs) continue;
    const name = ts.isVariableStatement(st)
      ? st.declarationList.declarations.map((d) => d.name.getText(sf)).join(',')
      : ((st as { name?: ts.Node }).name?.getText(sf) ?? '?');
    missing.push(`${fileName}:${sf.getLineAndCharacterOfPosition(st.getStart(sf)).line + 1} ${name}`);
  }
  return missing;
}

describe('documentation', () => {
  it('the checker notices a missing doc comment', () => {
    expect(undocumentedExports('x.ts', 'export const a = 1;\n/** Doc. */\nexport function b() {}\nexport type C = 1;')).toEqual([
      'x.ts:1 a',
      'x.ts:4 C',
    ]);
  });
  it('every export of rules, schemas and gamedata has TSDoc', () => {
    const files = ROOTS.flatMap((dir) =>
      readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
        .map((e) => join(e.parentPath, e.name)),
    );
    const missing = files.flatMap((f) => undocumentedExports(relative(SRC, f), readFileSync(f, 'utf8')));
    expect(missing).toEqual([]);
  });
});
