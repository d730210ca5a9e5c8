/**
 * @harvest/bus: the event bus. Producers append to the outbox with `appendEvent` from @harvest/db; the relay
 * publishes the outbox through a transport (Redis Streams by default, Kafka in production); consumers built with
 * {@link createConsumer} apply each event once, in order per key.
 */
export { type BusEnv, type BusTransportOptions, busEnv, checkBusEnv, createBusTransport, refineBusEnv } from './config.ts';
export {
  type Consumer,
  type ConsumerOptions,
  createConsumer,
  type EventHandler,
  type EventHandlers,
  type HandlerContext,
  retryDelayMs,
} from './consumer.ts';
export { type OutboxRelay, type OutboxRelayOptions, startOutboxRelay } from './embedded.ts';
export { createKafkaTransport, type KafkaTransportOptions } from './kafka/transport.ts';
export { type BusMetrics, busMetrics, type LagSource } from './metrics.ts';
export { busName } from './names.ts';
export { partitionFor } from './partition.ts';
export { createRedisTransport, type RedisTransportOptions } from './redis/transport.ts';
export { createRelay, outboxRowToMessage, RELAY_LOCK, type Relay, type RelayOptions } from './relay.ts';
export type {
  BatchHandler,
  DeadLetter,
  Delivery,
  LagEntry,
  OutgoingMessage,
  PartitionBatch,
  SubscribeOptions,
  Subscription,
  Transport,
} from './transport.ts';
