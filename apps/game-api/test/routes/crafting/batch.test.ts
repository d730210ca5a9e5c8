/**
 * The craft batcher (packages/db crafting/batch.ts) on real PostgreSQL: a player's concurrent crafts share a
 * transaction, and each still gets its own rules check, key, card, ledger rows, events and stored response.
 */
import {
  type CraftOutcome,
  type CraftRequest,
  createCraftBatcher,
  createDb,
  type Db,
  type GameContent,
  getActiveGameData,
} from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectLedgerMatchesBalances, newKey, publishRepositoryGameData, setBalances } from '../../economy-helpers.ts';

const database = useTestDatabase();
let content: GameContent;

beforeAll(async () => {
  await publishRepositoryGameData(database.db);
  content = await getActiveGameData(database.db);
});

async function newPlayer(gold: number, wheat: number): Promise<string> {
  const { id } = await database.db.player.create({ data: {} });
  await setBalances(database.db, id, { gold, items: { wheat } });
  return id;
}

const respond = (outcome: CraftOutcome) => ({ status: 201, body: outcome });

/** A sun-seed-bundle craft (40 gold + 6 wheat) request. */
function request(playerId: string, key = newKey(), recipeId = 'sun-seed-bundle'): CraftRequest<CraftOutcome> {
  return {
    scope: { playerId, key, requestHash: `hash:${recipeId}` },
    input: { playerId, recipeId, cardIds: [], content, now: Date.now() },
    respond,
  };
}

const settle = <T>(promises: Array<Promise<T>>) => Promise.allSettled(promises);

describe('craft batches', () => {
  it('a burst on one player: fewer transactions than crafts, each craft checked in arrival order against what the ones before it left', async () => {
    // Enough for exactly 23 crafts (gold runs out first).
    const playerId = await newPlayer(40 * 23 + 39, 6 * 30);
    const batcher = createCraftBatcher(database.db);
    const keys = Array.from({ length: 60 }, () => newKey());
    const outcomes = await Promise.all(keys.map((key) => batcher.craft(request(playerId, key))));
    const stats = batcher.stats();
    expect(stats.crafts).toBe(60);
    expect(stats.largestBatch).toBeGreaterThan(1);
    expect(stats.transactions).toBeLessThan(60);
    expect(stats.fallbacks).toBe(0);

    const made = outcomes.filter((o) => o.status === 201);
    expect(made).toHaveLength(23);
    // Arrival order: the first 23 requests are the ones that succeed, each seeing the balance the one before left.
    expect(outcomes.slice(0, 23).every((o) => o.status === 201)).toBe(true);
    expect(made.map((o) => (o.body as CraftOutcome).balances.gold)).toEqual(Array.from({ length: 23 }, (_, i) => 40 * (22 - i) + 39));
    expect(made.map((o) => (o.body as CraftOutcome).balances.items)).toEqual(
      Array.from({ length: 23 }, (_, i) => [{ itemId: 'wheat', quantity: 6 * 30 - 6 * (i + 1) }]),
    );
    for (const refused of outcomes.slice(23)) {
      expect(refused).toMatchObject({ status: 409, replayed: false, body: { error: { code: 'INSUFFICIENT_GOLD' } } });
    }
    await expectLedgerMatchesBalances(database.db, playerId);

    // Every craft has its own ledger rows (gold, then wheat) in craft order, and its card.
    const ledger = await database.db.ledgerEntry.findMany({ where: { playerId, reason: 'craft' }, orderBy: { id: 'asc' } });
    const cardIds = made.map((o) => (o.body as CraftOutcome).card.id);
    expect(ledger.map((l) => [l.referenceId, l.asset, l.delta])).toEqual(
      cardIds.flatMap((id) => [
        [`craft:${id}`, 'gold', -40],
        [`craft:${id}`, 'item', -6],
      ]),
    );
    expect(
      await database.db.cardInstance.count({ where: { id: { in: cardIds }, ownerId: playerId, origin: 'crafted', state: 'in_game' } }),
    ).toBe(23);

    // Events in craft order: each craft's gold_changed (its balance after) and then its crafted.
    const events = await database.db.outboxEvent.findMany({ where: { key: playerId }, orderBy: { id: 'asc' } });
    const craftEvents = events.filter(
      (e) => e.type === 'crafted' || (e.type === 'gold_changed' && (e.payload as { reason: string }).reason === 'craft'),
    );
    expect(
      craftEvents.map((e) => [
        e.type,
        e.type === 'crafted' ? (e.payload as { cardId: string }).cardId : (e.payload as { balance: number }).balance,
      ]),
    ).toEqual(
      cardIds.flatMap((id, i) => [
        ['gold_changed', 40 * (22 - i) + 39],
        ['crafted', id],
      ]),
    );

    // Every response, success or refusal, is stored with its key: the same key again replays it.
    for (const i of [0, 22, 23, 59]) {
      expect(await batcher.craft(request(playerId, keys[i]))).toEqual({ ...outcomes[i], replayed: true });
    }
  });

  it('keys: a stored key replays, another body on a used key is IDEMPOTENCY_KEY_REUSED, one key twice in a burst crafts once', async () => {
    const playerId = await newPlayer(40 * 50, 6 * 50);
    const batcher = createCraftBatcher(database.db);
    const used = newKey();
    const first = await batcher.craft(request(playerId, used));
    expect(first).toMatchObject({ status: 201, replayed: false });

    const twice = newKey();
    const burst = await settle([
      batcher.craft(request(playerId)),
      batcher.craft(request(playerId)),
      batcher.craft(request(playerId, used)),
      batcher.craft({ ...request(playerId, used), scope: { playerId, key: used, requestHash: 'another body' } }),
      batcher.craft(request(playerId, twice)),
      batcher.craft(request(playerId, twice)),
      batcher.craft(request(playerId, newKey(), 'no-such-recipe')),
      batcher.craft(request(playerId)),
    ]);
    expect(batcher.stats().largestBatch).toBeGreaterThan(1);
    const [a, b, replay, reused, once, again, unknown, c] = burst;
    for (const made of [a, b, c, once]) expect(made).toMatchObject({ status: 'fulfilled', value: { status: 201, replayed: false } });
    expect(replay).toEqual({ status: 'fulfilled', value: { ...first, replayed: true } });
    expect(reused).toMatchObject({ status: 'rejected', reason: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(again).toEqual({
      status: 'fulfilled',
      value: { ...((once as PromiseFulfilledResult<unknown>).value as object), replayed: true },
    });
    expect(unknown).toMatchObject({ status: 'fulfilled', value: { status: 404, body: { error: { code: 'RECIPE_NOT_FOUND' } } } });

    // 1 + 4 crafts (a, b, c, once) and the stored 404.
    expect(await database.db.cardInstance.count({ where: { ownerId: playerId, origin: 'crafted' } })).toBe(5);
    expect(await database.db.outboxEvent.count({ where: { key: playerId, type: 'crafted' } })).toBe(5);
    const unknownKey = await database.db.idempotencyKey.findMany({ where: { playerId, responseStatus: 404 } });
    expect(unknownKey).toHaveLength(1);
    await expectLedgerMatchesBalances(database.db, playerId);
  });

  it('two processes (two batchers on two connection pools) on one player: exactly what the balances allow, no more', async () => {
    const playerId = await newPlayer(40 * 25, 6 * 100);
    const other: Db = createDb({ databaseUrl: database.url, maxConnections: 5 });
    try {
      const [here, there] = [createCraftBatcher(database.db), createCraftBatcher(other)];
      const outcomes = await Promise.all(Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? here : there).craft(request(playerId))));
      expect(outcomes.filter((o) => o.status === 201)).toHaveLength(25);
      expect(outcomes.filter((o) => o.status !== 201).every((o) => o.status === 409)).toBe(true);
      expect(here.stats().largestBatch).toBeGreaterThan(1);
      expect(there.stats().largestBatch).toBeGreaterThan(1);
      const player = await database.db.player.findUniqueOrThrow({ where: { id: playerId } });
      expect(player.gold).toBe(0);
      expect(await database.db.cardInstance.count({ where: { ownerId: playerId, origin: 'crafted' } })).toBe(25);
      await expectLedgerMatchesBalances(database.db, playerId);
    } finally {
      await other.$disconnect();
    }
  });

  it('a batch that fails runs each of its crafts alone: only the failing craft fails, and it wrote nothing (its key is free)', async () => {
    const playerId = await newPlayer(40 * 50, 6 * 50);
    const batcher = createCraftBatcher(database.db);
    const broken = newKey();
    const failing: CraftRequest<CraftOutcome> = {
      ...request(playerId, broken),
      respond: () => {
        throw new Error('a response builder bug');
      },
    };
    // The first runs alone; the next four queue behind it and form one batch, which fails on the broken one.
    const outcomes = await settle([
      batcher.craft(request(playerId)),
      batcher.craft(request(playerId)),
      batcher.craft(failing),
      batcher.craft(request(playerId)),
      batcher.craft(request(playerId)),
    ]);
    expect(batcher.stats().fallbacks).toBe(1);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(outcomes[2]).toMatchObject({ reason: { message: 'a response builder bug' } });
    expect(await database.db.cardInstance.count({ where: { ownerId: playerId, origin: 'crafted' } })).toBe(4);
    expect(await database.db.idempotencyKey.count({ where: { playerId, key: broken } })).toBe(0);
    // The key was not used up: a retry with it crafts.
    expect(await batcher.craft(request(playerId, broken))).toMatchObject({ status: 201, replayed: false });
    await expectLedgerMatchesBalances(database.db, playerId);
  });
});
