import { defineProject } from 'vitest/config';

// These tests run the real Prisma CLI (1-2 s per command) against DATABASE_URL, a server where they may
// CREATE DATABASE.
export default defineProject({
  test: { name: 'prisma', include: ['test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
