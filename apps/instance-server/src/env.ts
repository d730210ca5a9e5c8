import { baseEnv, databaseUrl, loadEnv, portVar, redisUrl } from '@harvest/service';
import { z } from 'zod';

/** Everything this process reads from its environment, validated once at start-up. */
export const envSchema = z.object({
  ...baseEnv,
  INSTANCE_SERVER_PORT: portVar(2567),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
});

export type Env = z.infer<typeof envSchema>;

/** Reads and validates `process.env`; exits with one line naming the variable when it is wrong. */
export function readEnv(): Env {
  return loadEnv(envSchema);
}
