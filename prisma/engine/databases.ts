import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';

/** An error the Prisma CLI shows with its code, as the native engine reports them (P1xxx: connection errors). */
export class UserFacingError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'UserFacingError';
    this.code = code;
  }
}

interface Target {
  config: pg.ClientConfig;
  database: string;
  location: string;
}

function toTarget(url: string): Target {
  const config = parseIntoClientConfig(url);
  delete (config as Record<string, unknown>).schema;
  const location = `${config.host ?? 'localhost'}:${config.port ?? 5432}`;
  return { config, database: config.database ?? config.user ?? 'postgres', location };
}

function toUserFacingError(error: unknown, target: Target): unknown {
  if (error instanceof pg.DatabaseError) {
    switch (error.code) {
      case '3D000':
        return new UserFacingError(
          'P1003',
          `Database \`${target.database}\` does not exist on the database server at \`${target.location}\`.`,
        );
      case '28P01':
      case '28000':
        return new UserFacingError('P1000', `Authentication failed against database server at \`${target.location}\`.`);
      case '42P04':
        return new UserFacingError(
          'P1009',
          `Database \`${target.database}\` already exists on the database server at \`${target.location}\``,
        );
      default:
        return error;
    }
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT') {
    return new UserFacingError('P1001', `Can't reach database server at \`${target.location}\`.`);
  }
  return error;
}

async function withClient<T>(config: pg.ClientConfig, target: Target, use: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  try {
    await client.connect();
    return await use(client);
  } catch (error) {
    throw toUserFacingError(error, target);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Runs `use` on a connection to the server's maintenance database (`postgres`, else `template1`). */
async function withMaintenanceClient<T>(target: Target, use: (c: pg.Client) => Promise<T>): Promise<T> {
  try {
    return await withClient({ ...target.config, database: 'postgres' }, target, use);
  } catch (error) {
    if (!(error instanceof pg.DatabaseError && error.code === '3D000')) throw error;
    return withClient({ ...target.config, database: 'template1' }, target, use);
  }
}

/** Connects to the database of `url` and runs `SELECT 1`; throws a P1xxx {@link UserFacingError} if it cannot. */
export async function checkConnection(url: string): Promise<void> {
  const target = toTarget(url);
  await withClient(target.config, target, (client) => client.query('SELECT 1'));
}

/** Whether the database named in `url` exists on its server. */
export async function databaseExists(url: string): Promise<boolean> {
  const target = toTarget(url);
  return withMaintenanceClient(target, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [target.database]);
    return rowCount === 1;
  });
}

/** Creates the database named in `url` on its server; returns its name. */
export async function createDatabase(url: string): Promise<string> {
  const target = toTarget(url);
  await withMaintenanceClient(target, (client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(target.database)}`));
  return target.database;
}

/** Drops the database named in `url`, ending its open sessions (PostgreSQL 13+); returns its name. */
export async function dropDatabase(url: string): Promise<string> {
  const target = toTarget(url);
  await withMaintenanceClient(target, (client) => client.query(`DROP DATABASE ${pg.escapeIdentifier(target.database)} WITH (FORCE)`));
  return target.database;
}
