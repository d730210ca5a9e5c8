import { defineProject } from 'vitest/config';

// Files run one at a time (a shared Hardhat node, child minters) to stay within two cores.
export default defineProject({
  test: {
    name: 'minter',
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/global-chain.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
