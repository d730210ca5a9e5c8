import { getChain, supportedChainIds } from '@harvest/shared/chains';
import { z } from 'zod';

/** A configuration problem found at start-up: one line that names the variable, never a stack trace. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/**
 * Validates an environment object against a zod object schema. The first problem is reported as a ConfigError
 * naming its variable; the value itself is never echoed (it may be a secret).
 */
export function parseEnv<S extends z.ZodObject>(schema: S, source: Record<string, string | undefined>): z.infer<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = String(issue?.path[0] ?? 'environment');
  const message = issue?.code === 'invalid_type' && source[variable] === undefined ? 'is required' : (issue?.message ?? 'is invalid');
  throw new ConfigError(variable, message);
}

/**
 * Reads `process.env` once at start-up; on a problem prints one line and exits 1. Each app's `env.ts` calls this,
 * and nothing else in the app reads `process.env`.
 */
export function loadEnv<S extends z.ZodObject>(schema: S, exit: (code: number) => never = process.exit): z.infer<S> {
  try {
    return parseEnv(schema, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`config error: ${error.message}\n`);
    return exit(1);
  }
}

const LOOPBACK_OR_HOST = z.string().min(1);

/** Environment variables every server reads. */
export const baseEnv = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Every server binds loopback unless told otherwise. */
  HOST: LOOPBACK_OR_HOST.default('127.0.0.1'),
};

/** A TCP port with its default. */
export function portVar(defaultPort: number) {
  return z.coerce.number().int().min(0).max(65535).default(defaultPort);
}

/** A PostgreSQL connection string. */
export const databaseUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '' && url.pathname.length > 1;
  } catch {
    return false;
  }
}, 'must be a postgres:// URL with a host and a database name');

/** A Redis connection string. */
export const redisUrl = z.string().refine((value) => {
  try {
    return ['redis:', 'rediss:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be a redis:// or rediss:// URL');

/** An http(s) or ws(s) URL. */
export const httpUrl = z.string().refine((value) => {
  try {
    return ['http:', 'https:', 'ws:', 'wss:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be an http(s):// or ws(s):// URL');

/** A chain id the backend supports (see @harvest/shared/chains). */
export const chainIdVar = z.coerce
  .number()
  .int()
  .refine((id) => getChain(id) !== undefined, { message: `is not a supported chain id (supported: ${supportedChainIds().join(', ')})` });
