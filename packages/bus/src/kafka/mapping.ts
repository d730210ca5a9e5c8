/**
 * The Kafka adapter's pure half: how bus messages become kafkajs records and back, and how a kafkajs `eachBatch`
 * call becomes a {@link PartitionBatch} whose acknowledgements commit offsets only after the handler succeeded.
 * Everything here is typed with kafkajs' own types and unit-tested without a broker (none can run on our machines).
 */
import type { EachBatchHandler, EachBatchPayload, IHeaders, KafkaMessage, Message, ProducerBatch } from 'kafkajs';
import type { BatchHandler, DeadLetter, Delivery, OutgoingMessage, PartitionBatch } from '../transport.ts';

/** The Kafka topic that carries a catalogue topic. */
export function kafkaTopic(prefix: string, topic: string): string {
  return `${prefix}.${topic}`;
}

/** The dead-letter topic of a consumer group. */
export function deadLetterTopic(prefix: string, group: string): string {
  return `${prefix}.dlq.${group}`;
}

/** The Kafka consumer group id of a bus consumer group. */
export function kafkaGroupId(prefix: string, group: string): string {
  return `${prefix}.${group}`;
}

/** The catalogue topic carried by a Kafka topic (the inverse of {@link kafkaTopic}). */
export function catalogueTopic(prefix: string, topic: string): string {
  return topic.startsWith(`${prefix}.`) ? topic.slice(prefix.length + 1) : topic;
}

/** A bus message as a kafkajs record: the key picks the partition (kafkajs' DefaultPartitioner, murmur2). */
export function toKafkaMessage(message: OutgoingMessage): Message {
  return { key: message.key, value: message.value, headers: { 'event-id': message.id } };
}

/**
 * One `sendBatch` request for messages in publish order. kafkajs keeps the order of messages per partition, and
 * with the idempotent producer (acks from all in-sync replicas, one request in flight) retries cannot reorder them.
 */
export function toProducerBatch(prefix: string, messages: readonly OutgoingMessage[]): ProducerBatch {
  const byTopic = new Map<string, Message[]>();
  for (const message of messages) {
    const topic = kafkaTopic(prefix, message.topic);
    const list = byTopic.get(topic) ?? [];
    list.push(toKafkaMessage(message));
    byTopic.set(topic, list);
  }
  return { acks: -1, topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })) };
}

function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

/** A fetched record as a delivery. Kafka keeps no delivery count: it starts at 1 in each process. */
export function toDelivery(message: KafkaMessage): Delivery {
  return {
    position: message.offset,
    key: message.key ? message.key.toString('utf8') : '',
    value: message.value ? message.value.toString('utf8') : '',
    deliveries: 1,
  };
}

/** The committed offset after a message: Kafka commits the offset of the next record to read. */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

/** Kinds of records on a dead-letter topic: a dead message, or an operator's decision about one. */
export type DeadLetterRecordKind = 'dead' | 'replayed' | 'discarded';

/** The record that moves a message to the dead-letter topic. */
export function toDeadLetterMessage(
  source: { topic: string; partition: number },
  message: Delivery,
  reason: string,
  failedAt: Date,
): Message {
  return {
    key: message.key,
    value: message.value,
    headers: {
      'dlq-kind': 'dead',
      'dlq-topic': source.topic,
      'dlq-partition': String(source.partition),
      'dlq-position': message.position,
      'dlq-reason': reason.slice(0, 2000),
      'dlq-deliveries': String(message.deliveries),
      'dlq-failed-at': failedAt.toISOString(),
    },
  };
}

/** The record that marks a dead letter replayed or discarded (a Kafka topic cannot delete a record). */
export function toDeadLetterMarker(kind: Exclude<DeadLetterRecordKind, 'dead'>, deadLetterId: string): Message {
  return { key: deadLetterId, value: '', headers: { 'dlq-kind': kind, 'dlq-of': deadLetterId } };
}

/** The id of a record on a dead-letter topic. */
export function deadLetterId(partition: number, offset: string): string {
  return `${partition}:${offset}`;
}

/**
 * Folds a dead-letter topic, read from the start, into the dead letters still waiting: every `dead` record minus
 * those a later marker replayed or discarded. Records must be given in order within each partition.
 */
export function foldDeadLetters(group: string, records: ReadonlyArray<{ partition: number; message: KafkaMessage }>): DeadLetter[] {
  const waiting = new Map<string, DeadLetter>();
  for (const { partition, message } of records) {
    const headers = 'headers' in message ? message.headers : undefined;
    const kind = headerText(headers, 'dlq-kind');
    if (kind === 'dead') {
      const id = deadLetterId(partition, message.offset);
      waiting.set(id, {
        id,
        group,
        topic: headerText(headers, 'dlq-topic') ?? '',
        partition: Number(headerText(headers, 'dlq-partition') ?? 0),
        key: message.key?.toString('utf8') ?? '',
        value: message.value?.toString('utf8') ?? '',
        reason: headerText(headers, 'dlq-reason') ?? '',
        deliveries: Number(headerText(headers, 'dlq-deliveries') ?? 0),
        failedAt: headerText(headers, 'dlq-failed-at') ?? '',
      });
    } else if (kind === 'replayed' || kind === 'discarded') {
      const of = headerText(headers, 'dlq-of');
      if (of) waiting.delete(of);
    }
  }
  return [...waiting.values()];
}

export interface EachBatchOptions {
  prefix: string;
  handler: BatchHandler;
  /** Writes a dead letter durably (the producer's send to the dead-letter topic). */
  sendDeadLetter(source: { topic: string; partition: number }, message: Delivery, reason: string): Promise<void>;
  /** True once the subscription is closing. */
  closing(): boolean;
}

/**
 * Adapts a bus batch handler to kafkajs' `eachBatch` with `autoCommit: false` and `eachBatchAutoResolve: false`:
 * an acknowledgement resolves the offset and commits `offset + 1` right away, so a committed offset never passes a
 * message whose handler has not succeeded (or that was not written to the dead-letter topic first). Whatever the
 * handler leaves unacknowledged is fetched again (this member) or read from the committed offset (another member
 * after a rebalance).
 */
export function createEachBatchHandler(options: EachBatchOptions): EachBatchHandler {
  return async (payload: EachBatchPayload) => {
    const { batch } = payload;
    if (batch.isEmpty()) return;
    const source = { topic: catalogueTopic(options.prefix, batch.topic), partition: batch.partition };
    const commit = async (offset: string) => {
      payload.resolveOffset(offset);
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: nextOffset(offset) }] }],
      });
    };
    const partitionBatch: PartitionBatch = {
      ...source,
      messages: batch.messages.map(toDelivery),
      async ack(done) {
        if (done.length === 0) return;
        let last = done[0]?.position as string;
        for (const message of done) if (BigInt(message.position) > BigInt(last)) last = message.position;
        await commit(last);
        await payload.heartbeat();
      },
      async deadLetter(message, reason) {
        await options.sendDeadLetter(source, message, reason);
        await commit(message.position);
      },
      async redeliver(message) {
        // Retried in place: the count lives in this process only (Kafka has no per-record delivery count).
        message.deliveries += 1;
        await payload.heartbeat();
        return message.deliveries;
      },
      active: () => !options.closing() && payload.isRunning() && !payload.isStale(),
    };
    await options.handler(partitionBatch);
  };
}
