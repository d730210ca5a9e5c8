import { defineProject } from 'vitest/config';

// Property tests play hundreds of random games on the CPU: "random legal games keep every invariant" takes 2.4 s alone
// on this 2-core machine and over 5 s (vitest's default timeout) when other test files or the host share the cores;
// a CI run failed it that way. The timeout is the other packages' (30 s); the tests' assertions are unchanged.
export default defineProject({ test: { name: 'shared', include: ['src/**/*.test.ts'], testTimeout: 30_000 } });
