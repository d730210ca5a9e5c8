import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One vitest run covers every TypeScript workspace; contracts run under node:test (see scripts/test.ts).
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'prisma', 'tools/*'],
    // Vitest's default is one worker per core but one: on two cores, one file at a time. Most files wait on servers,
    // child processes and PostgreSQL, not the CPU, so two at a time finish sooner (figures in the README's Tests).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
