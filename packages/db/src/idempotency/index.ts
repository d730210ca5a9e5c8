/**
 * Idempotent requests (`Idempotency-Key`): the first request with a key runs and its response is stored with the
 * key, in the same transaction as its effect; a later request with the same key and the same request hash gets
 * the stored response without running again; the same key with another request hash is IDEMPOTENCY_KEY_REUSED.
 *
 * Concurrency: the key row is inserted first (`ON CONFLICT DO NOTHING`). A second request with the same key blocks
 * on that insert until the first transaction ends: after a commit it reads the stored response, after a rollback
 * its insert goes through and it runs itself. So 50 parallel requests with one key run the operation once and
 * answer 50 identical responses.
 *
 * Which outcomes are stored: successes, and typed refusals that depend only on the request and the state at the
 * time (validation, not found, conflict, forbidden), like a payment API replaying a decline. The operation runs
 * behind a savepoint, so a refusal rolls its partial writes back and keeps the key row. Retryable and unexpected
 * errors roll the whole transaction back and leave no key: the client may retry with the same key.
 */
import { AppError, type ErrorBody, toErrorResponse } from '@harvest/shared/errors';
import type { Prisma } from '../generated/prisma/client.ts';
import type { Db, DbTransaction } from '../index.ts';
import { isUuid } from '../ledger/index.ts';
import { type PipelinedTransaction, runPipelined } from '../sql/index.ts';

/** How long a key is remembered; {@link purgeIdempotencyKeys} removes older ones. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** A response to store and replay: HTTP status and JSON body. */
export interface StoredResponse<B = unknown> {
  status: number;
  body: B;
}

/** The outcome of {@link runIdempotent}: the response, and whether it was replayed from an earlier request. */
export interface IdempotentOutcome<B> extends StoredResponse<B | ErrorBody> {
  replayed: boolean;
}

/** Which request a key belongs to. */
export interface IdempotencyScope {
  playerId: string;
  /** The client's key (1-255 visible ASCII characters; the route validates it). */
  key: string;
  /** Hash of what makes the request this request (method, route, canonical body). */
  requestHash: string;
}

/** Options of {@link runIdempotent}. */
export interface RunIdempotentOptions {
  /** Interactive-transaction limits (ms): waiting for a connection, and the whole transaction. */
  maxWait?: number;
  timeout?: number;
}

const STORED_CATEGORIES = new Set(['validation', 'not_found', 'conflict', 'forbidden']);

/** Whether an error is a refusal stored with its key and replayed (see the module comment), not rolled back. */
export function isStoredRefusal(error: unknown): error is AppError {
  return error instanceof AppError && STORED_CATEGORIES.has(error.category);
}

/** A stored key row as read back for a replay. */
export interface StoredKeyRow {
  request_hash: string;
  response_status: number | null;
  response_body: unknown;
}

/**
 * The answer for a key another request claimed: its stored response (replayed), IDEMPOTENCY_KEY_REUSED for another
 * request hash, IDEMPOTENCY_KEY_IN_PROGRESS while no response is stored.
 */
export function replayOf<B>(row: StoredKeyRow | undefined, requestHash: string): IdempotentOutcome<B> {
  if (!row) throw new AppError('IDEMPOTENCY_KEY_IN_PROGRESS', 'a request with this key is in progress; retry shortly');
  if (row.request_hash !== requestHash)
    throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for a different request');
  if (row.response_status === null)
    throw new AppError('IDEMPOTENCY_KEY_IN_PROGRESS', 'a request with this key is in progress; retry shortly');
  return { status: row.response_status, body: row.response_body as B | ErrorBody, replayed: true };
}

/**
 * Runs `operation` at most once per (player, key) and returns its response, or the stored response of the request
 * that used the key before. `operation` receives the transaction and returns the success response; a typed
 * refusal it throws is stored as its error response (see the module comment).
 */
export async function runIdempotent<B>(
  db: Db,
  scope: IdempotencyScope,
  operation: (tx: DbTransaction) => Promise<StoredResponse<B>>,
  options: RunIdempotentOptions = {},
): Promise<IdempotentOutcome<B>> {
  if (!isUuid(scope.playerId)) throw new AppError('NOT_FOUND', 'no such player');
  return db.$transaction(
    async (tx) => {
      const claimed = await tx.$queryRaw<Array<{ claimed: number }>>`
        INSERT INTO idempotency_keys (player_id, key, request_hash) VALUES (${scope.playerId}::uuid, ${scope.key}, ${scope.requestHash})
        ON CONFLICT (player_id, key) DO NOTHING RETURNING 1 AS claimed`;
      if (claimed.length === 0) {
        const rows = await tx.$queryRaw<StoredKeyRow[]>`
          SELECT request_hash, response_status, response_body FROM idempotency_keys
          WHERE player_id = ${scope.playerId}::uuid AND key = ${scope.key}`;
        return replayOf<B>(rows[0], scope.requestHash);
      }
      await tx.$executeRaw`SAVEPOINT idempotent_operation`;
      let response: StoredResponse<B | ErrorBody>;
      try {
        response = await operation(tx);
      } catch (error) {
        if (!(error instanceof AppError) || !STORED_CATEGORIES.has(error.category)) throw error;
        await tx.$executeRaw`ROLLBACK TO SAVEPOINT idempotent_operation`;
        response = toErrorResponse(error);
      }
      // Stored as the client will see it (JSON), so a replay is byte-for-byte the same body.
      const body = JSON.parse(JSON.stringify(response.body)) as Prisma.InputJsonValue;
      await tx.$executeRaw`
        UPDATE idempotency_keys SET response_status = ${response.status}::int, response_body = ${JSON.stringify(body)}::jsonb
        WHERE player_id = ${scope.playerId}::uuid AND key = ${scope.key}`;
      return { status: response.status, body: body as B | ErrorBody, replayed: false };
    },
    { maxWait: options.maxWait ?? 10_000, timeout: options.timeout ?? 20_000 },
  );
}

/**
 * An operation for {@link runIdempotentPipelined}, in two halves: `prepare` sends its reads and row locks, waits for
 * them and throws its typed refusals, writing nothing; `write` sends the writes without waiting and returns the
 * response they make (computed from what `prepare` read under its locks).
 */
export interface PipelinedOperation<P, B> {
  prepare(tx: PipelinedTransaction): Promise<P>;
  write(tx: PipelinedTransaction, prepared: P): StoredResponse<B>;
}

/**
 * {@link runIdempotent} on a pipelined connection (../sql): the same semantics (the key claimed first in the
 * transaction of the effect, stored refusals, replays, IDEMPOTENCY_KEY_REUSED / _IN_PROGRESS) in two round trips for
 * a first request: [BEGIN, claim the key, the operation's reads and locks], then [its writes, the stored response,
 * COMMIT]. Refusals come from `prepare`, before anything is written, so no savepoint is needed. A replayed key
 * still ran `prepare` (its locks end with the transaction; nothing was written).
 */
export async function runIdempotentPipelined<P, B>(
  db: Db,
  scope: IdempotencyScope,
  operation: PipelinedOperation<P, B>,
): Promise<IdempotentOutcome<B>> {
  if (!isUuid(scope.playerId)) throw new AppError('NOT_FOUND', 'no such player');
  return runPipelined(db, async (tx) => {
    const claim = tx.query<{ claimed: number }>`
      INSERT INTO idempotency_keys (player_id, key, request_hash) VALUES (${scope.playerId}::uuid, ${scope.key}, ${scope.requestHash})
      ON CONFLICT (player_id, key) DO NOTHING RETURNING 1 AS claimed`;
    let prepared: { ok: true; value: P } | { ok: false; error: unknown };
    try {
      prepared = { ok: true, value: await operation.prepare(tx) };
    } catch (error) {
      prepared = { ok: false, error };
    }
    // Sent before the operation's statements, so answered by now (a failed claim is the error to report).
    if ((await claim).length === 0) {
      const rows = await tx.query<StoredKeyRow>`
        SELECT request_hash, response_status, response_body FROM idempotency_keys
        WHERE player_id = ${scope.playerId}::uuid AND key = ${scope.key}`;
      await tx.commit();
      return replayOf<B>(rows[0], scope.requestHash);
    }
    let response: StoredResponse<B | ErrorBody>;
    if (prepared.ok) {
      response = operation.write(tx, prepared.value);
    } else {
      const { error } = prepared;
      if (!isStoredRefusal(error)) throw error;
      response = toErrorResponse(error);
    }
    // Stored as the client will see it (JSON), so a replay is byte-for-byte the same body.
    const text = JSON.stringify(response.body);
    void tx.query`
      UPDATE idempotency_keys SET response_status = ${response.status}::int, response_body = ${text}::jsonb
      WHERE player_id = ${scope.playerId}::uuid AND key = ${scope.key}`;
    await tx.commit();
    return { status: response.status, body: JSON.parse(text) as B | ErrorBody, replayed: false };
  });
}

/** Deletes keys older than {@link IDEMPOTENCY_KEY_TTL_MS} (or `olderThan`); returns how many. */
export async function purgeIdempotencyKeys(db: Db, olderThan: Date = new Date(Date.now() - IDEMPOTENCY_KEY_TTL_MS)): Promise<number> {
  return db.$executeRaw`DELETE FROM idempotency_keys WHERE created_at < ${olderThan}`;
}
