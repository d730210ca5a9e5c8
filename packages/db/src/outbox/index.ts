/**
 * The transactional outbox. A service that changes state appends the events reporting the change with
 * {@link appendEvent} inside the same transaction, so the events exist exactly when the change committed; the relay
 * in @harvest/bus publishes them afterwards, in `outbox.id` order.
 *
 * Per-key order: each append takes a transaction-scoped advisory lock on its key before it draws the next
 * `outbox.id`, so two transactions appending for the same key serialise, and the later committer always gets the
 * higher id. For one key, the rows the relay can see are therefore always a prefix of that key's history in
 * commit order, and publishing in id order keeps it. (Different keys do not wait for each other.)
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '@harvest/shared/errors';
import { EVENTS, type EventDefinition, type EventType, type NewEvent, type TypedEnvelope } from '@harvest/shared/events';
import type { Prisma } from '../generated/prisma/client.ts';

/** A transaction client (`db.$transaction(async (tx) => …)`); typed structurally to keep this module's imports acyclic. */
export type OutboxTransaction = Pick<Prisma.TransactionClient, '$executeRaw'>;

/**
 * First key of the two-key advisory locks the outbox takes per event key (`'HBOX'`). Two-key advisory locks never
 * collide with single bigint keys, and no other part of the backend uses this first key.
 */
export const OUTBOX_KEY_LOCK_SPACE = 0x48424f58;

/** Optional fields of an appended event: a caller-chosen id (for idempotent producers) and time. */
export interface AppendEventOptions {
  id?: string;
  occurredAt?: Date;
}

/** An event to append, with its optional id and time. */
export type OutboxEventInput<T extends EventType = EventType> = NewEvent<T> & AppendEventOptions;

function toEnvelope<T extends EventType>(event: OutboxEventInput<T>): TypedEnvelope<T> {
  const definition = (EVENTS as Record<string, EventDefinition>)[event.type];
  if (!definition) throw new AppError('EVENT_INVALID', `unknown event type ${String(event.type)}`);
  if (typeof event.key !== 'string' || event.key.length === 0 || event.key.length > 200) {
    throw new AppError('EVENT_INVALID', `${event.type}: key must be 1-200 characters`);
  }
  const payload = definition.payload.safeParse(event.payload);
  if (!payload.success) {
    const issue = payload.error.issues[0];
    throw new AppError('EVENT_INVALID', `${event.type}: payload.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return {
    id: event.id ?? randomUUID(),
    type: event.type,
    version: definition.version,
    key: event.key,
    occurredAt: (event.occurredAt ?? new Date()).toISOString(),
    payload: payload.data as TypedEnvelope<T>['payload'],
  };
}

/**
 * Appends one event to the outbox inside the caller's transaction and returns its envelope. Validates the payload
 * against the catalogue first (an invalid event is a producer bug: `EVENT_INVALID`). The event is published only
 * if the transaction commits.
 *
 * ```ts
 * await db.$transaction(async (tx) => {
 *   await recordLoginInTx(tx, playerId);
 *   await appendEvent(tx, { type: 'user_login', key: playerId, payload: { playerId, method: 'guest', guest: true } });
 * });
 * ```
 */
export async function appendEvent<T extends EventType>(tx: OutboxTransaction, event: OutboxEventInput<T>): Promise<TypedEnvelope<T>> {
  const [envelope] = await appendEvents(tx, [event]);
  return envelope as TypedEnvelope<T>;
}

/**
 * Appends several events in one statement, in the order given (which is their publication order within each key).
 * Key locks are taken in a fixed order, so concurrent multi-key appends cannot deadlock on each other.
 */
export async function appendEvents(tx: OutboxTransaction, events: readonly OutboxEventInput[]): Promise<TypedEnvelope<EventType>[]> {
  if (events.length === 0) return [];
  const envelopes = events.map((event) => toEnvelope(event));
  if (envelopes.length === 1) {
    await appendOne(tx, envelopes[0] as TypedEnvelope<EventType>);
    return envelopes;
  }
  const keys = envelopes.map((e) => e.key);
  // The lock CTE is aggregated before any row is produced, so every key lock is held before the first id is drawn.
  await tx.$executeRaw`
    WITH key_locks AS (
      SELECT count(pg_advisory_xact_lock(${OUTBOX_KEY_LOCK_SPACE}::int, h)) AS n
      FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest(${keys}::text[]) AS k ORDER BY 1) AS hashes
    )
    INSERT INTO "outbox" ("event_id", "type", "version", "key", "payload", "occurred_at")
    SELECT e.event_id, e.type, e.version, e.key, e.payload, e.occurred_at
    FROM unnest(
      ${envelopes.map((e) => e.id)}::uuid[],
      ${envelopes.map((e) => e.type)}::text[],
      ${envelopes.map((e) => e.version)}::int[],
      ${keys}::text[],
      ${envelopes.map((e) => JSON.stringify(e.payload))}::jsonb[],
      ${envelopes.map((e) => e.occurredAt)}::timestamptz[]
    ) WITH ORDINALITY AS e(event_id, type, version, key, payload, occurred_at, ord)
    CROSS JOIN key_locks
    ORDER BY e.ord`;
  return envelopes;
}

/**
 * The same append for one event with scalar parameters: the usual service call appends one event, and this statement
 * costs PostgreSQL about half of the array form (no arrays to parse, no sort, no aggregate; measured by
 * bench/events-e2e-stages.ts). The lock sits in a CTE, which PostgreSQL never inlines when it calls a volatile
 * function, and the row is produced from it, so the lock is held before `nextval` draws the id.
 */
async function appendOne(tx: OutboxTransaction, e: TypedEnvelope<EventType>): Promise<void> {
  await tx.$executeRaw`
    WITH key_lock AS (SELECT pg_advisory_xact_lock(${OUTBOX_KEY_LOCK_SPACE}::int, hashtext(${e.key}::text)))
    INSERT INTO "outbox" ("event_id", "type", "version", "key", "payload", "occurred_at")
    SELECT ${e.id}::uuid, ${e.type}::text, ${e.version}::int, ${e.key}::text, ${JSON.stringify(e.payload)}::jsonb, ${e.occurredAt}::timestamptz
    FROM key_lock`;
}
