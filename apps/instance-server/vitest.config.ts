import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'instance-server', include: ['test/**/*.test.ts', 'src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
