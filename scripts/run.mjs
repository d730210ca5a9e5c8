#!/usr/bin/env node
// Entry point of every root npm script. Plain JavaScript that runs on the Node a fresh machine has (20 here):
// it makes sure Node 24 and the dependencies are present, then hands over to the TypeScript tooling under Node 24.
//
//   node scripts/run.mjs start          the whole stack on embedded defaults (scripts/stack/start.ts)
//   node scripts/run.mjs test           every test suite, ending with "N passed, N failed" (scripts/test.ts)
//   node scripts/run.mjs exec CMD ...   any command with Node 24 and node_modules/.bin first on PATH
//
// Node 24 comes from the npm registry's `node` package into .tools/node (git-ignored); nothing is installed
// globally. Dependencies are (re)installed when package-lock.json or a package.json changed since the last run.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NODE_MAJOR = 24;
const TOOLS_NODE_DIR = join(ROOT, '.tools', 'node');
const TOOLS_NODE_BIN = join(TOOLS_NODE_DIR, 'node_modules', 'node', 'bin');
/** A root `.env` (see .env.example), when present, configures the start and test commands and every app. */
const ENV_FILE_ARGS = existsSync(join(ROOT, '.env')) ? [`--env-file=${join(ROOT, '.env')}`] : [];
const INSTALL_STAMP = join(ROOT, 'node_modules', '.harvest-install-stamp');

function say(line) {
  process.stderr.write(`[harvest] ${line}\n`);
}

function fail(line) {
  say(line);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...options });
  if (result.error) fail(`${cmd} could not start: ${result.error.message}`);
  return result.status ?? 1;
}

function currentMajor() {
  return Number(process.versions.node.split('.')[0]);
}

/** Re-runs this script under Node 24 from .tools/node, fetching it from the npm registry the first time. */
function reexecUnderNode24() {
  const nodeBin = join(TOOLS_NODE_BIN, 'node');
  if (!existsSync(nodeBin)) {
    say(`Node ${process.versions.node} is older than ${NODE_MAJOR}; fetching Node ${NODE_MAJOR} from the npm registry into .tools/node`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const status = run(npm, [
      'install',
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--prefix',
      TOOLS_NODE_DIR,
      `node@${NODE_MAJOR}`,
    ]);
    if (status !== 0 || !existsSync(nodeBin)) fail(`could not install node@${NODE_MAJOR} from the npm registry (npm exited ${status})`);
  }
  return forward(nodeBin, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], withPath(TOOLS_NODE_BIN));
}

function withPath(...dirs) {
  const sep = process.platform === 'win32' ? ';' : ':';
  return { ...process.env, PATH: [...dirs, process.env.PATH ?? ''].join(sep) };
}

/** Runs a child with our stdio, passes signals on, and exits with its code once it is gone. */
function forward(cmd, args, env) {
  const child = spawn(cmd, args, { cwd: process.cwd(), stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('error', (error) => fail(`${cmd} could not start: ${error.message}`));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (osConstants.signals[signal] ?? 1)));
  // npm passes SIGTERM to the shell it ran us with, and the shell dies without passing it on: we would live on as
  // an orphan with the whole stack. When our parent goes away, stop the child as if we had been signalled.
  const parent = process.ppid;
  const watchdog = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(watchdog);
      child.kill('SIGTERM');
    }
  }, 250);
  watchdog.unref();
}

function manifestsHash() {
  const hash = createHash('sha256');
  const files = ['package.json', 'package-lock.json'];
  for (const group of ['apps', 'packages', 'tools']) {
    const dir = join(ROOT, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) files.push(join(group, name, 'package.json'));
  }
  files.push('prisma/package.json', 'contracts/package.json', 'gamedata/package.json', 'prisma/schema.prisma');
  for (const file of files) {
    const path = join(ROOT, file);
    if (existsSync(path)) hash.update(file).update(readFileSync(path));
  }
  return hash.digest('hex');
}

/**
 * Installs dependencies when the manifests changed since the last successful install, then generates the Prisma
 * client. `npm ci` is not usable here (TOOLCHAIN.md: the lock lacks Hardhat EDR's other-platform packages), and
 * `npm install` with the committed lock leaves it unchanged.
 */
function ensureDependencies() {
  const wanted = manifestsHash();
  const have = existsSync(INSTALL_STAMP) ? readFileSync(INSTALL_STAMP, 'utf8').trim() : '';
  if (have === wanted) return;
  say('installing dependencies (npm install)');
  const env = withPath(dirname(process.execPath));
  let status = run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { env });
  if (status !== 0) fail(`npm install failed (exit ${status}); see the messages above`);
  if (existsSync(join(ROOT, 'prisma', 'scripts', 'prisma.ts'))) {
    say('generating the Prisma client');
    status = run(process.execPath, ['prisma/scripts/prisma.ts', 'generate'], { env });
    if (status !== 0) fail(`prisma generate failed (exit ${status})`);
  }
  writeFileSync(INSTALL_STAMP, `${wanted}\n`);
}

function main() {
  if (currentMajor() < NODE_MAJOR) return reexecUnderNode24();
  ensureDependencies();
  const [command, ...rest] = process.argv.slice(2);
  const env = withPath(dirname(process.execPath), join(ROOT, 'node_modules', '.bin'));
  env.TURBO_TELEMETRY_DISABLED = '1';
  env.CHECKPOINT_DISABLE = '1';
  switch (command) {
    case 'start':
      return forward(process.execPath, [...ENV_FILE_ARGS, join(ROOT, 'scripts/stack/start.ts'), ...rest], env);
    case 'test':
      return forward(process.execPath, [...ENV_FILE_ARGS, join(ROOT, 'scripts/test.ts'), ...rest], env);
    case 'exec':
      if (rest.length === 0) fail('usage: node scripts/run.mjs exec <command> [args...]');
      return forward(rest[0], rest.slice(1), env);
    case 'turbo':
      return forward(join(ROOT, 'node_modules', '.bin', 'turbo'), rest, env);
    default:
      fail(`unknown command "${command ?? ''}": use start, test, exec or turbo`);
  }
}

main();
