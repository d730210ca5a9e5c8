import { z } from 'zod';

/**
 * Names that end up inside Redis keys and Kafka topic names: lower-case letters, digits, `_`, `-` and `.`, starting
 * with a letter or digit. Checked wherever a name enters the bus (options, environment, CLI arguments).
 */
export const busName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be lower-case letters, digits, "_", "-" or "." and start with a letter or digit');

/** Throws a TypeError naming the field when a bus name is not allowed. */
export function assertBusName(field: string, value: string): string {
  const result = busName.safeParse(value);
  if (!result.success) throw new TypeError(`${field}: ${result.error.issues[0]?.message ?? 'invalid'} (got ${JSON.stringify(value)})`);
  return value;
}
