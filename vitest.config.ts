import { defineConfig } from 'vitest/config';

// One vitest run covers every TypeScript workspace; contracts run under node:test (see scripts/test.ts).
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'prisma', 'tools/*'],
  },
});
