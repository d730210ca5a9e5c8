import { baseEnv, chainIdVar, databaseUrl, httpUrl, loadEnv, portVar } from '@harvest/service';
import { z } from 'zod';

/** Everything this process reads from its environment, validated once at start-up. */
export const envSchema = z.object({
  ...baseEnv,
  MARKETPLACE_PORT: portVar(3100),
  DATABASE_URL: databaseUrl,

  CHAIN_ID: chainIdVar.default(31337),
  CHAIN_RPC_URL: httpUrl.default('http://127.0.0.1:8545'),
});

export type Env = z.infer<typeof envSchema>;

/** Reads and validates `process.env`; exits with one line naming the variable when it is wrong. */
export function readEnv(): Env {
  return loadEnv(envSchema);
}
