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
 * | `KAFKA_SSL` | `false` | TLS to the brokers |
 * | `KAFKA_SASL_MECHANISM` | none | `plain`, `scram-sha-256` or `scram-sha-512`; then username and password are required |
 * | `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD` | none | SASL credentials (secrets: from the environment only) |
 * | `OUTBOX_RELAY` | `on` | `off` keeps a server from running the in-process relay |
 */
import { ConfigError } from '@harvest/service';
import type { SASLOptions } from 'kafkajs';
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
  KAFKA_SSL: z.stringbool().default(false),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  OUTBOX_RELAY: z.enum(['on', 'off']).default('on'),
};

const busEnvSchema = z.object(busEnv);

/** The validated bus variables. */
export type BusEnv = z.infer<typeof busEnvSchema>;

/**
 * The cross-variable rule of the bus variables, for an app schema's `superRefine` (so a start-up with
 * EVENT_BUS=kafka and no brokers fails with one line naming KAFKA_BROKERS, like any other variable).
 */
export function refineBusEnv(env: BusEnv, ctx: z.RefinementCtx): void {
  const problem = busEnvProblem(env);
  if (problem) ctx.addIssue({ code: 'custom', path: [problem.variable], message: problem.message });
}

function busEnvProblem(env: BusEnv): { variable: string; message: string } | undefined {
  if (env.EVENT_BUS === 'kafka' && !env.KAFKA_BROKERS) return { variable: 'KAFKA_BROKERS', message: 'is required when EVENT_BUS=kafka' };
  if (env.KAFKA_SASL_MECHANISM && !env.KAFKA_SASL_USERNAME) {
    return { variable: 'KAFKA_SASL_USERNAME', message: 'is required when KAFKA_SASL_MECHANISM is set' };
  }
  if (env.KAFKA_SASL_MECHANISM && !env.KAFKA_SASL_PASSWORD) {
    return { variable: 'KAFKA_SASL_PASSWORD', message: 'is required when KAFKA_SASL_MECHANISM is set' };
  }
  return undefined;
}

/** Throws a ConfigError naming the variable when the bus variables do not fit together. */
export function checkBusEnv(env: BusEnv): BusEnv {
  const problem = busEnvProblem(env);
  if (problem) throw new ConfigError(problem.variable, problem.message);
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

/** The kafkajs SASL options of the environment (checked by {@link checkBusEnv} first). */
export function kafkaSasl(env: BusEnv): SASLOptions {
  const credentials = { username: env.KAFKA_SASL_USERNAME ?? '', password: env.KAFKA_SASL_PASSWORD ?? '' };
  switch (env.KAFKA_SASL_MECHANISM) {
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', ...credentials };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', ...credentials };
    default:
      return { mechanism: 'plain', ...credentials };
  }
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
      ssl: env.KAFKA_SSL,
      ...(env.KAFKA_SASL_MECHANISM ? { sasl: kafkaSasl(env) } : {}),
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
