/**
 * Bus configuration from environment variables. Apps spread {@link busEnv} into their own env schema (their
 * `env.ts` stays the only reader of `process.env`) and hand the validated values to {@link createBusTransport}.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `EVENT_BUS` | `redis` | `redis` (Redis Streams on REDIS_URL) or `kafka` (KAFKA_BROKERS) |
 * | `EVENT_BUS_PREFIX` | `harvest` | prefix of every stream, key, topic and group name |
 * | `EVENT_BUS_PARTITIONS` | `16` | partitions per topic (Redis streams; Kafka topics the bus creates) |
 * | `KAFKA_BROKERS` | none | `host:port,host:port`; required when EVENT_BUS=kafka |
 * | `KAFKA_CLIENT_ID` | `harvest` | kafkajs client id |
 * | `OUTBOX_RELAY` | `on` | `off` keeps a server from running the in-process relay |
 */
import { ConfigError } from '@harvest/service';
import type { Logger } from 'pino';
import { z } from 'zod';
import { createKafkaTransport } from './kafka/transport.ts';
import { busName } from './names.ts';
import { createRedisTransport } from './redis/transport.ts';
import type { Transport } from './transport.ts';

const brokerList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'entries must be host:port')).min(1, 'must list at least one broker'));

/** The bus' environment variables, as zod fields to spread into an app's env schema. */
export const busEnv = {
  EVENT_BUS: z.enum(['redis', 'kafka']).default('redis'),
  EVENT_BUS_PREFIX: busName.default('harvest'),
  EVENT_BUS_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16),
  KAFKA_BROKERS: brokerList.optional(),
  KAFKA_CLIENT_ID: z.string().min(1).max(100).default('harvest'),
  OUTBOX_RELAY: z.enum(['on', 'off']).default('on'),
};

const busEnvSchema = z.object(busEnv);

/** The validated bus variables. */
export type BusEnv = z.infer<typeof busEnvSchema>;

/**
 * The cross-variable rule of the bus variables, for an app schema's `superRefine` (so a start-up with
 * EVENT_BUS=kafka and no brokers fails with one line naming KAFKA_BROKERS, like any other variable).
 */
export function refineBusEnv(env: Pick<BusEnv, 'EVENT_BUS' | 'KAFKA_BROKERS'>, ctx: z.RefinementCtx): void {
  if (env.EVENT_BUS === 'kafka' && !env.KAFKA_BROKERS) {
    ctx.addIssue({ code: 'custom', path: ['KAFKA_BROKERS'], message: 'is required when EVENT_BUS=kafka' });
  }
}

/** Throws a ConfigError naming the variable when the bus variables do not fit together. */
export function checkBusEnv(env: BusEnv): BusEnv {
  if (env.EVENT_BUS === 'kafka' && !env.KAFKA_BROKERS) throw new ConfigError('KAFKA_BROKERS', 'is required when EVENT_BUS=kafka');
  return env;
}

/** Options of {@link createBusTransport}. */
export interface BusTransportOptions {
  env: BusEnv;
  /** Used when EVENT_BUS=redis. */
  redisUrl: string;
  log: Logger;
  /** Consumer lease (Redis, ms) or session timeout (Kafka, ms); the defaults suit production. */
  leaseMs?: number;
}

/** The transport the environment selects. */
export function createBusTransport(options: BusTransportOptions): Transport {
  const env = checkBusEnv(options.env);
  const log = options.log.child({ bus: env.EVENT_BUS });
  if (env.EVENT_BUS === 'kafka') {
    return createKafkaTransport({
      brokers: env.KAFKA_BROKERS ?? [],
      clientId: env.KAFKA_CLIENT_ID,
      prefix: env.EVENT_BUS_PREFIX,
      partitions: env.EVENT_BUS_PARTITIONS,
      log,
      ...(options.leaseMs === undefined ? {} : { sessionTimeoutMs: options.leaseMs }),
    });
  }
  return createRedisTransport({
    url: options.redisUrl,
    prefix: env.EVENT_BUS_PREFIX,
    partitions: env.EVENT_BUS_PARTITIONS,
    log,
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
  });
}
