import { ConfigError, parseEnv } from '@harvest/service';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createBusTransport, kafkaSasl } from './config.ts';
import { relayEnvSchema } from './env.ts';

const DATABASE_URL = 'postgres://u@127.0.0.1:5432/harvest';
const parse = (env: Record<string, string>) => parseEnv(relayEnvSchema, { DATABASE_URL, ...env });
const problem = (env: Record<string, string>) => {
  try {
    parse(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return undefined;
};

describe('bus configuration', () => {
  it('defaults to Redis Streams with the in-process relay on', () => {
    const env = parse({});
    expect(env).toMatchObject({
      EVENT_BUS: 'redis',
      EVENT_BUS_PREFIX: 'harvest',
      EVENT_BUS_PARTITIONS: 16,
      KAFKA_CLIENT_ID: 'harvest',
      KAFKA_SSL: false,
      OUTBOX_RELAY: 'on',
      EVENT_RELAY_PORT: 3400,
    });
    expect(env.KAFKA_BROKERS).toBeUndefined();
  });

  it('names the variable that is wrong', () => {
    expect(problem({ EVENT_BUS: 'kafka' })).toBe('KAFKA_BROKERS: is required when EVENT_BUS=kafka');
    expect(problem({ EVENT_BUS: 'kafka', KAFKA_BROKERS: 'broker-without-port' })).toMatch(/^KAFKA_BROKERS: entries must be host:port/);
    expect(problem({ EVENT_BUS: 'rabbit' })).toMatch(/^EVENT_BUS: /);
    expect(problem({ EVENT_BUS_PREFIX: 'Harvest Prod' })).toMatch(/^EVENT_BUS_PREFIX: must be lower-case/);
    expect(problem({ EVENT_BUS_PARTITIONS: '0' })).toMatch(/^EVENT_BUS_PARTITIONS: /);
    expect(problem({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'bus' })).toBe(
      'KAFKA_SASL_PASSWORD: is required when KAFKA_SASL_MECHANISM is set',
    );
    expect(problem({ KAFKA_SASL_MECHANISM: 'oauthbearer' })).toMatch(/^KAFKA_SASL_MECHANISM: /);
  });

  it('reads a broker list and SASL credentials for kafkajs', () => {
    const env = parse({
      EVENT_BUS: 'kafka',
      KAFKA_BROKERS: 'kafka-1:9092, kafka-2.internal:9093',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'bus',
      KAFKA_SASL_PASSWORD: 's3cret',
    });
    expect(env.KAFKA_BROKERS).toEqual(['kafka-1:9092', 'kafka-2.internal:9093']);
    expect(env.KAFKA_SSL).toBe(true);
    expect(kafkaSasl(env)).toEqual({ mechanism: 'scram-sha-256', username: 'bus', password: 's3cret' });
  });

  it('builds the transport the environment selects, without connecting', async () => {
    const log = pino({ level: 'silent' });
    const kafka = createBusTransport({
      env: parse({ EVENT_BUS: 'kafka', KAFKA_BROKERS: '127.0.0.1:1' }),
      redisUrl: 'redis://127.0.0.1:1',
      log,
    });
    expect(kafka.kind).toBe('kafka');
    await kafka.close();
    expect(() => createBusTransport({ env: { ...parse({}), EVENT_BUS: 'kafka' }, redisUrl: 'redis://127.0.0.1:1', log })).toThrow(
      'KAFKA_BROKERS: is required when EVENT_BUS=kafka',
    );
  });
});
