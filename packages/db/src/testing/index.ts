/**
 * @harvest/db/testing: a fresh, fully migrated database for each test file, on whatever PostgreSQL server
 * DATABASE_URL points at (a URL whose user may CREATE DATABASE; its database name is only used to connect).
 *
 * The committed migrations are applied once, through the real `prisma migrate deploy`, into a template database
 * named after a digest of prisma/migrations; each test database is then a `CREATE DATABASE ... TEMPLATE` copy
 * (tens of milliseconds). Template creation is serialised with an advisory lock, so parallel vitest workers and
 * concurrent test runs on one server build it once. The template stays for the next run and is replaced when a
 * migration changes; test databases are dropped by their owner, and ones left by crashed runs after six hours.
 *
 * ```ts
 * import { useTestDatabase } from '@harvest/db/testing';
 * const database = useTestDatabase(); // beforeAll creates it, afterAll drops it
 * it('...', async () => { await database.db.player.create({ data: {} }); });
 * ```
 */
import { randomBytes } from 'node:crypto';
import { migrateDeploy, migrationsChecksum } from '@harvest/prisma/migrate';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createDb, type Db } from '../index.ts';

const TEMPLATE_PREFIX = 'harvest_tpl_';
const TEST_DATABASE_PREFIX = 'harvest_test_';
/** Test databases older than this were left by a crashed run and are dropped. */
const ABANDONED_AFTER_SECONDS = 6 * 60 * 60;
/** Advisory lock key serialising template creation on a server (any fixed 64-bit number). */
const TEMPLATE_LOCK_KEY = '7305411523870641';

/** A database of its own for one test file. */
export interface TestDatabase {
  /** Database name, `harvest_test_<unix seconds>_<random>`. */
  readonly name: string;
  /** Connection string of the database (the server URL with this database). */
  readonly url: string;
  /** A client of the database; {@link TestDatabase.drop} disconnects it. */
  readonly db: Db;
  /** Disconnects the client and drops the database. */
  drop(): Promise<void>;
}

/** Options of {@link createTestDatabase}. */
export interface CreateTestDatabaseOptions {
  /** Server to use, with a user that may CREATE DATABASE. Defaults to the DATABASE_URL environment variable. */
  serverUrl?: string;
}

function serverUrlFromEnv(): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error('DATABASE_URL is not set: @harvest/db/testing needs a PostgreSQL server where it may CREATE DATABASE.');
  }
  return url;
}

/** The server URL with another database name (query parameters such as `schema` or `sslmode` are kept). */
function urlOfDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

const ident = (name: string) => pg.escapeIdentifier(name);

/** Drops what earlier runs left: test databases of crashed runs, templates of older migration states. */
async function dropLeftovers(admin: pg.Client, currentTemplate: string): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    'SELECT datname FROM pg_database WHERE starts_with(datname, $1) OR starts_with(datname, $2)',
    [TEST_DATABASE_PREFIX, TEMPLATE_PREFIX],
  );
  const now = Math.floor(Date.now() / 1000);
  for (const { datname } of rows) {
    if (datname.startsWith(TEST_DATABASE_PREFIX)) {
      const createdAt = Number(datname.slice(TEST_DATABASE_PREFIX.length).split('_')[0]);
      if (Number.isFinite(createdAt) && now - createdAt > ABANDONED_AFTER_SECONDS) {
        await admin.query(`DROP DATABASE IF EXISTS ${ident(datname)} WITH (FORCE)`);
      }
    } else if (datname !== currentTemplate) {
      // Not forced: a run on an older checkout may be cloning it right now; it is retried next time.
      try {
        await admin.query(`ALTER DATABASE ${ident(datname)} WITH IS_TEMPLATE false`);
        await admin.query(`DROP DATABASE ${ident(datname)}`);
      } catch {
        await admin.query(`ALTER DATABASE ${ident(datname)} WITH IS_TEMPLATE true`).catch(() => {});
      }
    }
  }
}

/**
 * Makes sure the template database for the current migrations exists on the server and returns its name.
 * A template is complete once it refuses connections (set after `migrate deploy` succeeded); a half-built one
 * from an interrupted run is rebuilt.
 */
async function prepareTemplate(serverUrl: string): Promise<string> {
  const template = `${TEMPLATE_PREFIX}${(await migrationsChecksum()).slice(0, 24)}`;
  return withClient(serverUrl, async (admin) => {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    try {
      const { rows } = await admin.query<{ datallowconn: boolean }>('SELECT datallowconn FROM pg_database WHERE datname = $1', [template]);
      if (rows[0]?.datallowconn === false) return template;
      if (rows[0]) await admin.query(`DROP DATABASE ${ident(template)} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${ident(template)}`);
      await migrateDeploy(urlOfDatabase(serverUrl, template));
      await admin.query(`ALTER DATABASE ${ident(template)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
      await dropLeftovers(admin, template);
      return template;
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
    }
  });
}

/** One template preparation per server and process. */
const templates = new Map<string, Promise<string>>();

/**
 * Creates a new database with every committed migration applied, and a client for it. The caller drops it
 * (see {@link useTestDatabase} for the vitest wiring).
 */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = options.serverUrl ?? serverUrlFromEnv();
  let template = templates.get(serverUrl);
  if (!template) {
    template = prepareTemplate(serverUrl);
    templates.set(serverUrl, template);
    template.catch(() => templates.delete(serverUrl));
  }
  const name = `${TEST_DATABASE_PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(6).toString('hex')}`;
  const templateName = await template;
  await withClient(serverUrl, (admin) => admin.query(`CREATE DATABASE ${ident(name)} TEMPLATE ${ident(templateName)}`));
  const url = urlOfDatabase(serverUrl, name);
  const db = createDb({ databaseUrl: url, maxConnections: 5 });
  return {
    name,
    url,
    db,
    async drop() {
      await db.$disconnect();
      await withClient(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`));
    },
  };
}

/**
 * Registers vitest hooks giving the calling test file its own database: created in `beforeAll`, dropped in
 * `afterAll`. Read the returned object's properties inside tests or hooks, not at module level.
 */
export function useTestDatabase(options: CreateTestDatabaseOptions = {}): Omit<TestDatabase, 'drop'> {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(options);
  });
  afterAll(async () => {
    await database?.drop();
  });
  const current = (): TestDatabase => {
    if (!database) throw new Error('useTestDatabase(): the database exists only inside tests and hooks.');
    return database;
  };
  return {
    get name() {
      return current().name;
    },
    get url() {
      return current().url;
    },
    get db() {
      return current().db;
    },
  };
}
