/**
 * Kafka transport (kafkajs 2.2.4), for production. Topics are `<prefix>.<topic>` with `partitions` partitions each
 * (created when missing), consumer groups are `<prefix>.<group>`, dead letters go to `<prefix>.dlq.<group>`.
 *
 * - Producer: idempotent (acks from all in-sync replicas, unlimited retries, one request in flight), so a retried
 *   send neither duplicates nor reorders; the key picks the partition with kafkajs' DefaultPartitioner (murmur2).
 * - Consumer: `autoCommit: false`; offsets are committed only after the handler succeeded (see
 *   {@link createEachBatchHandler}); partitions of a group are spread over its members by Kafka's group protocol.
 * - Delivery counts are per process: after a crash a message starts again at 1.
 *
 * No Kafka broker runs on our machines: this file is exercised by the contract suite wherever `KAFKA_BROKERS` is
 * set, and its pure half (kafka/mapping.ts) by unit tests against kafkajs' own types and classes.
 */
import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, type KafkaMessage, type LogEntry, logLevel, Partitioners, type Producer, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { assertBusName } from '../names.ts';
import type { DeadLetter, LagEntry, OutgoingMessage, SubscribeOptions, Subscription, Transport } from '../transport.ts';
import {
  createEachBatchHandler,
  deadLetterTopic,
  foldDeadLetters,
  kafkaGroupId,
  kafkaTopic,
  toDeadLetterMarker,
  toDeadLetterMessage,
  toProducerBatch,
} from './mapping.ts';

export interface KafkaTransportOptions {
  brokers: readonly string[];
  clientId: string;
  prefix: string;
  /** Partitions of the topics this transport creates. */
  partitions: number;
  /** Replication factor of the topics it creates (3 in production; 1 on a single dev broker). */
  replicationFactor?: number;
  log: Logger;
  /** Partitions one member handles at the same time. */
  concurrency?: number;
  /** Consumer session timeout (ms): a dead member's partitions move after this. */
  sessionTimeoutMs?: number;
  /** TLS to the brokers. */
  ssl?: boolean;
  /** SASL authentication (PLAIN or SCRAM). */
  sasl?: SASLOptions;
}

/** Routes kafkajs' own logs into pino. */
function pinoLogCreator(log: Logger) {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _timestamp, ...extra } = entry;
      const fields = { kafkajs: namespace, ...extra };
      if (level === logLevel.ERROR) log.error(fields, message);
      else if (level === logLevel.WARN) log.warn(fields, message);
      else if (level === logLevel.INFO) log.info(fields, message);
      else log.debug(fields, message);
    };
}

/** Creates the Kafka transport; connections open on first use. */
export function createKafkaTransport(options: KafkaTransportOptions): Transport {
  const prefix = assertBusName('prefix', options.prefix);
  const log = options.log;
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logCreator: pinoLogCreator(log),
    ...(options.ssl ? { ssl: true } : {}),
    ...(options.sasl ? { sasl: options.sasl } : {}),
  });
  const known = new Set<string>();
  const consumers = new Set<Subscription>();
  let producer: Promise<Producer> | undefined;
  let admin: Promise<Admin> | undefined;

  const getProducer = () => {
    producer ??= (async () => {
      const created = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await created.connect();
      return created;
    })().catch((error: unknown) => {
      producer = undefined;
      throw error;
    });
    return producer;
  };
  const getAdmin = () => {
    admin ??= (async () => {
      const created = kafka.admin();
      await created.connect();
      return created;
    })().catch((error: unknown) => {
      admin = undefined;
      throw error;
    });
    return admin;
  };

  async function ensureTopics(topics: readonly string[]): Promise<void> {
    const missing = topics.filter((topic) => !known.has(topic));
    if (missing.length === 0) return;
    await (await getAdmin()).createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: options.partitions,
        replicationFactor: options.replicationFactor ?? 1,
      })),
    });
    for (const topic of missing) known.add(topic);
  }

  async function publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const batch = toProducerBatch(prefix, messages);
    await ensureTopics((batch.topicMessages ?? []).map((entry) => entry.topic));
    await (await getProducer()).sendBatch(batch);
  }

  async function subscribe(subscribeOptions: SubscribeOptions): Promise<Subscription> {
    const group = assertBusName('group', subscribeOptions.group);
    const topics = subscribeOptions.topics.map((topic) => kafkaTopic(prefix, assertBusName('topic', topic)));
    await ensureTopics([...topics, deadLetterTopic(prefix, group)]);
    const consumer = kafka.consumer({
      groupId: kafkaGroupId(prefix, group),
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.floor((options.sessionTimeoutMs ?? 30_000) / 10),
      allowAutoTopicCreation: false,
    });
    let closing = false;
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    const dlq = deadLetterTopic(prefix, group);
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.concurrency ?? 4,
      eachBatch: createEachBatchHandler({
        prefix,
        handler: subscribeOptions.handler,
        closing: () => closing,
        async sendDeadLetter(source, message, reason) {
          await (await getProducer()).send({ topic: dlq, acks: -1, messages: [toDeadLetterMessage(source, message, reason, new Date())] });
        },
      }),
    });
    const subscription: Subscription = {
      async close() {
        if (closing) return;
        closing = true;
        await consumer.disconnect();
        consumers.delete(subscription);
      },
    };
    consumers.add(subscription);
    return subscription;
  }

  /** Reads a whole dead-letter topic, start to current end, with a throw-away group that commits nothing. */
  async function readDeadLetterTopic(group: string): Promise<Array<{ partition: number; message: KafkaMessage }>> {
    const topic = deadLetterTopic(prefix, assertBusName('group', group));
    await ensureTopics([topic]);
    const ends = await (await getAdmin()).fetchTopicOffsets(topic);
    const remaining = new Map(ends.filter((end) => BigInt(end.high) > BigInt(end.low)).map((end) => [end.partition, BigInt(end.high)]));
    const records: Array<{ partition: number; message: KafkaMessage }> = [];
    if (remaining.size === 0) return records;
    const groupId = kafkaGroupId(prefix, `dlq-reader.${randomUUID()}`);
    const reader = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    await reader.connect();
    try {
      await reader.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        reader
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              records.push({ partition, message });
              const end = remaining.get(partition);
              if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(partition);
              if (remaining.size === 0) resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await reader.disconnect();
      await (await getAdmin()).deleteGroups([groupId]).catch(() => undefined);
    }
    return records.sort((a, b) => a.partition - b.partition || (BigInt(a.message.offset) < BigInt(b.message.offset) ? -1 : 1));
  }

  async function listDeadLetters(group: string, limit = 100): Promise<DeadLetter[]> {
    return foldDeadLetters(group, await readDeadLetterTopic(group)).slice(0, limit);
  }

  async function mark(group: string, id: string, kind: 'replayed' | 'discarded'): Promise<DeadLetter | undefined> {
    const letter = foldDeadLetters(group, await readDeadLetterTopic(group)).find((entry) => entry.id === id);
    if (!letter) return undefined;
    const sender = await getProducer();
    if (kind === 'replayed') {
      await publish([{ topic: letter.topic, key: letter.key, id, value: letter.value }]);
    }
    await sender.send({ topic: deadLetterTopic(prefix, group), acks: -1, messages: [toDeadLetterMarker(kind, id)] });
    return letter;
  }

  async function lag(group: string, topics: readonly string[]): Promise<LagEntry[]> {
    const client = await getAdmin();
    const groupId = kafkaGroupId(prefix, assertBusName('group', group));
    const out: LagEntry[] = [];
    for (const topic of topics) {
      const name = kafkaTopic(prefix, assertBusName('topic', topic));
      const ends = await client.fetchTopicOffsets(name);
      const committed = (await client.fetchOffsets({ groupId, topics: [name] }))[0]?.partitions ?? [];
      for (const end of ends) {
        const offset = committed.find((entry) => entry.partition === end.partition)?.offset ?? '-1';
        const from = offset === '-1' ? BigInt(end.low) : BigInt(offset);
        out.push({ topic, partition: end.partition, lag: Number(BigInt(end.high) - from) });
      }
    }
    return out;
  }

  return {
    kind: 'kafka',
    publish,
    subscribe,
    listDeadLetters,
    replayDeadLetter: async (group, id) => (await mark(group, id, 'replayed')) !== undefined,
    discardDeadLetter: async (group, id) => (await mark(group, id, 'discarded')) !== undefined,
    lag,
    // Retention is the broker's job (topic retention settings).
    maintain: async () => undefined,
    async close() {
      await Promise.all([...consumers].map((subscription) => subscription.close()));
      if (producer) await (await producer.catch(() => undefined))?.disconnect();
      if (admin) await (await admin.catch(() => undefined))?.disconnect();
    },
  };
}
