/**
 * Prometheus metrics of the bus, registered once per registry (the registry a process serves at `/metrics`).
 * Consumer lag and the outbox backlog are measured when Prometheus scrapes, from the sources the running
 * consumers and relays add.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { LagEntry } from './transport.ts';

/** Something that can report a group's lag: a running consumer. */
export interface LagSource {
  consumer: string;
  lag(): Promise<LagEntry[]>;
}

/** The bus' metrics in one registry. */
export interface BusMetrics {
  eventsProcessed: Counter<'consumer' | 'type'>;
  eventsDuplicate: Counter<'consumer'>;
  handlerFailures: Counter<'consumer' | 'type'>;
  deadLetters: Counter<'consumer' | 'type'>;
  batchSeconds: Histogram<'consumer'>;
  relayPublished: Counter<'topic'>;
  relayActive: Gauge;
  relayPublishSeconds: Histogram;
  /** Adds a consumer whose lag is reported; returns a function that removes it. */
  addLagSource(source: LagSource): () => void;
  /** Adds a function counting unpublished outbox rows; returns a function that removes it. */
  addBacklogSource(count: () => Promise<number>): () => void;
}

const byRegistry = new WeakMap<Registry, BusMetrics>();

/** The bus metrics of a registry, created on first use. */
export function busMetrics(registry: Registry): BusMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const lagSources = new Set<LagSource>();
  const backlogSources = new Set<() => Promise<number>>();
  const registers = [registry];
  new Gauge({
    name: 'harvest_bus_consumer_lag',
    help: 'Events published to a partition that the consumer group has not acknowledged yet.',
    labelNames: ['consumer', 'topic', 'partition'],
    registers,
    async collect() {
      this.reset();
      for (const source of lagSources) {
        try {
          for (const entry of await source.lag()) {
            this.set({ consumer: source.consumer, topic: entry.topic, partition: String(entry.partition) }, entry.lag);
          }
        } catch {
          // The broker did not answer: no sample this scrape rather than a wrong one.
        }
      }
    },
  });
  new Gauge({
    name: 'harvest_bus_outbox_backlog',
    help: 'Outbox rows not yet published.',
    registers,
    async collect() {
      this.reset();
      for (const count of backlogSources) {
        try {
          this.set(await count());
          return;
        } catch {
          // Try the next source; none: no sample.
        }
      }
    },
  });
  const metrics: BusMetrics = {
    eventsProcessed: new Counter({
      name: 'harvest_bus_events_processed_total',
      help: 'Events whose effect a consumer committed.',
      labelNames: ['consumer', 'type'],
      registers,
    }),
    eventsDuplicate: new Counter({
      name: 'harvest_bus_events_duplicate_total',
      help: 'Deliveries skipped because the consumer had already processed the event.',
      labelNames: ['consumer'],
      registers,
    }),
    handlerFailures: new Counter({
      name: 'harvest_bus_handler_failures_total',
      help: 'Failed attempts to handle an event (each retry counts).',
      labelNames: ['consumer', 'type'],
      registers,
    }),
    deadLetters: new Counter({
      name: 'harvest_bus_dead_letters_total',
      help: 'Events moved to a dead-letter store.',
      labelNames: ['consumer', 'type'],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'harvest_bus_batch_seconds',
      help: 'Time to handle one delivered batch.',
      labelNames: ['consumer'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    relayPublished: new Counter({
      name: 'harvest_bus_relay_published_total',
      help: 'Outbox events the relay published (acknowledged by the broker).',
      labelNames: ['topic'],
      registers,
    }),
    relayActive: new Gauge({
      name: 'harvest_bus_relay_active',
      help: '1 while this process holds the relay lock and publishes, 0 on standby.',
      registers,
    }),
    relayPublishSeconds: new Histogram({
      name: 'harvest_bus_relay_publish_seconds',
      help: 'Time to publish one outbox batch (read, publish, mark).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    addLagSource(source) {
      lagSources.add(source);
      return () => lagSources.delete(source);
    },
    addBacklogSource(count) {
      backlogSources.add(count);
      return () => backlogSources.delete(count);
    },
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
