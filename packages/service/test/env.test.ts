import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { baseEnv, ConfigError, chainIdVar, databaseUrl, parseEnv, portVar, redisUrl } from '../src/index.ts';

const schema = z.object({
  ...baseEnv,
  PORT: portVar(3000),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  CHAIN_ID: chainIdVar.default(31337),
});

function problem(source: Record<string, string>): ConfigError {
  try {
    parseEnv(schema, source);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('fills defaults and coerces numbers', () => {
    const env = parseEnv(schema, { DATABASE_URL: 'postgres://u@db:5432/app', PORT: '8080' });
    expect(env).toMatchObject({ HOST: '127.0.0.1', PORT: 8080, CHAIN_ID: 31337, REDIS_URL: 'redis://127.0.0.1:6379', LOG_LEVEL: 'info' });
  });

  it('names a missing required variable', () => {
    const error = problem({});
    expect(error.variable).toBe('DATABASE_URL');
    expect(error.message).toBe('DATABASE_URL: is required');
  });

  it.each([
    ['DATABASE_URL', { DATABASE_URL: 'mysql://u@db/app' }],
    ['DATABASE_URL', { DATABASE_URL: 'postgres://u@db:5432' }],
    ['DATABASE_URL', { DATABASE_URL: 'not a url' }],
    ['REDIS_URL', { DATABASE_URL: 'postgres://u@db/app', REDIS_URL: 'http://x' }],
    ['PORT', { DATABASE_URL: 'postgres://u@db/app', PORT: '70000' }],
    ['CHAIN_ID', { DATABASE_URL: 'postgres://u@db/app', CHAIN_ID: '999' }],
    ['LOG_LEVEL', { DATABASE_URL: 'postgres://u@db/app', LOG_LEVEL: 'loud' }],
  ])('refuses a bad %s', (variable, source) => {
    expect(problem(source).variable).toBe(variable);
  });

  it('never echoes the offending value (it may be a secret)', () => {
    const error = problem({ DATABASE_URL: 'postgres://user:s3cret@db' });
    expect(error.message).not.toContain('s3cret');
  });
});
