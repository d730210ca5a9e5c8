/**
 * Processed-event bookkeeping of event consumers: at-least-once delivery in, exactly-once effect out. A consumer
 * records the ids it applies in `processed_events` in the same transaction as the effect; a redelivered event finds
 * its id there and is skipped. While another transaction holds an uncommitted row for the same id, the insert waits
 * for it, so even two members racing on one event apply it once. The active outbox relay deletes records older than
 * their retention (7 days by default), far beyond any redelivery.
 */
import type { Prisma } from '../generated/prisma/client.ts';

/** A transaction client (`db.$transaction(async (tx) => …)`). */
export type ConsumerTransaction = Pick<Prisma.TransactionClient, '$queryRaw'>;

/**
 * Records event ids as processed by `consumer` and returns those that were not recorded before: apply exactly
 * these, in the same transaction. Duplicate ids in the input count once.
 */
export async function markProcessedInTx(tx: ConsumerTransaction, consumer: string, eventIds: readonly string[]): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  // Sorted, so two transactions recording overlapping sets lock the ids in the same order.
  const ids = [...new Set(eventIds)].sort();
  const rows = await tx.$queryRaw<Array<{ event_id: string }>>`
    INSERT INTO "processed_events" ("consumer", "event_id")
    SELECT ${consumer}, id FROM unnest(${ids}::uuid[]) AS id
    ON CONFLICT DO NOTHING
    RETURNING "event_id"::text AS event_id`;
  return new Set(rows.map((row) => row.event_id));
}
