// The contracts test command, readable by CI: builds, runs the TypeScript tests with `node --test` (TAP totals
// `# pass N` / `# fail N`) and the Solidity fuzz and invariant tests with `hardhat test solidity`, then prints
// `contracts: N passed, N failed` summing both runners as its last line. Exits non-zero when anything failed.
//
//   node scripts/test.ts
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACTS_DIR, hardhatBin } from './lib/hardhat-bin.ts';

interface Tally {
  passed: number;
  failed: number;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are control characters by definition.
const ANSI = /\u001b\[[0-9;]*m/g;
const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };

function run(args: string[]): { status: number; output: string } {
  const result = spawnSync(process.execPath, args, { cwd: CONTRACTS_DIR, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.replace(ANSI, '');
  process.stdout.write(output);
  return { status: result.status ?? 1, output };
}

/** Last `<label> N` line of `output` (TAP totals), or undefined. */
function lastCount(output: string, pattern: RegExp): number | undefined {
  const matches = [...output.matchAll(pattern)];
  const last = matches.at(-1);
  return last ? Number(last[1]) : undefined;
}

function build(): boolean {
  return run([hardhatBin(), 'build']).status === 0;
}

function typescriptTests(): Tally {
  const files = readdirSync(join(CONTRACTS_DIR, 'test'))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join('test', name));
  const { status, output } = run(['--test', '--test-reporter=tap', ...files]);
  const passed = lastCount(output, /^# pass (\d+)$/gm);
  const failed = lastCount(output, /^# fail (\d+)$/gm);
  if (passed === undefined || failed === undefined) return { passed: passed ?? 0, failed: Math.max(1, failed ?? 0) };
  // A crash outside any test (e.g. a file that does not load) exits non-zero with no failing test: count it.
  return { passed, failed: failed === 0 && status !== 0 ? 1 : failed };
}

function solidityTests(): Tally {
  const { status, output } = run([hardhatBin(), 'test', 'solidity', '--no-compile']);
  // Hardhat's Solidity reporter ends with "N passing", then "N failing" and "N skipped" when there are any.
  const passed = lastCount(output, /^\s*(\d+) passing/gm);
  const failed = lastCount(output, /^\s*(\d+) failing/gm) ?? 0;
  if (passed === undefined) return { passed: 0, failed: Math.max(1, failed) };
  return { passed, failed: failed === 0 && status !== 0 ? 1 : failed };
}

const tallies: Tally[] = [];
if (build()) {
  tallies.push(typescriptTests(), solidityTests());
} else {
  tallies.push({ passed: 0, failed: 1 });
}
const passed = tallies.reduce((sum, t) => sum + t.passed, 0);
const failed = tallies.reduce((sum, t) => sum + t.failed, 0);
process.stdout.write(`contracts: ${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
