import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MIGRATIONS_DIR } from '../scripts/migrate.ts';
import { PRISMA_CONFIG_PATH, prismaEnv, SCHEMA_ENGINE_PATH } from '../scripts/prisma.ts';

export const SCHEMA_PATH = join(PRISMA_CONFIG_PATH, '..', 'schema.prisma');

/** The server the tests may create databases on. */
export function serverUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL must point at a PostgreSQL server where the tests may CREATE DATABASE');
  return url;
}

export function urlOfDatabase(database: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

/** A database name no other test uses; `dropDatabases` removes it. */
export function uniqueDatabaseName(label: string): string {
  return `harvest_prisma_test_${label}_${randomBytes(5).toString('hex')}`;
}

export async function query<R extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

export async function databaseExists(name: string): Promise<boolean> {
  return (await query(serverUrl(), 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).length === 1;
}

export async function dropDatabases(names: Iterable<string>): Promise<void> {
  for (const name of names) await query(serverUrl(), `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
}

/**
 * A scratch copy of prisma/ (schema, migrations, a config without imports) in a temporary directory, so a test
 * can add migrations or edit the schema without touching the committed ones.
 */
export async function copyPrismaDir(): Promise<{ dir: string; configPath: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'harvest-prisma-'));
  await cp(MIGRATIONS_DIR, join(dir, 'migrations'), { recursive: true });
  await cp(SCHEMA_PATH, join(dir, 'schema.prisma'));
  const configPath = join(dir, 'prisma.config.ts');
  await writeFile(
    configPath,
    "export default { schema: 'schema.prisma', migrations: { path: 'migrations' }, datasource: { url: process.env.DATABASE_URL } };\n",
  );
  return { dir, configPath, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface EngineSession {
  /** Sends one JSON-RPC request and resolves with its response (result or error). */
  request(method: string, params?: unknown): Promise<{ result?: unknown; error?: { message: string; data?: { message?: string } } }>;
  /** Closes stdin and resolves with the exit code and everything written to stderr. */
  close(): Promise<{ code: number | null; stderr: string }>;
}

/** Starts the schema engine wrapper directly, as the Prisma CLI does. */
export function startEngine(args: string[]): EngineSession {
  const child = spawn(SCHEMA_ENGINE_PATH, args, { env: prismaEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const waiting = new Map<number, (response: object) => void>();
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const message = JSON.parse(buffered.slice(0, newline)) as { id: number; method?: string };
      buffered = buffered.slice(newline + 1);
      if (message.method === 'print') child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: message.id, result: {} })}\n`);
      else waiting.get(message.id)?.(message);
      newline = buffered.indexOf('\n');
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let nextId = 1;
  return {
    request(method, params) {
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve as (response: object) => void);
        child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
      });
    },
    async close() {
      child.stdin.end();
      return { code: await exited, stderr };
    },
  };
}
