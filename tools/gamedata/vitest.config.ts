import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'gamedata-tools',
    include: ['test/**/*.test.ts'],
    // The database tests' first test database may have to migrate its template through the Prisma CLI.
    hookTimeout: 120_000,
    testTimeout: 60_000,
  },
});
