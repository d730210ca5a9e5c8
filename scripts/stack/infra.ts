// Infrastructure shared by the start and test commands, so both run on the same code paths.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getChain, supportedChainIds } from '@harvest/shared/chains';
import { z } from 'zod';
import { StackError, say } from './log.ts';
import { freePort } from './ports.ts';
import { type PostgresHandle, startEmbeddedPostgres, useExternalPostgres } from './postgres.ts';
import { ensureRedis, type RedisHandle } from './redis.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const optionalUrl = (protocols: string[], hint: string) =>
  z
    .string()
    .optional()
    .refine((value) => {
      if (value === undefined || value === '') return true;
      try {
        const url = new URL(value);
        return protocols.includes(url.protocol) && url.hostname !== '';
      } catch {
        return false;
      }
    }, hint)
    .transform((value) => (value === '' ? undefined : value));

/** What the start and test commands read from the environment; each unset service gets an embedded default. */
const stackEnvSchema = z.object({
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:'], 'must be a postgres:// URL with a host and a database name'),
  REDIS_URL: optionalUrl(['redis:', 'rediss:'], 'must be a redis:// URL'),
  CHAIN_RPC_URL: optionalUrl(['http:', 'https:'], 'must be an http(s):// URL'),
  CHAIN_ID: z.coerce
    .number()
    .int()
    .refine((id) => getChain(id) !== undefined, { message: `is not a supported chain id (supported: ${supportedChainIds().join(', ')})` })
    .default(31337),
  PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  CHAIN_RPC_PORT: z.coerce.number().int().min(1).max(65535).default(8545),
  HARVEST_DATA_DIR: z.string().default(join(ROOT, '.data')),
});

/** mkdtemp makes 0700 folders; the postgres user (when we run as root) must be able to traverse this one. */
function traversableTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

export type StackEnv = z.infer<typeof stackEnvSchema>;

export function readStackEnv(): StackEnv {
  const result = stackEnvSchema.safeParse(process.env);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new StackError(String(issue?.path[0] ?? 'environment'), issue?.message ?? 'is invalid');
}

export interface Infra {
  postgres: PostgresHandle;
  redis: RedisHandle;
  stop(): Promise<void>;
}

/**
 * PostgreSQL and Redis. `dev` keeps data in HARVEST_DATA_DIR/postgres on PG_PORT; `test` uses a throw-away cluster
 * on a free port (fsync off), so a test run never touches development data.
 */
export async function startInfra(env: StackEnv, mode: 'dev' | 'test'): Promise<Infra> {
  const postgres = env.DATABASE_URL
    ? await useExternalPostgres(env.DATABASE_URL)
    : mode === 'dev'
      ? await startEmbeddedPostgres({ dataDir: join(env.HARVEST_DATA_DIR, 'postgres'), port: env.PG_PORT, database: 'harvest' })
      : await startEmbeddedPostgres({
          dataDir: traversableTempDir('harvest-test-pg-'),
          port: await freePort(),
          database: 'harvest',
          ephemeral: true,
        });
  let redis: RedisHandle;
  try {
    redis = await ensureRedis(env.REDIS_URL);
  } catch (error) {
    await postgres.stop();
    throw error;
  }
  return {
    postgres,
    redis,
    async stop() {
      await redis.stop();
      await postgres.stop();
    },
  };
}

/** Applies committed migrations with the Prisma CLI (through our offline WebAssembly schema engine). */
export function migrate(databaseUrl: string): void {
  const wrapper = join(ROOT, 'prisma', 'scripts', 'prisma.ts');
  if (!existsSync(wrapper)) return;
  say('applying migrations');
  const result = spawnSync(process.execPath, [wrapper, 'migrate', 'deploy'], {
    cwd: join(ROOT, 'prisma'),
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new StackError('DATABASE_URL', `prisma migrate deploy failed (exit ${result.status})`);
  }
}
