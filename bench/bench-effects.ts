/**
 * The consumer side of the event-bus benches: the effect each `harvested` event has (a `bench_effects` row), as a
 * batch handler or one handler per event, spread into `createConsumer` options.
 */
import type { ConsumerOptions, EventHandlers } from '@harvest/bus';
import type { TypedEnvelope } from '@harvest/shared/events';

/** The `batchHandler` or `handlers` option of the bench consumer. */
export function benchEffectHandlers(
  kind: 'batch' | 'event',
): { batchHandler: NonNullable<ConsumerOptions['batchHandler']> } | { handlers: EventHandlers } {
  if (kind === 'batch') {
    return {
      batchHandler: {
        types: ['harvested'],
        handle: async (tx, events) => {
          const harvested = events as ReadonlyArray<TypedEnvelope<'harvested'>>;
          await tx.$executeRaw`
            INSERT INTO bench_effects (event_id, key, n, occurred_at)
            SELECT * FROM unnest(${harvested.map((e) => e.id)}::uuid[], ${harvested.map((e) => e.key)}::text[],
                                 ${harvested.map((e) => e.payload.plot)}::int[], ${harvested.map((e) => e.occurredAt)}::timestamptz[])`;
        },
      },
    };
  }
  return {
    handlers: {
      harvested: async (tx, event) => {
        await tx.$executeRaw`INSERT INTO bench_effects (event_id, key, n, occurred_at) VALUES (${event.id}::uuid, ${event.key}, ${event.payload.plot}, ${event.occurredAt}::timestamptz)`;
      },
    },
  };
}
