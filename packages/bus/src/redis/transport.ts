/**
 * Redis Streams transport (the default). Layout, for a prefix `harvest`:
 *
 *   harvest:stream:<topic>:<partition>   one stream per topic partition; a key always maps to the same partition
 *   harvest:dlq:<group>                  the dead-letter stream of a consumer group
 *   harvest:lease:<group>:<topic>:<p>    which member of a group owns a partition (SET NX PX, renewed)
 *   harvest:members:<group>              live members of a group (sorted set scored by heartbeat expiry)
 *
 * Ordering: Redis consumer groups hand entries of one stream to any member, which would break per-key order, so
 * each partition stream is owned by one member at a time through a lease, and members share the partitions
 * fairly (ceil(partitions / live members) each). The owner reads its streams with XREADGROUP and acknowledges with
 * XACK. When it takes a partition over (start, rebalance, a member died) it first re-delivers, with XAUTOCLAIM,
 * every entry still pending in that stream (delivered to a member that died or failed before acknowledging),
 * before reading anything new, so order holds across crashes. Delivery counts are Redis' own (XREADGROUP counts 1,
 * every XAUTOCLAIM/XCLAIM one more); after the maximum the consumer framework moves the entry to the dead-letter
 * stream and acknowledges it in one MULTI.
 *
 * Fencing: a member only issues a read while its lease has more than `blockMs` plus a margin left, so whatever a
 * read delivers sits in the pending list before the lease can expire and the next owner's XAUTOCLAIM sees it.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { assertBusName } from '../names.ts';
import { partitionFor } from '../partition.ts';
import { sleep } from '../sleep.ts';
import type {
  DeadLetter,
  Delivery,
  LagEntry,
  OutgoingMessage,
  PartitionBatch,
  SubscribeOptions,
  Subscription,
  Transport,
} from '../transport.ts';

export interface RedisTransportOptions {
  /** redis:// URL. */
  url: string;
  /** Prefix of every key (one deployment, or one test). */
  prefix: string;
  /** Partitions per topic. Changing it remaps keys: drain the streams first. */
  partitions: number;
  log: Logger;
  /** How long a partition lease lasts without renewal (ms); a dead member's partitions move after this. */
  leaseMs?: number;
  /** Longest a read blocks waiting for new entries (ms); at most a quarter of the lease. */
  blockMs?: number;
  /** This member's name in its groups (default: host, pid and a random suffix). */
  consumerName?: string;
}

/**
 * Appends a batch, one entry per key: one script call instead of a MULTI of XADDs (several times faster). Declared
 * with a shebang, so Redis refuses the whole script up front when it is out of memory: a batch lands whole or not at
 * all, and a retry can only repeat it (consumers drop repeats by event id), never reorder it.
 */
const XADD_MANY = `#!lua
for i = 1, #KEYS do redis.call('XADD', KEYS[i], '*', 'k', ARGV[2 * i - 1], 'e', ARGV[2 * i]) end
return #KEYS`;

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

interface Slot {
  topic: string;
  partition: number;
  stream: string;
  lease: string;
}

type Entry = [id: string, fields: string[]];

/** The script command {@link XADD_MANY} defines on the client: `xaddMany(numKeys, ...keys, ...key/value pairs)`. */
interface XaddMany {
  xaddMany(numKeys: number, ...keysAndArgs: string[]): Promise<number>;
}

function fieldsToMap(fields: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i] as string] = fields[i + 1] as string;
  return map;
}

/** XINFO answers flat [name, value, name, value, …] arrays. */
function pairs(row: unknown): Record<string, unknown> {
  const list = row as unknown[];
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = list[i + 1];
  return out;
}

function parseStreamId(id: string): [bigint, bigint] {
  const [ms, seq] = id.split('-');
  return [BigInt(ms ?? '0'), BigInt(seq ?? '0')];
}

/** The smallest stream id after `id`. */
function nextStreamId(id: string): string {
  const [ms, seq] = parseStreamId(id);
  return `${ms}-${seq + 1n}`;
}

function compareStreamIds(a: string, b: string): number {
  const [am, as] = parseStreamId(a);
  const [bm, bs] = parseStreamId(b);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

function isBusyGroup(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('BUSYGROUP');
}

/** Creates the Redis Streams transport. */
export function createRedisTransport(options: RedisTransportOptions): Transport {
  const prefix = assertBusName('prefix', options.prefix);
  const partitions = options.partitions;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024) throw new TypeError('partitions: must be an integer 1-1024');
  const leaseMs = options.leaseMs ?? 10_000;
  const blockMs = Math.min(options.blockMs ?? 2_000, Math.floor(leaseMs / 4));
  const log = options.log;
  const redis = new Redis(options.url, { lazyConnect: false });
  redis.defineCommand('xaddMany', { lua: XADD_MANY });
  redis.on('error', (error) => log.warn({ err: error }, 'redis transport connection error'));
  const subscriptions = new Set<Subscription>();

  const streamKey = (topic: string, partition: number) => `${prefix}:stream:${topic}:${partition}`;
  const dlqKey = (group: string) => `${prefix}:dlq:${group}`;

  async function publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const keys = messages.map((message) => streamKey(assertBusName('topic', message.topic), partitionFor(message.key, partitions)));
    const args = messages.flatMap((message) => [message.key, message.value]);
    await (redis as Redis & XaddMany).xaddMany(keys.length, ...keys, ...args);
  }

  async function subscribe(subscribeOptions: SubscribeOptions): Promise<Subscription> {
    const group = assertBusName('group', subscribeOptions.group);
    const topics = subscribeOptions.topics.map((topic) => assertBusName('topic', topic));
    const maxBatch = subscribeOptions.maxBatch ?? 200;
    const handler = subscribeOptions.handler;
    const name = options.consumerName ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    const membersKey = `${prefix}:members:${group}`;
    const slots: Slot[] = topics.flatMap((topic) =>
      Array.from({ length: partitions }, (_, partition) => ({
        topic,
        partition,
        stream: streamKey(topic, partition),
        lease: `${prefix}:lease:${group}:${topic}:${partition}`,
      })),
    );
    // A new group starts at the beginning of what the streams retain, so nothing published before it is skipped.
    await Promise.all(
      slots.map((slot) =>
        redis.xgroup('CREATE', slot.stream, group, '0', 'MKSTREAM').catch((error: unknown) => {
          if (!isBusyGroup(error)) throw error;
        }),
      ),
    );

    const stop = new AbortController();
    let closing = false;

    interface Worker {
      slot: Slot;
      /** Local time until which the lease is ours (measured from when the SET/renewal was sent). */
      validUntil: number;
      /** running: reads and handles; releasing: finishes its batch and hands the partition back; lost: lease gone. */
      state: 'running' | 'releasing' | 'lost';
      /** Its own connection: a blocking XREADGROUP holds a connection for up to blockMs. */
      conn: Redis;
      done: Promise<void>;
    }
    const workers = new Map<string, Worker>();
    const holds = (worker: Worker) => !closing && worker.state !== 'lost' && Date.now() < worker.validUntil;

    function makeBatch(worker: Worker, messages: Delivery[], settled: Set<string>): PartitionBatch {
      const { stream, topic, partition } = worker.slot;
      return {
        topic,
        partition,
        messages,
        async ack(done) {
          if (done.length === 0) return;
          await redis.xack(stream, group, ...done.map((message) => message.position));
          for (const message of done) settled.add(message.position);
        },
        async deadLetter(message, reason) {
          const results = await redis
            .multi()
            .xadd(
              dlqKey(group),
              '*',
              'k',
              message.key,
              'e',
              message.value,
              'topic',
              topic,
              'partition',
              String(partition),
              'position',
              message.position,
              'reason',
              reason.slice(0, 2000),
              'deliveries',
              String(message.deliveries),
              'failedAt',
              new Date().toISOString(),
            )
            .xack(stream, group, message.position)
            .exec();
          for (const [error] of results ?? []) if (error) throw error;
          settled.add(message.position);
        },
        async redeliver(message) {
          // XCLAIM (without JUSTID) counts one more delivery in Redis' own pending list, so the count survives a crash.
          const results = await redis
            .multi()
            .xclaim(stream, group, name, 0, message.position)
            .xpending(stream, group, message.position, message.position, 1)
            .exec();
          const claimed = results?.[0]?.[1] as unknown[] | undefined;
          if (results?.[0]?.[0] || !claimed || claimed.length === 0)
            throw new Error(`redis redeliver: ${message.position} is no longer pending`);
          const row = (results?.[1]?.[1] as unknown[][] | undefined)?.[0];
          message.deliveries = Number(row?.[3] ?? message.deliveries + 1);
          return message.deliveries;
        },
        active: () => holds(worker),
      };
    }

    function toDelivery([id, fields]: Entry, deliveries: number): Delivery {
      const map = fieldsToMap(fields);
      return { position: id, key: map.k ?? '', value: map.e ?? '', deliveries };
    }

    /** Entries still pending in the worker's stream (from a dead member, or our own failed batch), oldest first. */
    async function claimPending(worker: Worker): Promise<Delivery[]> {
      const { stream } = worker.slot;
      const reply = (await redis.xautoclaim(stream, group, name, 0, '0-0', 'COUNT', maxBatch)) as unknown[];
      const entries = (reply[1] as Entry[]).filter((entry) => Array.isArray(entry[1]));
      const deleted = (reply[2] as string[] | undefined) ?? [];
      if (deleted.length > 0) log.error({ stream, group, deleted }, 'pending entries were trimmed before they were acknowledged');
      if (entries.length === 0) return [];
      const first = entries[0]?.[0] as string;
      const last = entries[entries.length - 1]?.[0] as string;
      const counts = new Map<string, number>();
      for (const row of (await redis.xpending(stream, group, first, last, entries.length)) as unknown[][]) {
        counts.set(String(row[0]), Number(row[3]));
      }
      return entries.map((entry) => toDelivery(entry, counts.get(entry[0]) ?? 1));
    }

    /** Hands a batch to the handler; true when the handler settled every message of it. */
    async function runBatch(worker: Worker, messages: Delivery[]): Promise<boolean> {
      const settled = new Set<string>();
      await handler(makeBatch(worker, messages, settled));
      return settled.size === messages.length;
    }

    async function work(worker: Worker): Promise<void> {
      const { slot, conn } = worker;
      // The first thing an owner does is re-deliver what is pending in the stream, before anything new.
      let recover = true;
      try {
        if (conn.status !== 'ready') await once(conn, 'ready', { signal: AbortSignal.any([stop.signal, AbortSignal.timeout(leaseMs)]) });
      } catch {
        // Not ready in time or closing: the loop below either stops or fails and retries.
      }
      while (worker.state === 'running' && holds(worker)) {
        try {
          if (recover) {
            const pending = await claimPending(worker);
            if (pending.length === 0) {
              recover = false;
              continue;
            }
            log.info({ group, stream: slot.stream, count: pending.length }, 'redelivering pending entries');
            const settled = await runBatch(worker, pending);
            recover = !settled || pending.length === maxBatch;
            // A handler that gave back unsettled messages is not spun on: let the lease round or a stop happen.
            if (!settled) await sleep(Math.min(200, leaseMs / 4), stop.signal);
            continue;
          }
          // Only read while the lease outlives the read by a margin (see the fencing note at the top).
          if (worker.validUntil - Date.now() < blockMs + leaseMs / 4) {
            await sleep(Math.max(10, Math.min(50, leaseMs / 10)), stop.signal);
            continue;
          }
          const reply = (await conn.xreadgroup(
            'GROUP',
            group,
            name,
            'COUNT',
            maxBatch,
            'BLOCK',
            blockMs,
            'STREAMS',
            slot.stream,
            '>',
          )) as Array<[string, Entry[]]> | null;
          const entries = reply?.[0]?.[1] ?? [];
          if (entries.length === 0) continue;
          // Whatever the handler left unsettled (it stopped early or gave up) is re-delivered by the recovery step.
          recover = !(await runBatch(
            worker,
            entries.map((entry) => toDelivery(entry, 1)),
          ));
          if (recover) await sleep(Math.min(200, leaseMs / 4), stop.signal);
        } catch (error) {
          if (worker.state !== 'running' || !holds(worker)) break;
          log.warn({ err: error, group, stream: slot.stream }, 'partition worker failed; redelivering its pending entries');
          recover = true;
          await sleep(Math.min(1000, leaseMs / 4), stop.signal);
        }
      }
      conn.disconnect();
      workers.delete(slot.stream);
      // Hand the partition back at once (graceful stop or rebalance) rather than letting the lease run out.
      if (worker.state !== 'lost') await redis.eval(RELEASE, 1, slot.lease, name).catch(() => undefined);
      log.debug({ group, stream: slot.stream, consumer: name, state: worker.state }, 'partition released');
    }

    function startWorker(slot: Slot, validUntil: number): void {
      const conn = redis.duplicate({ enableOfflineQueue: false });
      conn.on('error', () => undefined);
      const worker: Worker = { slot, validUntil, state: 'running', conn, done: Promise.resolve() };
      workers.set(slot.stream, worker);
      worker.done = work(worker).catch((error: unknown) => log.error({ err: error, stream: slot.stream }, 'partition worker crashed'));
      log.debug({ group, stream: slot.stream, consumer: name }, 'partition acquired');
    }

    // Members start their search for free partitions at different places, so they do not all race for the same one.
    const rotation = [...name].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % Math.max(1, slots.length);

    /** One lease round: heartbeat, renew what we hold, then take free partitions up to our share or give extras back. */
    async function tick(): Promise<void> {
      const now = Date.now();
      const membership = await redis
        .multi()
        .zadd(membersKey, now + leaseMs, name)
        .zremrangebyscore(membersKey, '-inf', now)
        .zcard(membersKey)
        .pexpire(membersKey, leaseMs * 10)
        .exec();
      const live = Math.max(1, Number(membership?.[2]?.[1] ?? 1));
      for (const worker of [...workers.values()]) {
        if (worker.state === 'lost') continue;
        const sentAt = Date.now();
        if (Number(await redis.eval(RENEW, 1, worker.slot.lease, name, leaseMs)) === 1) {
          worker.validUntil = sentAt + leaseMs;
        } else {
          worker.state = 'lost';
          worker.conn.disconnect();
          log.warn({ group, stream: worker.slot.stream }, 'partition lease lost');
        }
      }
      if (closing) return;
      const share = Math.ceil(slots.length / live);
      const running = [...workers.values()].filter((worker) => worker.state === 'running');
      if (running.length < share) {
        for (let i = 0; i < slots.length && workers.size < share && !closing; i++) {
          const slot = slots[(i + rotation) % slots.length] as Slot;
          if (workers.has(slot.stream)) continue;
          const sentAt = Date.now();
          if ((await redis.set(slot.lease, name, 'PX', leaseMs, 'NX')) === 'OK') startWorker(slot, sentAt + leaseMs);
        }
      } else if (running.length > share) {
        for (const worker of running.slice(share)) {
          worker.state = 'releasing';
          // Interrupts a blocked read; a batch in progress finishes first.
          worker.conn.disconnect();
        }
      }
    }

    const leaseLoop = (async () => {
      while (!closing) {
        try {
          await tick();
        } catch (error) {
          if (!closing) log.warn({ err: error, group }, 'partition lease round failed');
        }
        await sleep(Math.max(20, Math.floor(leaseMs / 3)), stop.signal);
      }
    })();

    const subscription: Subscription = {
      async close() {
        if (closing) return;
        closing = true;
        stop.abort();
        await leaseLoop;
        for (const worker of workers.values()) worker.conn.disconnect();
        await Promise.all([...workers.values()].map((worker) => worker.done));
        await redis.zrem(membersKey, name).catch(() => undefined);
        subscriptions.delete(subscription);
      },
    };
    subscriptions.add(subscription);
    return subscription;
  }

  async function listDeadLetters(group: string, limit = 100): Promise<DeadLetter[]> {
    const entries = (await redis.xrange(dlqKey(assertBusName('group', group)), '-', '+', 'COUNT', limit)) as Entry[];
    return entries.map(([id, fields]) => {
      const map = fieldsToMap(fields);
      return {
        id,
        group,
        topic: map.topic ?? '',
        partition: Number(map.partition ?? 0),
        key: map.k ?? '',
        value: map.e ?? '',
        reason: map.reason ?? '',
        deliveries: Number(map.deliveries ?? 0),
        failedAt: map.failedAt ?? '',
      };
    });
  }

  async function replayDeadLetter(group: string, id: string): Promise<boolean> {
    const key = dlqKey(assertBusName('group', group));
    if (!/^\d+-\d+$/.test(id)) return false;
    const entries = (await redis.xrange(key, id, id)) as Entry[];
    const entry = entries[0];
    if (!entry) return false;
    const map = fieldsToMap(entry[1]);
    const topic = assertBusName('topic', map.topic ?? '');
    // Back onto its own partition stream, so it queues behind nothing and before anything newer of its key.
    const results = await redis
      .multi()
      .xadd(streamKey(topic, partitionFor(map.k ?? '', partitions)), '*', 'k', map.k ?? '', 'e', map.e ?? '')
      .xdel(key, id)
      .exec();
    for (const [error] of results ?? []) if (error) throw error;
    return true;
  }

  async function discard(group: string, id: string): Promise<boolean> {
    if (!/^\d+-\d+$/.test(id)) return false;
    return (await redis.xdel(dlqKey(assertBusName('group', group)), id)) === 1;
  }

  async function groupInfo(stream: string): Promise<Array<Record<string, unknown>>> {
    try {
      return ((await redis.xinfo('GROUPS', stream)) as unknown[]).map(pairs);
    } catch (error) {
      if (error instanceof Error && /no such key/i.test(error.message)) return [];
      throw error;
    }
  }

  async function lag(group: string, topics: readonly string[]): Promise<LagEntry[]> {
    assertBusName('group', group);
    const out: LagEntry[] = [];
    for (const topic of topics) {
      for (let partition = 0; partition < partitions; partition++) {
        const stream = streamKey(assertBusName('topic', topic), partition);
        const info = (await groupInfo(stream)).find((row) => row.name === group);
        if (!info) {
          out.push({ topic, partition, lag: Number(await redis.xlen(stream)) });
          continue;
        }
        let undelivered = info.lag === null || info.lag === undefined ? Number.NaN : Number(info.lag);
        if (Number.isNaN(undelivered)) {
          // Redis cannot tell (entries were deleted inside the unread range): count what follows the last delivery.
          const last = String(info['last-delivered-id'] ?? '0-0');
          undelivered = ((await redis.xrange(stream, `(${last}`, '+', 'COUNT', 100_000)) as unknown[]).length;
        }
        out.push({ topic, partition, lag: undelivered + Number(info.pending ?? 0) });
      }
    }
    return out;
  }

  /**
   * Trims each stream up to the oldest entry some group still needs (pending, or not yet delivered), and forgets
   * consumer names of processes long gone.
   */
  async function maintain(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:stream:*`, 'COUNT', 200);
      cursor = next;
      for (const stream of keys) {
        const groups = await groupInfo(stream);
        if (groups.length === 0) continue;
        // The oldest entry some group still needs: its oldest pending entry, else the one after its last delivery.
        let keepFrom: string | undefined;
        for (const info of groups) {
          let needed = nextStreamId(String(info['last-delivered-id'] ?? '0-0'));
          if (Number(info.pending ?? 0) > 0) {
            const summary = (await redis.xpending(stream, String(info.name))) as unknown[];
            if (typeof summary[1] === 'string') needed = summary[1];
          }
          if (keepFrom === undefined || compareStreamIds(needed, keepFrom) < 0) keepFrom = needed;
        }
        if (keepFrom && keepFrom !== '0-1') await redis.xtrim(stream, 'MINID', keepFrom);
        // Every process start is a new consumer name; forget those that hold nothing and have been idle an hour.
        for (const info of groups) {
          const group = String(info.name);
          for (const consumer of ((await redis.xinfo('CONSUMERS', stream, group)) as unknown[]).map(pairs)) {
            if (Number(consumer.pending) === 0 && Number(consumer.idle) > 60 * 60 * 1000) {
              await redis.xgroup('DELCONSUMER', stream, group, String(consumer.name));
            }
          }
        }
      }
    } while (cursor !== '0');
  }

  const transport: Transport = {
    kind: 'redis',
    publish,
    subscribe,
    listDeadLetters,
    replayDeadLetter,
    discardDeadLetter: discard,
    lag,
    maintain,
    async close() {
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      redis.disconnect();
    },
  };
  return transport;
}
