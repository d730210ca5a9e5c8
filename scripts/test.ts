// `npm test`: every suite of every workspace against real PostgreSQL and Redis (started by the same code as
// `npm start`, on a throw-away cluster), plus the repository checks. Ends with `N passed, N failed` (totals over
// every runner) alone on the last line; exits non-zero when anything failed.
//
//   npm test                      everything
//   npm test -- --only vitest     one runner (checks, vitest, contracts); more --only flags add more
//   npm test -- -- <vitest args>  passes the rest to vitest (e.g. a file filter)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Infra, ROOT, readStackEnv, startInfra } from './stack/infra.ts';
import { dieWith, say } from './stack/log.ts';

interface Tally {
  runner: string;
  passed: number;
  failed: number;
  seconds: number;
  /** What failed, one line each, printed again beside the totals: a CI log is often read from its tail only. */
  failures: string[];
}

/** The first line of a failure message, short enough for a summary. */
function firstLine(message: string | undefined): string {
  const line = (message ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

const BIN = join(ROOT, 'node_modules', '.bin');

function timed<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const value = fn();
  return [value, (performance.now() - start) / 1000];
}

/** Repository checks, each counted as one test: the migration drift check, the type check and the linter. */
function runChecks(env: NodeJS.ProcessEnv): Tally {
  const checks: Array<[string, string, string[], string]> = [
    [
      'prisma migration drift',
      process.execPath,
      [
        'prisma/scripts/prisma.ts',
        'migrate',
        'diff',
        '--from-migrations',
        'prisma/migrations',
        '--to-schema',
        'prisma/schema.prisma',
        '--exit-code',
      ],
      join(ROOT, 'prisma', 'scripts', 'prisma.ts'),
    ],
    ['typecheck (every workspace)', join(BIN, 'turbo'), ['run', 'typecheck', '--output-logs=errors-only'], join(BIN, 'turbo')],
    ['lint and format (biome)', join(BIN, 'biome'), ['ci', '.'], join(ROOT, 'biome.json')],
  ];
  const tally: Tally = { runner: 'checks', passed: 0, failed: 0, seconds: 0, failures: [] };
  for (const [name, cmd, args, needs] of checks) {
    if (!existsSync(needs)) continue;
    const [result, seconds] = timed(() => spawnSync(cmd, args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
    tally.seconds += seconds;
    if (result.status === 0) {
      tally.passed++;
      say(`check passed: ${name} (${seconds.toFixed(1)} s)`);
    } else {
      tally.failed++;
      tally.failures.push(`${name} (exit ${result.status})`);
      process.stdout.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
      say(`check FAILED: ${name} (exit ${result.status})`);
    }
  }
  return tally;
}

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  testResults: Array<{
    status: string;
    name: string;
    assertionResults: Array<{ status: string; fullName: string; failureMessages?: string[] }>;
    message?: string;
  }>;
}

function runVitest(env: NodeJS.ProcessEnv, extra: string[]): Tally {
  const out = join(ROOT, '.data', 'test-results', 'vitest.json');
  mkdirSync(join(ROOT, '.data', 'test-results'), { recursive: true });
  rmSync(out, { force: true });
  const [result, seconds] = timed(() =>
    spawnSync(join(BIN, 'vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...extra], {
      cwd: ROOT,
      env,
      stdio: 'inherit',
    }),
  );
  if (!existsSync(out)) {
    say(`vitest wrote no report (exit ${result.status}); counting it as one failure`);
    return { runner: 'vitest', passed: 0, failed: 1, seconds, failures: [`no report (exit ${result.status})`] };
  }
  const report = JSON.parse(readFileSync(out, 'utf8')) as VitestReport;
  const failures: string[] = [];
  let brokenFiles = 0;
  for (const file of report.testResults) {
    const where = relative(ROOT, file.name);
    // A file that fails to load has no test results; count each such file as a failure so it cannot hide.
    if (file.status === 'failed' && file.assertionResults.length === 0) {
      brokenFiles++;
      failures.push(`${where}: ${firstLine(file.message)}`);
    }
    for (const test of file.assertionResults) {
      if (test.status === 'failed') failures.push(`${where} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
    }
  }
  const failed = report.numFailedTests + brokenFiles;
  if (failed === 0 && result.status !== 0) {
    return { runner: 'vitest', passed: report.numPassedTests, failed: 1, seconds, failures: [`vitest exited ${result.status}`] };
  }
  return { runner: 'vitest', passed: report.numPassedTests, failed, seconds, failures };
}

function runContracts(env: NodeJS.ProcessEnv): Tally | undefined {
  const script = join(ROOT, 'contracts', 'scripts', 'test.ts');
  if (!existsSync(script)) return undefined;
  const [result, seconds] = timed(() =>
    spawnSync(process.execPath, [script], { cwd: join(ROOT, 'contracts'), env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }),
  );
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  process.stdout.write(output);
  // node:test's TAP names each failing test (and each suite holding one) on a `not ok` line.
  const failures = [...output.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((m) => m[1] as string);
  const match = /^contracts: (\d+) passed, (\d+) failed$/m.exec(output);
  if (!match) return { runner: 'contracts', passed: 0, failed: 1, seconds, failures: [...failures, 'no totals printed'] };
  const failed = Number(match[2]) + (result.status !== 0 && Number(match[2]) === 0 ? 1 : 0);
  if (failed > 0 && failures.length === 0) failures.push(`exit ${result.status}`);
  return { runner: 'contracts', passed: Number(match[1]), failed, seconds, failures };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--') args.shift();
  const dashDash = args.indexOf('--');
  const vitestArgs = dashDash >= 0 ? args.slice(dashDash + 1) : [];
  const own = dashDash >= 0 ? args.slice(0, dashDash) : args;
  const only = new Set(own.flatMap((arg, i) => (arg === '--only' && own[i + 1] ? [own[i + 1] as string] : [])));
  const wants = (runner: string) => only.size === 0 || only.has(runner);

  const env = readStackEnv();
  const infra: Infra = await startInfra(env, 'test');
  const stop = async () => infra.stop();
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  process.on('SIGTERM', () => void stop().then(() => process.exit(143)));

  const testEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: infra.postgres.url,
    REDIS_URL: infra.redis.url,
    TURBO_TELEMETRY_DISABLED: '1',
  };
  const tallies: Tally[] = [];
  try {
    if (wants('checks')) tallies.push(runChecks(testEnv));
    if (wants('vitest')) tallies.push(runVitest(testEnv, vitestArgs));
    if (wants('contracts')) {
      const contracts = runContracts(testEnv);
      if (contracts) tallies.push(contracts);
    }
  } finally {
    await infra.stop();
  }
  const passed = tallies.reduce((sum, t) => sum + t.passed, 0);
  const failed = tallies.reduce((sum, t) => sum + t.failed, 0);
  for (const t of tallies) {
    for (const failure of t.failures.slice(0, 20)) say(`FAILED ${t.runner}: ${failure}`);
    if (t.failures.length > 20) say(`FAILED ${t.runner}: ... and ${t.failures.length - 20} more`);
  }
  for (const t of tallies) say(`${t.runner.padEnd(10)} ${t.passed} passed, ${t.failed} failed (${t.seconds.toFixed(1)} s)`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

main().catch(dieWith);
