/**
 * The consumer framework: turns at-least-once deliveries into exactly-once effects.
 *
 * - Idempotent by event id: the ids a consumer applies are recorded in `processed_events` in the same transaction
 *   as the handler's effect (`markProcessedInTx`), so a redelivered event is skipped and a rolled-back effect is
 *   retried.
 * - Ordered per key: a partition's batch is handled in order; a failing event holds back everything after it in
 *   its partition until it succeeds or is dead-lettered (the Kafka model).
 * - Fast path: a batch is applied in one transaction. When that fails, the batch is applied again one event per
 *   transaction, to find the failing event and retry only it.
 * - Retries with exponential backoff and jitter; an `AppError` that is not retryable (validation, not found,
 *   conflict, …) is dead-lettered at once, anything else after `maxDeliveries` deliveries. A message that arrives
 *   having been delivered more than `maxDeliveries` times without being settled (it keeps killing its process) is
 *   dead-lettered before it is tried again.
 * - Envelopes are checked against the catalogue; an unknown type or version, or an invalid payload, goes to the
 *   dead letters with the reason (deploy the consumer that knows it, then replay).
 */
import { type Db, type DbTransaction, markProcessedInTx } from '@harvest/db';
import { isAppError } from '@harvest/shared/errors';
import { EVENTS, type EventDefinition, type EventType, type TypedEnvelope, validateEnvelope } from '@harvest/shared/events';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { busMetrics } from './metrics.ts';
import { assertBusName } from './names.ts';
import { sleep } from './sleep.ts';
import type { Delivery, PartitionBatch, Subscription, Transport } from './transport.ts';

/** What a handler learns about the delivery besides the event. */
export interface HandlerContext {
  topic: string;
  partition: number;
  /** Deliveries of this event so far (1 on the first). */
  deliveries: number;
}

/** A handler applies one event's effect with `tx`; it must not commit anything outside `tx`. */
export type EventHandler<T extends EventType> = (tx: DbTransaction, event: TypedEnvelope<T>, context: HandlerContext) => Promise<void>;

/** Handlers by event type; events of other types on the same topics are acknowledged and ignored. */
export type EventHandlers = { [T in EventType]?: EventHandler<T> };

/**
 * A handler of many events at once, for consumers whose effect is cheaper in bulk (counters, analytics rows):
 * receives the events of `types` not applied before, in delivery order (per-key order holds), all in one `tx`.
 */
export interface BatchEventHandler {
  types: readonly EventType[];
  handle(tx: DbTransaction, events: ReadonlyArray<TypedEnvelope<EventType>>, context: Omit<HandlerContext, 'deliveries'>): Promise<void>;
}

/** Options of {@link createConsumer}. */
export interface ConsumerOptions {
  /** The consumer's name: its consumer group, and its namespace in `processed_events`. */
  name: string;
  /** One handler per event type; or `batchHandler`, not both. */
  handlers?: EventHandlers;
  /** One handler for batches of events (see {@link BatchEventHandler}); or `handlers`, not both. */
  batchHandler?: BatchEventHandler;
  transport: Transport;
  db: Db;
  log: Logger;
  /** Registry whose `/metrics` shows this consumer's counters and lag. */
  registry?: Registry;
  /** Deliveries before a failing event is dead-lettered (default 5). */
  maxDeliveries?: number;
  /** Backoff between retries: `baseMs * 2^(deliveries-1)`, capped at `maxMs`, with jitter. */
  retry?: { baseMs?: number; maxMs?: number };
  /** Most events per batch and per transaction (default 200). */
  maxBatch?: number;
  /** Longest a handler transaction may run (ms, default 30 s). */
  transactionTimeoutMs?: number;
}

/** A consumer: `start()` subscribes, `stop()` ends it for good (create a new one to start again). */
export interface Consumer {
  readonly name: string;
  readonly topics: readonly string[];
  start(): Promise<void>;
  /** Stops fetching and waits for the batch in flight; what it did not settle is redelivered later. */
  stop(): Promise<void>;
}

type Valid = { message: Delivery; envelope: TypedEnvelope<EventType> };
type Item = Valid | { message: Delivery; problem: string };

/** A handler threw while applying the event at `index` of a transaction's events. */
class HandlerFailure extends Error {
  readonly index: number;
  override readonly cause: unknown;
  constructor(index: number, cause: unknown) {
    super('event handler failed');
    this.index = index;
    this.cause = cause;
  }
}

/** The retry delay before delivery `deliveries + 1`: exponential, capped, with jitter in [50 %, 100 %]. */
export function retryDelayMs(deliveries: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, deliveries - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

function describeError(error: unknown): string {
  if (isAppError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Creates a consumer; call `start()` to subscribe. */
export function createConsumer(options: ConsumerOptions): Consumer {
  const name = assertBusName('name', options.name);
  const { transport, db, log: parentLog, batchHandler } = options;
  const handlers: EventHandlers = options.handlers ?? {};
  const log = parentLog.child({ consumer: name });
  const maxDeliveries = options.maxDeliveries ?? 5;
  const baseMs = options.retry?.baseMs ?? 200;
  const maxMs = options.retry?.maxMs ?? 30_000;
  const maxBatch = options.maxBatch ?? 200;
  const timeout = options.transactionTimeoutMs ?? 30_000;
  if (options.handlers && batchHandler) throw new TypeError('handlers, batchHandler: give one of them');
  const handled = batchHandler ? [...batchHandler.types] : (Object.keys(handlers) as EventType[]);
  if (handled.length === 0) throw new TypeError('handlers: a consumer handles at least one event type');
  const wants = (type: EventType) => handled.includes(type);
  const topics = [...new Set(handled.map((type) => (EVENTS as Record<string, EventDefinition>)[type]?.topic as string))];
  const metrics = options.registry ? busMetrics(options.registry) : undefined;
  const stopping = new AbortController();
  let subscription: Subscription | undefined;
  let removeLag: (() => void) | undefined;

  function decode(message: Delivery): Item {
    let value: unknown;
    try {
      value = JSON.parse(message.value);
    } catch {
      return { message, problem: 'not JSON' };
    }
    const problems = validateEnvelope(value);
    if (problems.length > 0) return { message, problem: `invalid envelope: ${problems.join('; ')}` };
    return { message, envelope: value as TypedEnvelope<EventType> };
  }

  /** One transaction: record the ids, apply the events not seen before, in order. A handler's error is wrapped with its index. */
  async function applyInTx(batch: PartitionBatch, items: readonly Valid[]) {
    const applied: EventType[] = [];
    let duplicates = 0;
    const wanted = items.filter((item) => wants(item.envelope.type));
    if (wanted.length === 0) return;
    await db.$transaction(
      async (tx) => {
        const fresh = await markProcessedInTx(
          tx,
          name,
          wanted.map((item) => item.envelope.id.toLowerCase()),
        );
        const toApply: Valid[] = [];
        for (const item of wanted) {
          if (fresh.delete(item.envelope.id.toLowerCase())) toApply.push(item);
          else duplicates++;
        }
        if (batchHandler) {
          if (toApply.length === 0) return;
          try {
            await batchHandler.handle(
              tx,
              toApply.map((item) => item.envelope),
              { topic: batch.topic, partition: batch.partition },
            );
          } catch (error) {
            // Which event failed is unknown: the caller applies them one by one to find out.
            throw new HandlerFailure(toApply.length === 1 ? items.indexOf(toApply[0] as Valid) : -1, error);
          }
          for (const item of toApply) applied.push(item.envelope.type);
          return;
        }
        for (const item of toApply) {
          const handler = handlers[item.envelope.type] as EventHandler<EventType>;
          try {
            await handler(tx, item.envelope, { topic: batch.topic, partition: batch.partition, deliveries: item.message.deliveries });
          } catch (error) {
            throw new HandlerFailure(items.indexOf(item), error);
          }
          applied.push(item.envelope.type);
        }
      },
      { timeout, maxWait: timeout },
    );
    for (const type of applied) metrics?.eventsProcessed.inc({ consumer: name, type });
    if (duplicates > 0) metrics?.eventsDuplicate.inc({ consumer: name }, duplicates);
  }

  async function deadLetter(batch: PartitionBatch, message: Delivery, type: string, reason: string): Promise<void> {
    await batch.deadLetter(message, reason);
    metrics?.deadLetters.inc({ consumer: name, type });
    log.error(
      { topic: batch.topic, partition: batch.partition, position: message.position, type, deliveries: message.deliveries, reason },
      'event dead-lettered',
    );
  }

  /**
   * Applies one event in its own transaction until it succeeds, is dead-lettered, or the consumer must stop (false).
   * `failed` is the error of an attempt already made in this delivery.
   */
  async function applyOne(batch: PartitionBatch, item: Valid, failed?: { error: unknown }): Promise<boolean> {
    const { message, envelope } = item;
    let failure = failed;
    for (;;) {
      if (failure) {
        const { error } = failure;
        metrics?.handlerFailures.inc({ consumer: name, type: envelope.type });
        const permanent = isAppError(error) && !error.retryable;
        if (permanent || message.deliveries >= maxDeliveries) {
          await deadLetter(batch, message, envelope.type, `${describeError(error)} (after ${message.deliveries} deliveries)`);
          return true;
        }
        const delay = retryDelayMs(message.deliveries, baseMs, maxMs);
        log.warn(
          { err: error, eventId: envelope.id, type: envelope.type, deliveries: message.deliveries, retryInMs: delay },
          'event handler failed; retrying',
        );
        await sleep(delay, stopping.signal);
        if (!batch.active() || stopping.signal.aborted) return false;
        await batch.redeliver(message);
      }
      try {
        await applyInTx(batch, [item]);
        await batch.ack([message]);
        return true;
      } catch (error) {
        failure = { error: error instanceof HandlerFailure ? error.cause : error };
      }
    }
  }

  /**
   * Applies a run of valid events in order: a transaction per chunk. When a handler fails, the events before it are
   * applied again (they were rolled back with it), the failing one is retried alone, and the rest continue.
   */
  async function applyRun(batch: PartitionBatch, run: readonly Valid[]): Promise<boolean> {
    let rest = run;
    while (rest.length > 0) {
      if (!batch.active() || stopping.signal.aborted) return false;
      const chunk = rest.slice(0, maxBatch);
      try {
        await applyInTx(batch, chunk);
        await batch.ack(chunk.map((item) => item.message));
        rest = rest.slice(chunk.length);
      } catch (error) {
        if (!(error instanceof HandlerFailure) || error.index < 0) {
          // Not one handler call we can name (the database, the commit, a batch handler): one transaction per event,
          // each with its own retries.
          log.warn(
            { err: error instanceof HandlerFailure ? error.cause : error, size: chunk.length },
            'batch transaction failed; applying its events one by one',
          );
          for (const item of chunk) if (!(await applyOne(batch, item))) return false;
          rest = rest.slice(chunk.length);
          continue;
        }
        if (error.index > 0 && !(await applyRun(batch, chunk.slice(0, error.index)))) return false;
        if (!(await applyOne(batch, chunk[error.index] as Valid, { error: error.cause }))) return false;
        rest = rest.slice(error.index + 1);
      }
    }
    return true;
  }

  async function onBatch(batch: PartitionBatch): Promise<void> {
    const started = performance.now();
    let run: Valid[] = [];
    for (const item of batch.messages.map(decode)) {
      if ('problem' in item) {
        if (!(await applyRun(batch, run))) return;
        run = [];
        if (!batch.active()) return;
        await deadLetter(batch, item.message, 'unknown', item.problem);
        continue;
      }
      if (item.message.deliveries > maxDeliveries) {
        // Delivered over and over without ever being settled: it takes its process down. Keep it aside.
        if (!(await applyRun(batch, run))) return;
        run = [];
        if (!batch.active()) return;
        await deadLetter(batch, item.message, item.envelope.type, `delivered ${item.message.deliveries} times without being settled`);
        continue;
      }
      run.push(item);
    }
    await applyRun(batch, run);
    metrics?.batchSeconds.observe({ consumer: name }, (performance.now() - started) / 1000);
  }

  return {
    name,
    topics,
    async start() {
      if (subscription) return;
      subscription = await transport.subscribe({ group: name, topics, handler: onBatch, maxBatch });
      removeLag = metrics?.addLagSource({ consumer: name, lag: () => transport.lag(name, topics) });
      log.info({ topics }, 'consumer started');
    },
    async stop() {
      stopping.abort();
      removeLag?.();
      await subscription?.close();
      subscription = undefined;
      log.info('consumer stopped');
    },
  };
}
