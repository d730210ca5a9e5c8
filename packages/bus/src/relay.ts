/**
 * The outbox relay: publishes outbox rows in `outbox.id` order (which is commit order within each key, see
 * @harvest/db's outbox) and marks them published only after the transport acknowledged them. A crash between the
 * two publishes the rows again; consumers drop the repeats by event id.
 *
 * Any number of relays may run (one inside each game-api process by default, or standalone with
 * `node packages/bus/src/relay-main.ts`): each holds a dedicated PostgreSQL session and tries a session-level
 * advisory lock; the one that gets it publishes, the others wait on standby and retry every `standbyPollMs`. The
 * lock belongs to the session, so when the active relay dies (or its connection does), PostgreSQL releases the
 * lock and a standby takes over; because the active relay reads and marks through that same session, it cannot
 * keep marking rows after it lost the lock.
 *
 * The active relay also does the housekeeping: trims transport streams past what every group consumed, deletes
 * published outbox rows and processed-event records older than their retention.
 */
import { EVENTS, type EventDefinition } from '@harvest/shared/events';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { busMetrics } from './metrics.ts';
import { sleep } from './sleep.ts';
import type { OutgoingMessage, Transport } from './transport.ts';

/** The relay's advisory lock: two-key form, first key `'HBRL'`; no other code uses it. */
export const RELAY_LOCK: readonly [number, number] = [0x4842524c, 1];

const DAY_MS = 24 * 60 * 60 * 1000;

/** Options of {@link createRelay}. */
export interface RelayOptions {
  databaseUrl: string;
  transport: Transport;
  log: Logger;
  /** Registry whose `/metrics` shows the relay's metrics and the outbox backlog. */
  registry?: Registry;
  /** Rows per read-publish-mark round (default 1000). */
  batchSize?: number;
  /** Pause when the outbox is empty (ms, default 50): the latency floor of an idle system. */
  pollMs?: number;
  /** How often a standby tries the lock (ms, default 1000): the failover time after the active relay dies. */
  standbyPollMs?: number;
  /** Pause after a failure before reconnecting (ms, default 1000). */
  retryMs?: number;
  /** How often the active relay does housekeeping (ms, default 60 s). */
  maintainEveryMs?: number;
  /** How long published outbox rows are kept (ms, default 7 days). */
  outboxRetentionMs?: number;
  /** How long processed-event ids are kept for de-duplication (ms, default 7 days). */
  processedRetentionMs?: number;
  /** The advisory lock (only tests choose another). */
  lock?: readonly [number, number];
}

/** A running relay. */
export interface Relay {
  /** True while this relay holds the lock and publishes. */
  isActive(): boolean;
  /** Resolves once this relay has become active (tests, start-up ordering). */
  whenActive(): Promise<void>;
  /** Finishes the round in flight, releases the lock and closes the session. */
  stop(): Promise<void>;
}

interface OutboxRow {
  id: string;
  event_id: string;
  type: string;
  version: number;
  key: string;
  payload: string;
  occurred_at: Date;
}

/** The bus message of an outbox row; the payload text is spliced in as stored, not re-serialised. */
export function outboxRowToMessage(row: OutboxRow): OutgoingMessage {
  const definition = (EVENTS as Record<string, EventDefinition>)[row.type];
  if (!definition)
    throw new Error(`outbox row ${row.id}: event type ${row.type} is not in this relay's catalogue (deploy the relay that knows it)`);
  const head = JSON.stringify({
    id: row.event_id,
    type: row.type,
    version: row.version,
    key: row.key,
    occurredAt: row.occurred_at.toISOString(),
  });
  return { topic: definition.topic, key: row.key, id: row.event_id, value: `${head.slice(0, -1)},"payload":${row.payload}}` };
}

/** Starts a relay: standby until it holds the lock, then publishing until stopped. */
export function createRelay(options: RelayOptions): Relay {
  const { transport, log } = options;
  const batchSize = options.batchSize ?? 1000;
  const pollMs = options.pollMs ?? 50;
  const standbyPollMs = options.standbyPollMs ?? 1000;
  const retryMs = options.retryMs ?? 1000;
  const maintainEveryMs = options.maintainEveryMs ?? 60_000;
  const outboxRetentionMs = options.outboxRetentionMs ?? 7 * DAY_MS;
  const processedRetentionMs = options.processedRetentionMs ?? 7 * DAY_MS;
  const [lockA, lockB] = options.lock ?? RELAY_LOCK;
  const metrics = options.registry ? busMetrics(options.registry) : undefined;
  const stopping = new AbortController();
  let active = false;
  let becameActive: () => void = () => undefined;
  const activePromise = new Promise<void>((resolve) => {
    becameActive = resolve;
  });

  // The backlog gauge counts with a short-lived pool of its own, so a scrape never waits behind a publishing round.
  const counter = options.registry ? new pg.Pool({ connectionString: options.databaseUrl, max: 1, idleTimeoutMillis: 10_000 }) : undefined;
  counter?.on('error', () => undefined);
  const removeBacklog = counter
    ? metrics?.addBacklogSource(async () => {
        const { rows } = await counter.query<{ n: string }>('SELECT count(*)::text AS n FROM "outbox" WHERE "published_at" IS NULL');
        return Number(rows[0]?.n ?? 0);
      })
    : undefined;

  async function maintain(client: pg.Client): Promise<void> {
    await transport.maintain();
    const outbox = await client.query(
      `DELETE FROM "outbox" WHERE "id" IN (
         SELECT "id" FROM "outbox" WHERE "published_at" < now() - make_interval(secs => $1) ORDER BY "published_at" LIMIT 10000)`,
      [outboxRetentionMs / 1000],
    );
    const processed = await client.query(
      `DELETE FROM "processed_events" WHERE ctid IN (
         SELECT ctid FROM "processed_events" WHERE "processed_at" < now() - make_interval(secs => $1) LIMIT 10000)`,
      [processedRetentionMs / 1000],
    );
    if ((outbox.rowCount ?? 0) + (processed.rowCount ?? 0) > 0) {
      log.info({ outboxRows: outbox.rowCount, processedEvents: processed.rowCount }, 'relay housekeeping removed old rows');
    }
  }

  /** The oldest unpublished rows, leaving out those being published right now. */
  function readBatch(client: pg.Client, inFlight: readonly string[]): Promise<OutboxRow[]> {
    return client
      .query<OutboxRow>(
        // Ordered by the (published_at, id) index itself, so the scan starts at the unpublished rows instead of walking
        // every published one; o."id" is the bigint column (an output column named "id", the text cast, sorts as text).
        `SELECT o."id"::text AS id, o."event_id"::text AS event_id, o."type", o."version", o."key", o."payload"::text AS payload, o."occurred_at"
         FROM "outbox" AS o WHERE o."published_at" IS NULL AND NOT (o."id" = ANY($2::bigint[]))
         ORDER BY o."published_at", o."id" LIMIT $1`,
        [batchSize, inFlight],
      )
      .then((result) => result.rows);
  }

  /**
   * Read, publish, mark, with the database and the broker working at the same time: while batch N is being
   * published, batch N+1 is read; while N+1 is being published, N is marked. Batches are published strictly one
   * after the other, and a batch is marked only after the broker acknowledged it. (One session runs the queries in
   * the order they were issued: the mark of N-1, the read of N+1, the mark of N.)
   */
  async function publishLoop(client: pg.Client): Promise<void> {
    let nextMaintenance = Date.now() + Math.min(maintainEveryMs, 5_000);
    let marking: Promise<unknown> = Promise.resolve();
    let markingIds: string[] = [];
    let rows = await readBatch(client, []);
    try {
      while (!stopping.signal.aborted) {
        // Housekeeping when due, also under sustained load (the rows in hand stay unpublished meanwhile).
        if (Date.now() >= nextMaintenance) {
          await marking;
          await maintain(client).catch((error: unknown) => log.warn({ err: error }, 'relay housekeeping failed'));
          nextMaintenance = Date.now() + maintainEveryMs;
        }
        if (rows.length === 0) {
          await marking;
          markingIds = [];
          await sleep(pollMs, stopping.signal);
          if (!stopping.signal.aborted) rows = await readBatch(client, []);
          continue;
        }
        const started = performance.now();
        const messages = rows.map(outboxRowToMessage);
        const ids = rows.map((row) => row.id);
        const publishing = transport.publish(messages);
        const next = readBatch(client, [...markingIds, ...ids]);
        next.catch(() => undefined);
        await publishing;
        await marking;
        // Only now, after the broker acknowledged: a crash before the mark publishes the rows again.
        marking = client.query('UPDATE "outbox" SET "published_at" = now() WHERE "id" = ANY($1::bigint[])', [ids]);
        marking.catch(() => undefined);
        markingIds = ids;
        log.debug({ from: ids[0], to: ids.at(-1), count: rows.length }, 'outbox rows published');
        if (metrics) {
          for (const message of messages) metrics.relayPublished.inc({ topic: message.topic });
          metrics.relayPublishSeconds.observe((performance.now() - started) / 1000);
        }
        rows = await next;
      }
    } finally {
      // A stop lets the last mark finish, so a graceful hand-over republishes nothing.
      await marking.catch(() => undefined);
    }
  }

  let current: pg.Client | undefined;
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const client = new pg.Client({
        connectionString: options.databaseUrl,
        application_name: 'harvest-outbox-relay',
        connectionTimeoutMillis: 10_000,
        query_timeout: 60_000,
      });
      current = client;
      // A dead connection also fails the next query; this only keeps the error from being unhandled.
      client.on('error', (error) => log.warn({ err: error }, 'relay database connection error'));
      try {
        await client.connect();
        // The relay's reads walk the (published_at, id) index in id order. A plain index scan marks the entries of rows
        // it already published as dead as it passes them, so the next read skips them cheaply; a bitmap scan (which
        // the planner picks once many entries are dead) never does, and re-reads them all until the next vacuum.
        await client.query('SET enable_bitmapscan = off');
        let announced = false;
        while (!stopping.signal.aborted) {
          const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS locked', [
            lockA,
            lockB,
          ]);
          if (rows[0]?.locked) break;
          if (!announced) log.info('relay on standby: another relay holds the lock');
          announced = true;
          await sleep(standbyPollMs, stopping.signal);
        }
        if (stopping.signal.aborted) break;
        active = true;
        metrics?.relayActive.set(1);
        log.info('relay active');
        becameActive();
        await publishLoop(client);
      } catch (error) {
        if (!stopping.signal.aborted) log.error({ err: error }, 'relay round failed; reconnecting');
      } finally {
        if (active) log.info('relay stood down');
        active = false;
        metrics?.relayActive.set(0);
        // Ending the session releases the advisory lock.
        await client.end().catch(() => undefined);
      }
      await sleep(retryMs, stopping.signal);
    }
  })();

  return {
    isActive: () => active,
    whenActive: () => activePromise,
    async stop() {
      stopping.abort();
      // A round in flight normally finishes within milliseconds; a database that stopped answering does not.
      const finished = await Promise.race([loop.then(() => true), sleep(5_000).then(() => false)]);
      if (!finished) await current?.end().catch(() => undefined);
      await loop;
      removeBacklog?.();
      await counter?.end().catch(() => undefined);
    },
  };
}
