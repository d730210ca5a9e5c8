/**
 * Runs the Prisma CLI from node_modules offline, with this project's schema engine (../engine/schema-engine.mjs).
 *
 *   node prisma/scripts/prisma.ts <prisma args...>      (or `npm run prisma -w @harvest/prisma -- <args...>`)
 *
 * The exit code is the CLI's. Without `--config`, prisma/prisma.config.ts is used whatever the working directory.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PRISMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Absolute path of the schema engine wrapper given to the CLI as PRISMA_SCHEMA_ENGINE_BINARY. */
export const SCHEMA_ENGINE_PATH = join(PRISMA_DIR, 'engine', 'schema-engine.mjs');

/** Absolute path of prisma/prisma.config.ts. */
export const PRISMA_CONFIG_PATH = join(PRISMA_DIR, 'prisma.config.ts');

const PRISMA_CLI_PATH = join(dirname(createRequire(import.meta.url).resolve('prisma/package.json')), 'build', 'index.js');

/**
 * The environment the Prisma CLI needs here: the offline engine, no update checks or telemetry, and this Node
 * first on PATH (the engine's `#!/usr/bin/env node` must find Node 24, not an older system node).
 */
export function prismaEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    PATH: [dirname(process.execPath), base.PATH].filter(Boolean).join(delimiter),
    PRISMA_SCHEMA_ENGINE_BINARY: SCHEMA_ENGINE_PATH,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
    PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: '1',
  };
}

/** The CLI arguments with `--config prisma/prisma.config.ts` added unless a config was given. */
export function withConfig(args: readonly string[]): string[] {
  const hasConfig = args.some((a) => a === '--config' || a.startsWith('--config='));
  const wantsConfig = args.length > 0 && !['-v', '--version', '-h', '--help', 'help', 'version'].includes(args[0] ?? '');
  return hasConfig || !wantsConfig ? [...args] : [...args, '--config', PRISMA_CONFIG_PATH];
}

export interface PrismaRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the Prisma CLI with `args` and resolves with its exit code and captured output (never rejects on a
 * non-zero exit). `env` is merged over process.env.
 */
export function runPrisma(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<PrismaRun> {
  const child = spawn(process.execPath, [PRISMA_CLI_PATH, ...withConfig(args)], {
    cwd: options.cwd ?? process.cwd(),
    env: prismaEnv({ ...process.env, ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

if (import.meta.main) {
  const child = spawn(process.execPath, [PRISMA_CLI_PATH, ...withConfig(process.argv.slice(2))], {
    env: prismaEnv(),
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    process.stderr.write(`could not start the Prisma CLI: ${error.message}\n`);
    process.exit(1);
  });
  child.on('close', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
