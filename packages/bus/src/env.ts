/**
 * The environment of the bus' own processes: the standalone relay (relay-main.ts) and the dead-letter CLI (cli.ts).
 * This is the only file of @harvest/bus that reads `process.env`; library code takes validated values.
 */
import { baseEnv, databaseUrl, loadEnv, portVar, redisUrl } from '@harvest/service';
import { z } from 'zod';
import { busEnv, refineBusEnv } from './config.ts';

/** Variables of `node packages/bus/src/relay-main.ts`. */
export const relayEnvSchema = z
  .object({
    ...baseEnv,
    ...busEnv,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
    /** Port of the standalone relay's /healthz, /readyz and /metrics. */
    EVENT_RELAY_PORT: portVar(3400),
  })
  .superRefine(refineBusEnv);

export type RelayEnv = z.infer<typeof relayEnvSchema>;

/** Variables of `node packages/bus/src/cli.ts`. */
export const cliEnvSchema = z
  .object({
    LOG_LEVEL: baseEnv.LOG_LEVEL.default('warn'),
    ...busEnv,
    REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  })
  .superRefine(refineBusEnv);

export type CliEnv = z.infer<typeof cliEnvSchema>;

/** Reads the relay's environment; exits with one line naming the variable when it is wrong. */
export function readRelayEnv(): RelayEnv {
  return loadEnv(relayEnvSchema);
}

/** Reads the CLI's environment; exits with one line naming the variable when it is wrong. */
export function readCliEnv(): CliEnv {
  return loadEnv(cliEnvSchema);
}
