import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'gamedata-tools', include: ['test/**/*.test.ts'] } });
