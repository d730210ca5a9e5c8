import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'db',
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Generates the Prisma client when it is missing or older than prisma/schema.prisma.
    globalSetup: ['./test/generate-client.ts'],
    // The first test database of a run may have to migrate its template through the Prisma CLI (a few seconds).
    hookTimeout: 120_000,
  },
});
