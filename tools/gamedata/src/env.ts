/** The CLI's environment: the only place it reads `process.env`. */
import { CliError } from './cli-error.ts';

/**
 * The database the database-backed commands (`publish`, `rollback`, `versions`, `diff` against the active version)
 * use: `DATABASE_URL`, a `postgres://` or `postgresql://` connection string.
 * @throws CliError (exit 2) naming the variable when it is unset or not a PostgreSQL URL (the value is not echoed).
 */
export function databaseUrlFromEnv(command: string): string {
  const value = process.env.DATABASE_URL;
  if (!value) throw new CliError(`${command}: DATABASE_URL is required (the database holding the game-data versions)`, 2);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`${command}: DATABASE_URL is not a URL`, 2);
  }
  if ((url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') || url.pathname.length <= 1) {
    throw new CliError(`${command}: DATABASE_URL must be postgres://user@host:port/database`, 2);
  }
  return value;
}
