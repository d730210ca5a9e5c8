import { defineProject } from 'vitest/config';

// Several tests start processes (relays, consumers, the CLI) and wait for brokers: give them room on a busy machine.
export default defineProject({
  test: { name: 'bus', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 },
});
