import { defineProject } from 'vitest/config';

// Each file starts its own Hardhat node (and indexer, browser): files run one at a time to stay within two cores.
export default defineProject({
  test: {
    name: 'marketplace',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
