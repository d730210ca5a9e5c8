import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp, postgresDependency, redisDependency } from '../src/index.ts';

const log = pino({ level: 'silent' });
const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});

describe('process endpoints', () => {
  it('answers /healthz and reports Prometheus metrics labelled with the app', async () => {
    const app = createHttpApp({ name: 'probe', log, dependencies: {} });
    closers.push(() => app.close());
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const metrics = await app.inject('/metrics');
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('process_cpu_user_seconds_total{app="probe"}');
  });

  it('is ready when real PostgreSQL and Redis answer', async () => {
    if (!DATABASE_URL || !REDIS_URL) throw new Error('DATABASE_URL and REDIS_URL are set by the test command');
    const database = postgresDependency(DATABASE_URL);
    const redis = redisDependency(REDIS_URL);
    const app = createHttpApp({ name: 'probe', log, dependencies: { database, redis } });
    closers.push(
      () => app.close(),
      () => database.close(),
      () => redis.close(),
    );
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });

  it('is not ready, naming the dependency, when one does not answer', async () => {
    const database = postgresDependency('postgres://nobody@127.0.0.1:1/none');
    const app = createHttpApp({ name: 'probe', log, dependencies: { database } });
    closers.push(
      () => app.close(),
      () => database.close(),
    );
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(Object.keys(ready.json().failed)).toEqual(['database']);
  });
});
