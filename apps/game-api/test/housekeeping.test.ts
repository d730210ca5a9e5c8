import { IDEMPOTENCY_KEY_TTL_MS } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPlayer, publishRepositoryGameData } from './economy-helpers.ts';
import { createTestApp, type TestApp } from './helpers.ts';

const database = useTestDatabase();
let t: TestApp;

beforeAll(async () => {
  await publishRepositoryGameData(database.db);
  t = await createTestApp(database.db, { keyRotationCheckMs: 100 });
});
afterAll(async () => {
  await t?.close();
});

describe('housekeeping timer', () => {
  it('purges idempotency keys older than their time to live and keeps the others', async () => {
    const { db } = database;
    const player = await newPlayer(t.app);
    const old = new Date(Date.now() - IDEMPOTENCY_KEY_TTL_MS - 60_000);
    const fresh = new Date(Date.now() - IDEMPOTENCY_KEY_TTL_MS + 60 * 60_000);
    await db.idempotencyKey.createMany({
      data: [
        { playerId: player.id, key: 'old', requestHash: 'h', createdAt: old },
        { playerId: player.id, key: 'fresh', requestHash: 'h', createdAt: fresh },
      ],
    });
    const deadline = Date.now() + 10_000;
    while ((await db.idempotencyKey.count({ where: { playerId: player.id, key: 'old' } })) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await db.idempotencyKey.findMany({ where: { playerId: player.id }, select: { key: true } })).toEqual([{ key: 'fresh' }]);
  });
});
