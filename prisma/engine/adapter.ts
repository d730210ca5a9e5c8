import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  ColumnTypeEnum,
  type ConnectionInfo,
  DriverAdapterError,
  type IsolationLevel,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
  type Transaction,
} from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { log } from './log.ts';

/** What the Prisma CLI passes as `--datasource`: the `datasource` block of prisma.config.ts. */
export interface DatasourceConfig {
  url?: string;
  shadowDatabaseUrl?: string;
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

/** Prefix of the temporary shadow databases this engine creates; they are dropped after each use. */
export const SHADOW_DATABASE_PREFIX = 'prisma_shadow_';

/**
 * Appended to the name of a `"char"` column between pg and adapter-pg; PostgreSQL names cannot contain NUL, so the
 * marker cannot clash with a real column name.
 */
const CHAR_COLUMN_MARKER = '\u0000"char"';

type QueryResults = pg.QueryResult | pg.QueryResult[];

function disguiseCharColumns(results: QueryResults): void {
  for (const result of Array.isArray(results) ? results : [results]) {
    for (const field of result.fields ?? []) {
      if (field.dataTypeID === PG_CHAR_OID) {
        field.dataTypeID = PG_TEXT_OID;
        field.name += CHAR_COLUMN_MARKER;
      }
    }
  }
}

/** Undoes {@link disguiseCharColumns} on adapter-pg's result: original names, column type Character. */
function restoreCharColumns(result: SqlResultSet): SqlResultSet {
  result.columnNames.forEach((name, i) => {
    if (name.endsWith(CHAR_COLUMN_MARKER)) {
      result.columnNames[i] = name.slice(0, -CHAR_COLUMN_MARKER.length);
      result.columnTypes[i] = ColumnTypeEnum.Character;
    }
  });
  return result;
}

/**
 * A pg client that lets PostgreSQL's internal 1-byte `"char"` type (OID 18) through @prisma/adapter-pg.
 *
 * The Wasm schema engine reads catalog columns such as `pg_class.relkind` and `pg_constraint.contype`, which are
 * `"char"`, and expects them typed `Character` (the describer panics on `Text`); adapter-pg refuses OID 18 with
 * `UnsupportedNativeDataType` and has no mapping to `Character`. So this client reports such a column as `text`
 * with a marked name, and {@link restoreCharColumns} turns it back into a `Character` column after adapter-pg.
 * pg already returns the values as one-character strings.
 */
class CharColumnClient extends pg.Client {
  // pg's `query` has a dozen overloads; this override only post-processes results, whatever the calling style.
  // biome-ignore lint/suspicious/noExplicitAny: forwarding pg's overloaded signature unchanged
  override query(...args: any[]): any {
    const original = pg.Client.prototype.query as (...a: unknown[]) => unknown;
    const last = args.length - 1;
    const callback: unknown = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: Error | null, results: QueryResults | undefined) => {
        if (results) disguiseCharColumns(results);
        callback(error, results);
      };
      return Reflect.apply(original, this, args);
    }
    const returned = Reflect.apply(original, this, args);
    if (returned instanceof Promise) {
      return returned.then((results: QueryResults) => {
        disguiseCharColumns(results);
        return results;
      });
    }
    // Submittables (cursors, streams) are returned as they are; adapter-pg does not use them.
    return returned;
  }
}

/** A transaction of adapter-pg whose query results get their `"char"` columns back. */
function withCharColumns(tx: Transaction): Transaction {
  return {
    provider: tx.provider,
    adapterName: tx.adapterName,
    options: tx.options,
    queryRaw: async (query) => restoreCharColumns(await tx.queryRaw(query)),
    executeRaw: (query) => tx.executeRaw(query),
    commit: () => tx.commit(),
    rollback: () => tx.rollback(),
    ...(tx.createSavepoint && { createSavepoint: (name: string) => tx.createSavepoint?.(name) ?? Promise.resolve() }),
    ...(tx.rollbackToSavepoint && {
      rollbackToSavepoint: (name: string) => tx.rollbackToSavepoint?.(name) ?? Promise.resolve(),
    }),
    ...(tx.releaseSavepoint && { releaseSavepoint: (name: string) => tx.releaseSavepoint?.(name) ?? Promise.resolve() }),
  };
}

function toPgConfig(url: string): { config: pg.PoolConfig; schema: string | undefined } {
  // `schema` is Prisma's URL parameter for the default schema; pg would ignore it, adapter-pg takes it as an option.
  const schema = new URL(url).searchParams.get('schema') ?? undefined;
  const config: pg.PoolConfig = { ...parseIntoClientConfig(url), Client: CharColumnClient, max: 4 };
  delete (config as Record<string, unknown>).schema;
  return { config, schema };
}

function toDriverAdapterError(error: unknown): unknown {
  if (error instanceof pg.DatabaseError) {
    return new DriverAdapterError({
      kind: 'postgres',
      code: error.code ?? 'N/A',
      severity: error.severity ?? 'N/A',
      message: error.message,
      detail: error.detail,
      column: error.column,
      hint: error.hint,
    });
  }
  return error;
}

/**
 * One connection pool as a Prisma driver adapter, delegating to @prisma/adapter-pg except for `executeScript`.
 *
 * adapter-pg's `executeScript` splits the script on every `;` and runs the pieces one by one, which breaks
 * function bodies (`$$ ... ; ... $$`), string literals and comments containing `;`, and loses atomicity.
 * Here the whole script goes to PostgreSQL in one simple-protocol query, as the native engine does: PostgreSQL
 * parses it and runs it as one implicit transaction.
 */
class PgMigrationAdapter implements SqlDriverAdapter {
  readonly provider = 'postgres' as const;
  readonly adapterName: string;
  readonly #inner: SqlDriverAdapter;
  readonly #pool: pg.Pool;
  readonly #afterDispose: () => Promise<void>;

  constructor(inner: SqlDriverAdapter, pool: pg.Pool, afterDispose: () => Promise<void>) {
    this.#inner = inner;
    this.#pool = pool;
    this.#afterDispose = afterDispose;
    this.adapterName = inner.adapterName;
  }

  async queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    return restoreCharColumns(await this.#inner.queryRaw(query));
  }

  executeRaw(query: SqlQuery): Promise<number> {
    return this.#inner.executeRaw(query);
  }

  async startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    return withCharColumns(await this.#inner.startTransaction(isolationLevel));
  }

  getConnectionInfo(): ConnectionInfo {
    return this.#inner.getConnectionInfo?.() ?? { supportsRelationJoins: true };
  }

  async executeScript(script: string): Promise<void> {
    try {
      await this.#pool.query(script);
    } catch (error) {
      throw toDriverAdapterError(error);
    }
  }

  async dispose(): Promise<void> {
    await this.#inner.dispose();
    await this.#pool.end();
    await this.#afterDispose();
  }
}

async function connectPool(url: string, afterDispose: () => Promise<void>): Promise<PgMigrationAdapter> {
  const { config, schema } = toPgConfig(url);
  const pool = new pg.Pool(config);
  // A connection ended by the server while idle (our own `DROP DATABASE ... WITH (FORCE)` of a shadow database
  // races pg-pool's asynchronous close) surfaces as an 'error' event on the client or the pool; without a listener
  // that would crash the process. adapter-pg removes its own pool listener on dispose. Query errors still reach
  // their query.
  const onIdleError = (error: Error) => log('DEBUG', { message: `idle connection closed: ${error.message}` });
  pool.on('error', onIdleError);
  pool.on('connect', (client) => client.on('error', onIdleError));
  const inner = await new PrismaPg(pool, schema === undefined ? {} : { schema }).connect();
  return new PgMigrationAdapter(inner, pool, afterDispose);
}

async function currentDatabase(adapter: SqlDriverAdapter): Promise<string> {
  const result = await adapter.queryRaw({ sql: 'SELECT current_database()', args: [], argTypes: [] });
  return String(result.rows[0]?.[0]);
}

/** Temporary shadow databases not dropped yet, so a signal can still clean them up. */
const liveShadowDatabases = new Map<string, () => Promise<void>>();

/** Drops every temporary shadow database this process still holds (used when the process is told to stop). */
export async function dropLiveShadowDatabases(): Promise<void> {
  await Promise.allSettled([...liveShadowDatabases.values()].map((drop) => drop()));
}

async function createTemporaryShadowDatabase(mainUrl: string): Promise<SqlDriverAdapter> {
  const name = `${SHADOW_DATABASE_PREFIX}${randomUUID().replaceAll('-', '')}`;
  const admin = new pg.Client(toPgConfig(mainUrl).config);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  log('INFO', { message: `Created temporary shadow database "${name}".` });

  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    liveShadowDatabases.delete(name);
    try {
      // FORCE (PostgreSQL 13+) ends sessions the engine may have left open, so the drop cannot hang.
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      log('INFO', { message: `Dropped temporary shadow database "${name}".` });
    } finally {
      await admin.end();
    }
  };
  liveShadowDatabases.set(name, drop);

  try {
    const url = new URL(mainUrl);
    url.pathname = `/${encodeURIComponent(name)}`;
    url.searchParams.delete('database');
    url.searchParams.delete('dbname');
    const adapter = await connectPool(url.toString(), drop);
    // adapter-pg's own connectToShadowDb silently talked to the main database when given a connection string;
    // never hand the engine a "shadow" connection that is not the database created above.
    const actual = await currentDatabase(adapter);
    if (actual !== name) {
      await adapter.dispose();
      throw new Error(`Shadow database connection reached "${actual}" instead of "${name}"; refusing to continue.`);
    }
    return adapter;
  } catch (error) {
    await drop();
    throw error;
  }
}

/** Which database of which running server an adapter talks to (the same for two URLs reaching one database). */
async function databaseIdentity(adapter: SqlDriverAdapter): Promise<string> {
  const sql = "SELECT concat_ws('|', current_database(), pg_postmaster_start_time(), inet_server_port())";
  const result = await adapter.queryRaw({ sql, args: [], argTypes: [] });
  return String(result.rows[0]?.[0]);
}

/**
 * Empties a user-provided shadow database (every non-system schema dropped, `public` recreated), as the native
 * engine resets an external shadow database before replaying migrations into it; the Wasm engine does not.
 */
const RESET_SHADOW_DATABASE = `DO $reset$
DECLARE
  schema_name text;
BEGIN
  FOR schema_name IN
    SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
  LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', schema_name);
  END LOOP;
  CREATE SCHEMA public;
END
$reset$`;

async function connectExternalShadowDatabase(shadowUrl: string, mainUrl: string): Promise<SqlDriverAdapter> {
  const main = await connectPool(mainUrl, async () => {});
  const mainIdentity = await databaseIdentity(main).finally(() => main.dispose());
  const adapter = await connectPool(shadowUrl, async () => {});
  try {
    if ((await databaseIdentity(adapter)) === mainIdentity) {
      throw new Error('shadowDatabaseUrl reaches the main database, which the engine would erase; refusing.');
    }
    await adapter.executeScript(RESET_SHADOW_DATABASE);
    return adapter;
  } catch (error) {
    await adapter.dispose();
    throw error;
  }
}

/**
 * The driver adapter factory handed to the Wasm schema engine.
 *
 * The engine asks the factory for the main database (`connect`) and, when it needs to replay migrations, for a
 * shadow database (`connectToShadowDb`). Without `shadowDatabaseUrl` the shadow database is a fresh database
 * created on the main server and dropped when the engine disposes of it.
 */
export function createMigrationAdapterFactory(datasource: DatasourceConfig): SqlMigrationAwareDriverAdapterFactory {
  const requireUrl = (): string => {
    if (!datasource.url) {
      throw new Error('The datasource has no url: set DATABASE_URL (read by prisma/prisma.config.ts).');
    }
    return datasource.url;
  };
  return {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: () => connectPool(requireUrl(), async () => {}),
    connectToShadowDb: async () => {
      const mainUrl = requireUrl();
      if (datasource.shadowDatabaseUrl) return connectExternalShadowDatabase(datasource.shadowDatabaseUrl, mainUrl);
      return createTemporaryShadowDatabase(mainUrl);
    },
  };
}
