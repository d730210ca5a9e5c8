import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from './node-flags.ts';

describe('instance server V8 flags', () => {
  it("the package's start script passes the same flags as the other launchers", () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
    expect(pkg.scripts.start).toBe(`node ${NODE_FLAGS.join(' ')} src/server.ts`);
  });
});
