import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The rules, the game-data schemas and the pure game-data loaders must run anywhere and replay exactly:
// no I/O or platform modules, no server frameworks, no hidden clock or randomness.
const ROOTS = ['rules', 'schemas', 'gamedata'].map((d) => join(import.meta.dirname, '..', d));
const FORBIDDEN_PACKAGES = [
  /^node:/,
  /^fastify($|\/)/,
  /^@fastify\//,
  /^prisma($|\/)/,
  /^@prisma\//,
  /^colyseus($|\/)/,
  /^@colyseus\//,
  /^viem($|\/)/,
];
const BUILTINS = new Set(builtinModules);
const FORBIDDEN_CALLS = ['Math.random', 'Date.now', 'performance.now', 'crypto.getRandomValues', 'crypto.randomUUID', 'process.hrtime'];

/** Problems in one source text: forbidden imports (static, dynamic, require), clock and randomness reads. */
function findImpurities(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const problems: string[] = [];
  const where = (n: ts.Node) => `${fileName}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
  const checkSpecifier = (spec: string, n: ts.Node) => {
    if (FORBIDDEN_PACKAGES.some((re) => re.test(spec)) || BUILTINS.has(spec)) problems.push(`${where(n)} imports ${spec}`);
  };
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      checkSpecifier(n.moduleSpecifier.text, n);
    }
    if (ts.isCallExpression(n)) {
      const callee = n.expression;
      const arg = n.arguments[0];
      if (
        (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) &&
        arg &&
        ts.isStringLiteral(arg)
      ) {
        checkSpecifier(arg.text, n);
      }
    }
    if (ts.isPropertyAccessExpression(n) && FORBIDDEN_CALLS.includes(n.getText(sf).replace(/\s+/g, ''))) {
      problems.push(`${where(n)} uses ${n.getText(sf)}`);
    }
    if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'Date' && (n.arguments?.length ?? 0) === 0) {
      problems.push(`${where(n)} reads the clock with new Date()`);
    }
    if (ts.isIdentifier(n) && n.text === 'process' && !ts.isPropertyAssignment(n.parent)) problems.push(`${where(n)} touches process`);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return problems;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('purity of rules, schemas and loaders', () => {
  it('the checker catches each kind of impurity', () => {
    const bad = [
      "import { readFileSync } from 'node:fs';",
      "import fs from 'fs';",
      "export { x } from 'fastify';",
      "import { PrismaClient } from '@prisma/client';",
      "import { Room } from 'colyseus';",
      "import { createPublicClient } from 'viem';",
      "const m = await import('node:crypto');",
      'const r = Math.random();',
      'const t = Date.now();',
      'const d = new Date();',
      'const e = process.env.X;',
    ];
    for (const line of bad) expect(findImpurities('fixture.ts', line), line).toHaveLength(1);
    const fine = "// Math.random and Date.now are banned\nimport { z } from 'zod';\nconst s = 'node:fs';\nconst d = new Date(0);";
    expect(findImpurities('fixture.ts', fine)).toEqual([]);
  });

  it('no rule, schema or loader file imports I/O, servers or chains, or reads the clock or Math.random', () => {
    const files = ROOTS.flatMap(sourceFiles);
    expect(files.length).toBeGreaterThan(10);
    const problems = files.flatMap((f) => findImpurities(relative(join(import.meta.dirname, '..'), f), readFileSync(f, 'utf8')));
    expect(problems).toEqual([]);
  });
});
