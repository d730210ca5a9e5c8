/**
 * The one interface every event transport implements (Redis Streams by default, Kafka in production). The relay
 * publishes through it; the consumer framework subscribes through it. Semantics every transport keeps, checked by
 * the contract suite in test/contract.test.ts:
 *
 * - `publish` resolves only when the broker has durably accepted every message, and messages with the same key
 *   keep their order (a key always maps to the same partition: {@link partitionFor}).
 * - A consumer group sees each message at least once; within one partition, batches arrive in order and one
 *   partition is handled by one member of the group at a time.
 * - A message that is neither acknowledged nor dead-lettered is delivered again (to this member after an error,
 *   to another member when this one dies).
 */

/** A message to publish: the event envelope serialised as JSON, with its topic and key. */
export interface OutgoingMessage {
  /** Catalogue topic (`player`, `match`, …); the transport adds its prefix. */
  topic: string;
  /** Ordering key: messages with the same key are delivered in publish order. */
  key: string;
  /** The event id, for logs and dead letters. */
  id: string;
  /** The envelope as JSON. */
  value: string;
}

/** One delivered message. */
export interface Delivery {
  /** Position in its partition: a stream entry id on Redis, an offset on Kafka. */
  position: string;
  key: string;
  value: string;
  /** How many times this message has been delivered to the group, this delivery included (at least 1). */
  deliveries: number;
}

/** A batch of messages from one partition, in order, with the operations that settle them. */
export interface PartitionBatch {
  /** Catalogue topic (without the transport's prefix). */
  topic: string;
  partition: number;
  messages: readonly Delivery[];
  /**
   * Acknowledges messages: they will not be delivered to this group again. Acknowledge in order: on Kafka an
   * acknowledgement commits the offset after the last message given, which covers every earlier one.
   */
  ack(messages: readonly Delivery[]): Promise<void>;
  /** Moves a message to the group's dead-letter store with a reason, and acknowledges it. */
  deadLetter(message: Delivery, reason: string): Promise<void>;
  /** Records one more delivery attempt of a message that failed and is being retried; returns the new count. */
  redeliver(message: Delivery): Promise<number>;
  /** False once this member no longer owns the partition (or is stopping): stop and leave the rest unacknowledged. */
  active(): boolean;
}

export type BatchHandler = (batch: PartitionBatch) => Promise<void>;

/** What a subscription consumes. */
export interface SubscribeOptions {
  /** Consumer group: every group receives every message; members of a group share the partitions. */
  group: string;
  topics: readonly string[];
  handler: BatchHandler;
  /** Most messages in one batch. */
  maxBatch?: number;
}

/** A running subscription. */
export interface Subscription {
  /** Stops fetching, waits for the batches in flight, and leaves the group. */
  close(): Promise<void>;
}

/** A message that exhausted its deliveries or could not be handled at all. */
export interface DeadLetter {
  /** The dead letter's own id in the group's dead-letter store (what `replay` takes). */
  id: string;
  group: string;
  topic: string;
  partition: number;
  key: string;
  value: string;
  reason: string;
  deliveries: number;
  failedAt: string;
}

/** Messages published to a partition that a group has not acknowledged yet. */
export interface LagEntry {
  topic: string;
  partition: number;
  lag: number;
}

/** An event transport. */
export interface Transport {
  readonly kind: 'redis' | 'kafka';
  /** Publishes in order; resolves when the broker acknowledged every message, rejects otherwise (nothing is assumed sent). */
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Dead letters of a group, oldest first. */
  listDeadLetters(group: string, limit?: number): Promise<DeadLetter[]>;
  /** Publishes a dead letter again on its original topic and removes it from the dead-letter store; false when unknown. */
  replayDeadLetter(group: string, id: string): Promise<boolean>;
  /** Drops a dead letter for good (after an operator decided it must not be handled); false when unknown. */
  discardDeadLetter(group: string, id: string): Promise<boolean>;
  /** Per-partition lag of a group on some topics. */
  lag(group: string, topics: readonly string[]): Promise<LagEntry[]>;
  /** Housekeeping the single active relay runs now and then (trimming what every group has consumed). */
  maintain(): Promise<void>;
  close(): Promise<void>;
}
