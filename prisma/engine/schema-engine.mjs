#!/usr/bin/env node
// Entry point named by PRISMA_SCHEMA_ENGINE_BINARY (see prisma/scripts/prisma.ts). Plain JavaScript so that an
// older `node` first on PATH fails with a readable message instead of a syntax error: the engine itself is
// TypeScript (./main.ts), run by Node's type stripping (Node >= 22.18 / 23.6).
if (!process.features?.typescript) {
  const message = `The Prisma schema engine wrapper needs Node.js 24 (found ${process.version} at ${process.execPath}); put Node 24 first on PATH or run the CLI through prisma/scripts/prisma.ts.`;
  process.stderr.write(`${JSON.stringify({ level: 'ERROR', fields: { message }, target: 'schema_engine::logger' })}\n`);
  process.exit(1);
}
await import('./main.ts');
