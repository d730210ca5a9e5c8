import { defineProject } from 'vitest/config';

// Hardhat nodes and child minters: files run one at a time (each starts its own chain) to stay within two cores.
export default defineProject({
  test: { name: 'minter', include: ['test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000, fileParallelism: false },
});
