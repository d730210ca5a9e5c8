import { defineProject } from 'vitest/config';

// Hardhat nodes and child indexers: files run one at a time (each starts its own chain) to stay within two cores.
export default defineProject({
  test: {
    name: 'indexer',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
