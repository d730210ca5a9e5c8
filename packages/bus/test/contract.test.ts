/**
 * The transport contract: the same cases against Redis Streams (always) and Kafka (wherever KAFKA_BROKERS is set;
 * no broker can run on our machines, see the README). Only the Transport interface is used here.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Delivery, OutgoingMessage, PartitionBatch, Subscription, Transport } from '../src/transport.ts';
import { transportCases, uniquePrefix, waitFor } from './helpers.ts';

function messages(count: number, keys: number, topic = 'match', from = 0): OutgoingMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const key = `key-${n % keys}`;
    const id = randomUUID();
    return { topic, key, id, value: JSON.stringify({ id, key, n }) };
  });
}

const parse = (delivery: Delivery) => JSON.parse(delivery.value) as { id: string; key: string; n: number };

describe.each(transportCases())('transport contract: $name', ({ create, settleMs }) => {
  const open: Array<Transport | Subscription> = [];
  afterEach(async () => {
    while (open.length) await open.pop()?.close();
  });
  const transport = (prefix: string) => {
    const created = create(prefix);
    open.push(created);
    return created;
  };
  const subscribe = async (t: Transport, ...args: Parameters<Transport['subscribe']>) => {
    const subscription = await t.subscribe(...args);
    open.push(subscription);
    return subscription;
  };

  it('delivers every published message to a group once, in publish order within each key', async () => {
    const t = transport(uniquePrefix('order'));
    const seen: Array<{ id: string; key: string; n: number }> = [];
    await subscribe(t, {
      group: 'g',
      topics: ['match'],
      handler: async (batch) => {
        seen.push(...batch.messages.map(parse));
        await batch.ack(batch.messages);
      },
    });
    const all = messages(400, 25);
    for (let i = 0; i < all.length; i += 50) await t.publish(all.slice(i, i + 50));
    await waitFor('400 deliveries', () => seen.length >= 400, settleMs);
    expect(new Set(seen.map((m) => m.id)).size).toBe(400);
    expect(seen).toHaveLength(400);
    const byKey = new Map<string, number[]>();
    for (const m of seen) byKey.set(m.key, [...(byKey.get(m.key) ?? []), m.n]);
    for (const ns of byKey.values()) expect(ns).toEqual([...ns].sort((a, b) => a - b));
  });

  it('gives every group every message, including what was published before the group first subscribed', async () => {
    const t = transport(uniquePrefix('groups'));
    await t.publish(messages(30, 5));
    const got: Record<string, Set<string>> = { a: new Set(), b: new Set() };
    for (const group of ['a', 'b'] as const) {
      await subscribe(t, {
        group,
        topics: ['match'],
        handler: async (batch) => {
          for (const m of batch.messages) got[group]?.add(parse(m).id);
          await batch.ack(batch.messages);
        },
      });
    }
    await t.publish(messages(30, 5, 'match', 30));
    await waitFor('both groups to see 60', () => got.a?.size === 60 && got.b?.size === 60, settleMs);
  });

  it('shares the partitions among the members of a group, one member per partition at a time', async () => {
    const t = transport(uniquePrefix('share'));
    const inFlight = new Map<number, number>();
    let overlaps = 0;
    const handledBy: Record<string, number> = { one: 0, two: 0 };
    const ids = new Set<string>();
    const handler = (member: 'one' | 'two') => async (batch: PartitionBatch) => {
      inFlight.set(batch.partition, (inFlight.get(batch.partition) ?? 0) + 1);
      if ((inFlight.get(batch.partition) ?? 0) > 1) overlaps++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      for (const m of batch.messages) ids.add(parse(m).id);
      handledBy[member] = (handledBy[member] ?? 0) + batch.messages.length;
      await batch.ack(batch.messages);
      inFlight.set(batch.partition, (inFlight.get(batch.partition) ?? 1) - 1);
    };
    await subscribe(t, { group: 'g', topics: ['match'], handler: handler('one') });
    await subscribe(t, { group: 'g', topics: ['match'], handler: handler('two') });
    let sent = 0;
    const deadline = Date.now() + settleMs * 2;
    while ((handledBy.one === 0 || handledBy.two === 0) && Date.now() < deadline) {
      await t.publish(messages(20, 40, 'match', sent));
      sent += 20;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await waitFor(`${sent} distinct messages`, () => ids.size === sent, settleMs);
    expect(handledBy.one).toBeGreaterThan(0);
    expect(handledBy.two).toBeGreaterThan(0);
    expect(overlaps).toBe(0);
  });

  it('restarts a partition from the first unacknowledged message after a handler error', async () => {
    const t = transport(uniquePrefix('retry'));
    // One key: one partition, so every batch below is of the same partition.
    const all = messages(12, 1);
    const target = all[4]?.id as string;
    const batches: string[][] = [];
    let failedIn = -1;
    const done: string[] = [];
    await subscribe(t, {
      group: 'g',
      topics: ['match'],
      handler: async (batch) => {
        batches.push(batch.messages.map((m) => parse(m).id));
        for (const m of batch.messages) {
          const { id } = parse(m);
          if (id === target && failedIn === -1) {
            failedIn = batches.length - 1;
            throw new Error('handler failed');
          }
          if (!done.includes(id)) done.push(id);
          await batch.ack([m]);
        }
      },
    });
    await t.publish(all);
    await waitFor('all 12 handled', () => done.length === 12, settleMs);
    expect(done).toEqual(all.map((m) => m.id));
    expect(failedIn).toBeGreaterThanOrEqual(0);
    // The first batch after the failure starts at the failed message: nothing after it jumped the queue.
    expect(batches[failedIn + 1]?.[0]).toBe(target);
  });

  it('counts retries with redeliver and moves a message to the dead letters, which can be listed, replayed and discarded', async () => {
    const t = transport(uniquePrefix('dlq'));
    const [poison, fine, other] = messages(3, 1);
    let replayed = 0;
    let poisonReplayed = false;
    await subscribe(t, {
      group: 'g',
      topics: ['match'],
      handler: async (batch) => {
        for (const m of batch.messages) {
          const { id } = parse(m);
          if (id === poison?.id && !poisonReplayed) {
            expect(m.deliveries).toBeGreaterThanOrEqual(1);
            const before = m.deliveries;
            expect(await batch.redeliver(m)).toBe(before + 1);
            await batch.deadLetter(m, 'handler failed: boom');
            continue;
          }
          if (id === poison?.id) replayed++;
          if (id === other?.id) {
            await batch.deadLetter(m, 'never wanted');
            continue;
          }
          await batch.ack([m]);
        }
      },
    });
    await t.publish([poison, fine, other] as OutgoingMessage[]);
    await waitFor('two dead letters', async () => (await t.listDeadLetters('g')).length === 2, settleMs);
    const letters = await t.listDeadLetters('g');
    const dead = letters.find((letter) => parse({ value: letter.value } as Delivery).id === poison?.id);
    expect(dead).toMatchObject({ group: 'g', topic: 'match', key: poison?.key, value: poison?.value, reason: 'handler failed: boom' });
    expect(dead?.deliveries).toBeGreaterThanOrEqual(2);
    expect(Number.isNaN(Date.parse(dead?.failedAt ?? ''))).toBe(false);

    poisonReplayed = true;
    expect(await t.replayDeadLetter('g', dead?.id as string)).toBe(true);
    await waitFor('the replayed message to be handled', () => replayed === 1, settleMs);
    expect(await t.replayDeadLetter('g', dead?.id as string)).toBe(false);
    const rest = await t.listDeadLetters('g');
    expect(rest.map((letter) => parse({ value: letter.value } as Delivery).id)).toEqual([other?.id]);
    expect(await t.discardDeadLetter('g', rest[0]?.id as string)).toBe(true);
    expect(await t.listDeadLetters('g')).toEqual([]);
    expect(await t.listDeadLetters('nobody')).toEqual([]);
  });

  it('hands the unacknowledged messages of a member that left to the next member of its group', async () => {
    const t = transport(uniquePrefix('handover'));
    const all = messages(40, 8);
    let firstGot = 0;
    const first = await subscribe(t, {
      group: 'g',
      topics: ['match'],
      handler: async (batch) => {
        firstGot += batch.messages.length;
        // Takes them and never settles: waits until it loses the partition.
        while (batch.active()) await new Promise((resolve) => setTimeout(resolve, 10));
      },
    });
    await t.publish(all);
    await waitFor('the first member to hold messages', () => firstGot > 0, settleMs);
    await first.close();
    const second = new Map<string, number>();
    await subscribe(t, {
      group: 'g',
      topics: ['match'],
      handler: async (batch) => {
        for (const m of batch.messages) second.set(parse(m).id, m.deliveries);
        await batch.ack(batch.messages);
      },
    });
    await waitFor('all 40 at the second member', () => second.size === 40, settleMs);
    if (t.kind === 'redis') expect(Math.max(...second.values())).toBeGreaterThanOrEqual(2);
  });

  it('reports lag: published and not yet acknowledged by the group, per partition', async () => {
    const t = transport(uniquePrefix('lag'));
    await t.publish(messages(50, 10));
    const before = await t.lag('g', ['match']);
    expect(before.map((entry) => entry.partition).sort()).toEqual([0, 1, 2, 3]);
    expect(before.reduce((sum, entry) => sum + entry.lag, 0)).toBe(50);
    let acked = 0;
    await subscribe(t, {
      group: 'g',
      topics: ['match'],
      handler: async (batch) => {
        await batch.ack(batch.messages);
        acked += batch.messages.length;
      },
    });
    await waitFor('50 acknowledged', () => acked >= 50, settleMs);
    await waitFor('lag 0', async () => (await t.lag('g', ['match'])).every((entry) => entry.lag === 0), settleMs);
  });
});
