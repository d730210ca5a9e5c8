/**
 * Pipelined transactions on plain node-postgres, for the hot economy paths (crafts, the inventory read).
 *
 * Why: a Prisma interactive transaction sends each statement after the previous one answered and adds its own
 * bookkeeping; measured on the 2-core machine, an interactive transaction of two statements cost ~460 µs of CPU in
 * Prisma against ~130 µs on pg (apps/game-api/bench/economy.ts, README there), and every round trip wakes
 * PostgreSQL and the server once more. Here the statements of one transaction are written to the connection
 * back to back (pg's pipeline mode) and PostgreSQL runs them in order, so a craft is two round trips: the reads and
 * row locks, then the writes with COMMIT behind them.
 *
 * The guarantees are those of any PostgreSQL transaction: one connection, BEGIN … COMMIT, statements run in the
 * order sent. When a statement fails, PostgreSQL refuses the rest and turns the COMMIT sent behind it into a
 * rollback; {@link PipelinedTransaction.commit} then throws that statement's error, so nothing is half-written.
 *
 * The pool is this module's own (pipeline mode is a connection setting), opened lazily with the Prisma client's
 * connection string and size: a process using these paths holds up to twice `maxConnections` connections, plus
 * {@link LANE_CONNECTIONS} for each named lane of {@link pipelinedReader} it uses.
 */

import { createHash } from 'node:crypto';
import { AppError } from '@harvest/shared/errors';
import pg from 'pg';
import type { Db, DbTransaction } from '../index.ts';

/** One transaction on one pipelined connection. */
export interface PipelinedTransaction {
  /**
   * Sends a statement now, behind every statement sent before it, and resolves with its rows. Values become bind
   * parameters (`$1`, `$2`…); cast them in SQL (`${id}::uuid`). int8 columns come back as bigint, json as values.
   */
  query<R>(strings: TemplateStringsArray, ...values: unknown[]): Promise<R[]>;
  /**
   * The same connection as a Prisma transaction client's raw interface (`$queryRaw`, `$executeRaw`), for the
   * `…InTx` helpers written against it. Each call sends at once, like {@link query}. Only the raw methods exist.
   */
  readonly raw: DbTransaction;
  /** Issues statements for {@link StatementIssuer} users (see {@link pipelinedIssuer}). */
  readonly issuer: StatementIssuer;
  /**
   * Sends COMMIT behind every statement sent so far and waits for all of them. Throws the first failure, in which
   * case PostgreSQL rolled the whole transaction back.
   */
  commit(): Promise<void>;
}

/**
 * How a service that composes statements sends them: all at once on a pipelined connection, one after another on a
 * Prisma transaction (which must not run two statements at once). `make` sends one statement (a raw call, or an
 * `…InTx` helper that sends one statement before its first await) and returns its promise.
 */
export interface StatementIssuer {
  issue<T>(make: () => PromiseLike<T>): Promise<T>;
}

/** The issuer for a Prisma transaction: each statement starts when the previous one has answered. */
export function sequentialIssuer(): StatementIssuer {
  let last: Promise<unknown> = Promise.resolve();
  return {
    issue<T>(make: () => PromiseLike<T>): Promise<T> {
      const next = last.then(() => make());
      last = next.catch(() => undefined);
      return next;
    },
  };
}

/** Options of {@link runPipelined}. */
export interface PipelinedOptions {
  /** Milliseconds to wait for a free connection before SERVICE_UNAVAILABLE (default 10,000). */
  connectTimeoutMs?: number;
}

const pools = new WeakMap<Db, { config: pg.PoolConfig; pool?: pg.Pool; lanes: Map<string, pg.Pool> }>();

/** Connections of each lane's pool (see {@link PipelinedReaderOptions.lane}). */
export const LANE_CONNECTIONS = 2;

/** Records how {@link createDb} connected, so the pipelined pool of that client connects the same way. */
export function registerPipelinedPool(db: Db, config: { connectionString: string; max?: number }): void {
  pools.set(db, {
    config: { connectionString: config.connectionString, ...(config.max === undefined ? {} : { max: config.max }) },
    lanes: new Map(),
  });
}

/** Closes the pipelined pool of a client, if one was opened (createDb's `$disconnect` calls it). */
export async function closePipelinedPool(db: Db): Promise<void> {
  const entry = pools.get(db);
  const opened = [entry?.pool, ...(entry?.lanes.values() ?? [])];
  if (entry) {
    delete entry.pool;
    entry.lanes.clear();
  }
  await Promise.all(opened.map((pool) => pool?.end()));
}

// int8 as bigint, as Prisma's raw queries answer (ledger ids, counts); every other type as pg parses it.
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20 ? (value: string) => BigInt(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

function poolOf(db: Db, options: PipelinedOptions, lane?: string): pg.Pool {
  const entry = pools.get(db);
  if (!entry) throw new Error('this client was not made by createDb: it has no pipelined pool');
  if (lane !== undefined) {
    let pool = entry.lanes.get(lane);
    if (!pool) {
      pool = openPool({ ...entry.config, max: LANE_CONNECTIONS }, options);
      entry.lanes.set(lane, pool);
    }
    return pool;
  }
  entry.pool ??= openPool(entry.config, options);
  return entry.pool;
}

function openPool(config: pg.PoolConfig, options: PipelinedOptions): pg.Pool {
  const pool = new pg.Pool({
    ...config,
    pipeline: true,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    // The bound Prisma's interactive transactions have (20 s): a statement never holds row locks longer.
    statement_timeout: 20_000,
  } as pg.PoolConfig);
  // An idle connection that dies (server restart, database dropped) is removed by the pool and replaced on the
  // next use; without a listener its error event would take the process down (Prisma's adapter does the same).
  pool.on('error', () => undefined);
  return pool;
}

const textOf = (strings: TemplateStringsArray) => strings.reduce((text, part, i) => `${text}$${i}${part}`);

/**
 * A prepared-statement name for a statement text, so each connection parses and plans it once: the hot statements
 * (crafts, the inventory read) are CTEs whose parsing and planning cost PostgreSQL more than running them. The texts
 * come from template literals in the code, so there are as many names as statements written.
 */
const names = new Map<string, string>();
function nameOf(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `h${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}

/** Options of {@link pipelinedReader}. */
export interface PipelinedReaderOptions {
  /**
   * Runs the statements on a pool of their own, by name, of {@link LANE_CONNECTIONS} connections, instead of the pool
   * the pipelined transactions share: for statements that must not wait behind transactions holding every shared
   * connection (the battle transcript's group inserts, which every battle intent waits for, while match
   * settlements and creations hold connections across several round trips).
   */
  lane?: string;
}

/**
 * Single statements outside a transaction on the same pool, with the raw interface of a Prisma client
 * (`$queryRaw`, `$executeRaw`), for hot statements written against it (the inventory page, the battle transcript's
 * group inserts): one round trip, a prepared statement, no Prisma bookkeeping. Each statement commits on its own.
 */
export function pipelinedReader(db: Db, options: PipelinedReaderOptions = {}): Pick<DbTransaction, '$queryRaw' | '$executeRaw'> {
  const run = async (strings: TemplateStringsArray, values: unknown[]): Promise<pg.QueryResult> => {
    try {
      const text = textOf(strings);
      return await poolOf(db, {}, options.lane).query({ name: nameOf(text), text, values, types });
    } catch (error) {
      // PostgreSQL's refusals stay as they are; no free connection in time or no connection at all is busy.
      if (error instanceof pg.DatabaseError) throw error;
      throw new AppError('SERVICE_UNAVAILABLE', 'the database is busy; retry', { cause: String(error) });
    }
  };
  return {
    $queryRaw: (async (strings: TemplateStringsArray, ...values: unknown[]) =>
      (await run(strings, values)).rows) as unknown as DbTransaction['$queryRaw'],
    $executeRaw: (async (strings: TemplateStringsArray, ...values: unknown[]) =>
      (await run(strings, values)).rowCount ?? 0) as unknown as DbTransaction['$executeRaw'],
  };
}

/** What of a connection's socket {@link corkForTick} uses. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

const corked = new WeakSet<Corkable>();

/**
 * Holds a connection's writes until the current tick's callbacks and promise reactions have run, so statements sent
 * together (BEGIN and the first statement, or statements sent without waiting) leave in one socket write instead of
 * one each. Each write wakes PostgreSQL's backend and, on a busy machine, hands it the core: in the instance server's
 * load-test profile the pg socket writes were a fifth of the process's busy time.
 */
function corkForTick(client: pg.PoolClient): void {
  const stream = (client as unknown as { connection?: { stream?: Corkable } }).connection?.stream;
  if (!stream || corked.has(stream)) return;
  corked.add(stream);
  stream.cork();
  process.nextTick(() => {
    corked.delete(stream);
    stream.uncork();
  });
}

/**
 * Runs `run` in one transaction on a pipelined connection: BEGIN goes out with the first statement, `run` must end
 * with `await tx.commit()`; if it throws instead, the transaction is rolled back and its error rethrown.
 */
export async function runPipelined<T>(db: Db, run: (tx: PipelinedTransaction) => Promise<T>, options: PipelinedOptions = {}): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await poolOf(db, options).connect();
  } catch (error) {
    throw new AppError('SERVICE_UNAVAILABLE', 'the database is busy; retry', { cause: String(error) });
  }
  const outstanding: Array<Promise<unknown>> = [];
  let sent = 0;
  let failure: unknown;
  let committed = false;
  // A helper that did not send its statement when called would be sent out of order (maybe after COMMIT).
  let outOfOrder = false;
  const send = (text: string, values: unknown[]): Promise<pg.QueryResult> => {
    sent++;
    corkForTick(client);
    const result = client.query(values.length === 0 ? { text, types } : { name: nameOf(text), text, values, types });
    // Observed here so a caller that never awaits a statement gets no unhandled rejection; commit() reports it.
    outstanding.push(
      result.catch((error: unknown) => {
        failure ??= error;
      }),
    );
    return result;
  };
  // Every promise handed out is observed here: a statement nobody awaits (commit() reports its failure) must not
  // become an unhandled rejection.
  const observed = <T>(promise: Promise<T>): Promise<T> => {
    promise.catch(() => undefined);
    return promise;
  };
  // Not awaited: BEGIN goes out with the first statement (corkForTick); commit() reports it if it failed.
  send('BEGIN', []);
  const tx: PipelinedTransaction = {
    query: <R>(strings: TemplateStringsArray, ...values: unknown[]) => observed(send(textOf(strings), values).then((r) => r.rows as R[])),
    raw: {
      $queryRaw: (strings: TemplateStringsArray, ...values: unknown[]) => observed(send(textOf(strings), values).then((r) => r.rows)),
      $executeRaw: (strings: TemplateStringsArray, ...values: unknown[]) =>
        observed(send(textOf(strings), values).then((r) => r.rowCount ?? 0)),
    } as unknown as DbTransaction,
    issuer: {
      issue<T>(make: () => PromiseLike<T>): Promise<T> {
        const before = sent;
        const statement = observed(Promise.resolve(make()));
        if (sent === before) {
          outOfOrder = true;
          outstanding.push(statement.catch((error: unknown) => (failure ??= error)));
        }
        return statement;
      },
    },
    async commit() {
      if (outOfOrder) {
        // Refuse to commit what may not have run inside the transaction; a typed refusal that kept its helper from
        // sending is reported as itself.
        await Promise.all(outstanding);
        throw failure ?? new Error('a statement was not sent when issued: the transaction was rolled back');
      }
      const done = send('COMMIT', []);
      await Promise.all(outstanding);
      if (failure !== undefined) throw failure;
      // COMMIT of a transaction PostgreSQL already aborted answers ROLLBACK instead of failing.
      if ((await done).command !== 'COMMIT') throw new Error('the transaction was rolled back');
      committed = true;
    },
  };
  let broken = false;
  try {
    const result = await run(tx);
    if (!committed) throw new Error('a pipelined transaction must end with commit()');
    return result;
  } catch (error) {
    if (!committed) {
      // Wait for everything sent, then end the transaction; a connection in an unknown state is discarded.
      await Promise.all(outstanding);
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
