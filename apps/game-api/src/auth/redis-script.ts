import type { Redis } from 'ioredis';

/**
 * A Lua script registered on a connection (ioredis sends EVALSHA and falls back to EVAL once per connection), so
 * the hot auth paths do not resend the script text on every call. Keys get the connection's `keyPrefix`.
 */
export function redisScript(
  redis: Redis,
  name: string,
  lua: string,
): (keys: readonly string[], args: readonly string[]) => Promise<unknown> {
  const commands = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  if (typeof commands[name] !== 'function') redis.defineCommand(name, { lua });
  return (keys, args) => (commands[name] as (...args: unknown[]) => Promise<unknown>).call(redis, keys.length, ...keys, ...args);
}
