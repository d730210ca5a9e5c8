/**
 * The Kafka adapter without a broker (none can run on our machines). Nothing here imitates Kafka: records go
 * through kafkajs' own wire codec (the RecordBatch encoder its producer uses and the decoder its fetch uses) into
 * kafkajs' own `Batch` class; the producer request is checked by a real kafkajs idempotent producer; offsets are
 * checked against kafkajs' own OffsetManager. The one stand-in is `runnerPayload` below, the object kafkajs' consumer
 * runner passes to `eachBatch`: it is typed `satisfies EachBatchPayload` and forwards `resolveOffset` to a real
 * OffsetManager, as the runner does.
 */
import { createRequire } from 'node:module';
import {
  type Batch,
  type EachBatchPayload,
  Kafka,
  KafkaJSError,
  type KafkaMessage,
  type Message,
  type OffsetsByTopicPartition,
  Partitioners,
  type PartitionMetadata,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { partitionFor } from '../partition.ts';
import type { Delivery, OutgoingMessage, PartitionBatch } from '../transport.ts';
import {
  createEachBatchHandler,
  deadLetterId,
  foldDeadLetters,
  kafkaTopic,
  nextOffset,
  toDeadLetterMarker,
  toDeadLetterMessage,
  toProducerBatch,
} from './mapping.ts';

const require = createRequire(import.meta.url);
type RecordFactory = (record: Message & { offsetDelta: number; timestampDelta: number }) => unknown;
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as RecordFactory;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch(options: { records: unknown[]; firstOffset: unknown; lastOffsetDelta: number }): Promise<{ buffer: Buffer }>;
};
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: unknown,
) => Promise<{ records: KafkaMessage[] }>;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
const Long = require('kafkajs/src/utils/long') as { fromNumber(value: number): unknown };
const KafkaBatch = require('kafkajs/src/consumer/batch') as new (
  topic: string,
  fetchedOffset: string,
  partitionData: { partition: number; highWatermark: string; messages: KafkaMessage[] },
) => Batch;
const OffsetManager = require('kafkajs/src/consumer/offsetManager') as new (
  options: Record<string, unknown>,
) => {
  resolveOffset(entry: { topic: string; partition: number; offset: string }): void;
  uncommittedOffsets(): OffsetsByTopicPartition;
};

const PREFIX = 'hb';

/** Messages as a broker would hand them back: kafkajs' producer encoding, then its fetch decoding. */
async function fetchedBatch(topic: string, partition: number, firstOffset: number, messages: Message[]): Promise<Batch> {
  const records = messages.map((message, i) => Record({ ...message, offsetDelta: i, timestampDelta: 0 }));
  const encoded = await RecordBatch({ records, firstOffset: Long.fromNumber(firstOffset), lastOffsetDelta: records.length - 1 });
  const { records: decoded } = await decodeRecordBatch(new Decoder(encoded.buffer));
  return new KafkaBatch(topic, String(firstOffset), {
    partition,
    highWatermark: String(firstOffset + messages.length),
    messages: decoded,
  });
}

/** What kafkajs' consumer runner passes to eachBatch, recording commits; resolveOffset goes to a real OffsetManager. */
function runnerPayload(batch: Batch, state: { running: boolean; stale: boolean } = { running: true, stale: false }) {
  const offsets = new OffsetManager({ memberAssignment: { [batch.topic]: [batch.partition] }, topicConfigurations: {} });
  const commits: OffsetsByTopicPartition[] = [];
  const resolved: string[] = [];
  const payload = {
    batch,
    resolveOffset(offset: string) {
      resolved.push(offset);
      offsets.resolveOffset({ topic: batch.topic, partition: batch.partition, offset });
    },
    heartbeat: async () => undefined,
    pause: () => () => undefined,
    async commitOffsetsIfNecessary(given?: OffsetsByTopicPartition) {
      if (given) commits.push(given);
    },
    uncommittedOffsets: () => offsets.uncommittedOffsets(),
    isRunning: () => state.running,
    isStale: () => state.stale,
  } satisfies EachBatchPayload;
  return { payload, commits, resolved, offsets };
}

function events(count: number, key = (i: number) => `key-${i % 3}`): OutgoingMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    topic: 'match',
    key: key(i),
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    value: JSON.stringify({ n: i }),
  }));
}

describe('kafka producer mapping', () => {
  it('builds one ordered sendBatch per publish that a real idempotent kafkajs producer accepts', async () => {
    const batch = toProducerBatch(PREFIX, [...events(3), { topic: 'player', key: 'p', id: 'x', value: '{}' }]);
    expect(batch.acks).toBe(-1);
    expect(batch.topicMessages?.map((entry) => entry.topic)).toEqual([kafkaTopic(PREFIX, 'match'), kafkaTopic(PREFIX, 'player')]);
    expect(batch.topicMessages?.[0]?.messages.map((message) => message.value)).toEqual(['{"n":0}', '{"n":1}', '{"n":2}']);

    const kafka = new Kafka({ clientId: 'mapping-test', brokers: ['127.0.0.1:1'], logLevel: 0 });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    // kafkajs validates the request (topics, values, acks for the idempotent producer) before it looks at the
    // connection: the only complaint left must be that it is not connected.
    const sent = await producer.sendBatch(batch).catch((error: unknown) => error);
    expect(sent).toBeInstanceOf(KafkaJSError);
    expect((sent as Error).message).toBe('The producer is disconnected');
    // The same producer refuses a request that would weaken idempotence, so the check above is a real one.
    const weak = await producer.sendBatch({ ...batch, acks: 1 }).catch((error: unknown) => error);
    expect((weak as Error).message).toMatch(/idempotent producer/);
  });

  it("sends each key to the partition kafkajs' DefaultPartitioner picks, the same number Redis Streams uses", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata: PartitionMetadata[] = Array.from({ length: 16 }, (_, partitionId) => ({
      partitionErrorCode: 0,
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
    }));
    const batch = toProducerBatch(
      PREFIX,
      events(200, (i) => `player-${i}`),
    );
    for (const message of batch.topicMessages?.[0]?.messages ?? []) {
      const topic = kafkaTopic(PREFIX, 'match');
      expect(partitioner({ topic, partitionMetadata, message })).toBe(partitionFor(String(message.key), 16));
    }
  });
});

describe('kafka eachBatch: offsets are committed only after the handler succeeded', () => {
  const messages = events(5).map((event) => ({ key: event.key, value: event.value, headers: { 'event-id': event.id } }));

  it('maps fetched records to deliveries with their offsets, keys and values', async () => {
    const batch = await fetchedBatch(kafkaTopic(PREFIX, 'match'), 3, 40, messages);
    const seen: PartitionBatch[] = [];
    const { payload } = runnerPayload(batch);
    await createEachBatchHandler({
      prefix: PREFIX,
      closing: () => false,
      sendDeadLetter: async () => undefined,
      handler: async (partitionBatch) => {
        seen.push(partitionBatch);
      },
    })(payload);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.topic).toBe('match');
    expect(seen[0]?.partition).toBe(3);
    expect(seen[0]?.messages.map((m) => [m.position, m.key, m.value, m.deliveries])).toEqual(
      messages.map((m, i) => [String(40 + i), m.key, m.value, 1]),
    );
  });

  it('commits offset+1 of the last acknowledged message, exactly what kafkajs itself would commit', async () => {
    const batch = await fetchedBatch(kafkaTopic(PREFIX, 'match'), 1, 100, messages);
    const { payload, commits, offsets } = runnerPayload(batch);
    await createEachBatchHandler({
      prefix: PREFIX,
      closing: () => false,
      sendDeadLetter: async () => undefined,
      handler: async (b) => b.ack(b.messages.slice(0, 3)),
    })(payload);
    expect(commits).toEqual([{ topics: [{ topic: kafkaTopic(PREFIX, 'match'), partitions: [{ partition: 1, offset: '103' }] }] }]);
    // kafkajs keys its resolved offsets by partition as object keys (strings); compare the numbers.
    const own = offsets
      .uncommittedOffsets()
      .topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, partition: Number(p.partition) })) }));
    expect(commits[0]?.topics).toEqual(own);
    expect(nextOffset('9007199254740993')).toBe('9007199254740994');
  });

  it('commits nothing past a message whose handler failed', async () => {
    const batch = await fetchedBatch(kafkaTopic(PREFIX, 'match'), 0, 0, messages);
    const { payload, commits, resolved } = runnerPayload(batch);
    const handled: string[] = [];
    const run = createEachBatchHandler({
      prefix: PREFIX,
      closing: () => false,
      sendDeadLetter: async () => undefined,
      handler: async (b) => {
        for (const message of b.messages) {
          if (message.position === '2') throw new Error('effect failed');
          handled.push(message.position);
          await b.ack([message]);
        }
      },
    });
    await expect(run(payload)).rejects.toThrow('effect failed');
    expect(handled).toEqual(['0', '1']);
    expect(resolved).toEqual(['0', '1']);
    expect(commits.at(-1)?.topics[0]?.partitions[0]?.offset).toBe('2');
  });

  it('writes a dead letter before committing past it, and counts retries in process', async () => {
    const batch = await fetchedBatch(kafkaTopic(PREFIX, 'match'), 2, 7, messages.slice(0, 2));
    const { payload, commits } = runnerPayload(batch);
    const order: string[] = [];
    await createEachBatchHandler({
      prefix: PREFIX,
      closing: () => false,
      sendDeadLetter: async (source, message, reason) => {
        order.push(`dlq ${source.topic}/${source.partition}@${message.position} ${reason} x${message.deliveries}`);
      },
      handler: async (b) => {
        const [first, second] = b.messages as [Delivery, Delivery];
        expect(await b.redeliver(first)).toBe(2);
        expect(await b.redeliver(first)).toBe(3);
        await b.deadLetter(first, 'boom');
        order.push(`commit ${commits.at(-1)?.topics[0]?.partitions[0]?.offset}`);
        await b.ack([second]);
      },
    })(payload);
    expect(order).toEqual(['dlq match/2@7 boom x3', 'commit 8']);
    expect(commits.at(-1)?.topics[0]?.partitions[0]?.offset).toBe('9');
  });

  it('is inactive once the partition was revoked (stale), the consumer stopped, or the subscription closes', async () => {
    const batch = await fetchedBatch(kafkaTopic(PREFIX, 'match'), 0, 0, messages.slice(0, 1));
    const state = { running: true, stale: false };
    let closing = false;
    let active: (() => boolean) | undefined;
    await createEachBatchHandler({
      prefix: PREFIX,
      closing: () => closing,
      sendDeadLetter: async () => undefined,
      handler: async (b) => {
        active = b.active;
      },
    })(runnerPayload(batch, state).payload);
    expect(active?.()).toBe(true);
    state.stale = true;
    expect(active?.()).toBe(false);
    state.stale = false;
    state.running = false;
    expect(active?.()).toBe(false);
    state.running = true;
    closing = true;
    expect(active?.()).toBe(false);
  });
});

describe('kafka dead-letter topic', () => {
  it('lists dead records minus those a later marker replayed or discarded, across partitions', async () => {
    const dead = (position: string, reason: string): Message =>
      toDeadLetterMessage(
        { topic: 'match', partition: 4 },
        { position, key: `k${position}`, value: `{"p":${position}}`, deliveries: 5 },
        reason,
        new Date('2026-11-21T10:00:00Z'),
      );
    const p0 = await fetchedBatch('hb.dlq.g', 0, 0, [
      dead('10', 'a'),
      dead('11', 'b'),
      toDeadLetterMarker('replayed', deadLetterId(0, '0')),
    ]);
    const p1 = await fetchedBatch('hb.dlq.g', 1, 5, [dead('12', 'c'), toDeadLetterMarker('discarded', deadLetterId(1, '5'))]);
    const p2 = await fetchedBatch('hb.dlq.g', 2, 0, [dead('13', 'd')]);
    const records = [p0, p1, p2].flatMap((batch) => batch.messages.map((message) => ({ partition: batch.partition, message })));
    expect(foldDeadLetters('g', records)).toEqual([
      {
        id: '0:1',
        group: 'g',
        topic: 'match',
        partition: 4,
        key: 'k11',
        value: '{"p":11}',
        reason: 'b',
        deliveries: 5,
        failedAt: '2026-11-21T10:00:00.000Z',
      },
      {
        id: '2:0',
        group: 'g',
        topic: 'match',
        partition: 4,
        key: 'k13',
        value: '{"p":13}',
        reason: 'd',
        deliveries: 5,
        failedAt: '2026-11-21T10:00:00.000Z',
      },
    ]);
  });
});
