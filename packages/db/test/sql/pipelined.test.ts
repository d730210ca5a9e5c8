import { randomUUID } from 'node:crypto';
import { createDb, type OutboxEventInput, pipelinedReader, runPipelined, sendLockedChangesInTx } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { describe, expect, it } from 'vitest';
import { countSocketWrites } from '../socket-writes.ts';

const database = useTestDatabase();

async function newPlayer(gold: number, wheat: number): Promise<string> {
  const { db } = database;
  const player = await db.player.create({ data: { gold } });
  await db.playerResource.create({ data: { playerId: player.id, itemId: 'wheat', quantity: wheat } });
  return player.id;
}

async function state(playerId: string) {
  const { db } = database;
  const player = await db.player.findUniqueOrThrow({ where: { id: playerId } });
  const wheat = await db.playerResource.findUniqueOrThrow({ where: { playerId_itemId: { playerId, itemId: 'wheat' } } });
  const ledger = await db.ledgerEntry.count({ where: { playerId } });
  return { gold: player.gold, wheat: wheat.quantity, ledger };
}

describe('pipelined transactions (plain pg, statements sent back to back)', () => {
  it('commits statements sent without waiting, in the order sent', async () => {
    const playerId = await newPlayer(100, 10);
    const seen = await runPipelined(database.db, async (tx) => {
      const first = tx.query<{ gold: number }>`UPDATE players SET gold = gold - 1 WHERE id = ${playerId}::uuid RETURNING gold`;
      const second = tx.query<{ gold: number }>`UPDATE players SET gold = gold * 2 WHERE id = ${playerId}::uuid RETURNING gold`;
      await tx.commit();
      return [(await first)[0]?.gold, (await second)[0]?.gold];
    });
    expect(seen).toEqual([99, 198]);
    expect((await state(playerId)).gold).toBe(198);
  });

  it('a failing statement rolls back everything, including what was sent before it and the COMMIT behind it', async () => {
    const playerId = await newPlayer(100, 10);
    const outcome = runPipelined(database.db, async (tx) => {
      void tx.query`UPDATE players SET gold = gold - 50 WHERE id = ${playerId}::uuid`;
      // CHECK (quantity >= 0) refuses this one.
      void tx.query`UPDATE resources SET quantity = quantity - 11 WHERE player_id = ${playerId}::uuid AND item_id = 'wheat'`;
      void tx.query`UPDATE players SET gold = gold - 1 WHERE id = ${playerId}::uuid`;
      await tx.commit();
    });
    await expect(outcome).rejects.toMatchObject({ code: '23514' });
    expect(await state(playerId)).toEqual({ gold: 100, wheat: 10, ledger: 0 });
  });

  it('refuses to commit when a helper did not send its statement when issued (it could run after COMMIT)', async () => {
    const playerId = await newPlayer(100, 10);
    const outcome = runPipelined(database.db, async (tx) => {
      void tx.query`UPDATE players SET gold = 1 WHERE id = ${playerId}::uuid`;
      void tx.issuer.issue(async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        return tx.query`UPDATE players SET gold = 2 WHERE id = ${playerId}::uuid`;
      });
      await tx.commit();
    });
    await expect(outcome).rejects.toThrow(/not sent when issued/);
    expect((await state(playerId)).gold).toBe(100);
  });

  it('sends BEGIN, the statements sent together and COMMIT in one socket write', async () => {
    const playerId = await newPlayer(100, 10);
    // Once, so the pool's connection is open and the statements are prepared.
    const transaction = () =>
      runPipelined(database.db, async (tx) => {
        void tx.query`UPDATE players SET gold = gold - 1 WHERE id = ${playerId}::uuid`;
        void tx.query`UPDATE resources SET quantity = quantity - 1 WHERE player_id = ${playerId}::uuid AND item_id = 'wheat'`;
        await tx.commit();
      });
    await transaction();
    const { writes } = await countSocketWrites(transaction);
    // One statement a write would be four (BEGIN, two updates, COMMIT).
    expect(writes).toBe(1);
    expect(await state(playerId)).toMatchObject({ gold: 98, wheat: 8 });
  });

  it('rolls back a run that returns without commit()', async () => {
    const playerId = await newPlayer(100, 10);
    await expect(
      runPipelined(database.db, async (tx) => {
        await tx.query`UPDATE players SET gold = 0 WHERE id = ${playerId}::uuid`;
      }),
    ).rejects.toThrow(/must end with commit/);
    expect((await state(playerId)).gold).toBe(100);
  });
});

describe('pipelinedReader lanes', () => {
  it('a lane answers while transactions hold every connection of the shared pool; the shared pool waits', async () => {
    const db = createDb({ databaseUrl: database.url, maxConnections: 2 });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holders = Array.from({ length: 2 }, () =>
      runPipelined(db, async (tx) => {
        await tx.query`SELECT 1`;
        await held;
        await tx.commit();
      }),
    );
    try {
      // Both shared connections are in a transaction once each has answered its first statement.
      await new Promise((resolve) => setTimeout(resolve, 200));
      let sharedAnswered = false;
      const shared = pipelinedReader(db).$queryRaw<Array<{ n: number }>>`SELECT 2 AS n`.then((rows) => {
        sharedAnswered = true;
        return rows;
      });
      const lane = await pipelinedReader(db, { lane: 'test' }).$queryRaw<Array<{ n: number }>>`SELECT 3 AS n`;
      expect(lane).toEqual([{ n: 3 }]);
      expect(sharedAnswered).toBe(false);
      release();
      expect(await shared).toEqual([{ n: 2 }]);
    } finally {
      release();
      await Promise.all(holders);
      await db.$disconnect();
    }
  });
});

describe('sendLockedChangesInTx', () => {
  it('writes the balances and ledger rows in one statement and names the gold ledger row in gold_changed', async () => {
    const playerId = await newPlayer(100, 10);
    const events: OutboxEventInput[] = [];
    const result = await runPipelined(database.db, async (tx) => {
      const [locked] = await tx.query<{ gold: number; ledger_id: bigint }>`
        SELECT gold, nextval(pg_get_serial_sequence('ledger_entries', 'id')) AS ledger_id FROM players WHERE id = ${playerId}::uuid FOR NO KEY UPDATE`;
      if (!locked) throw new Error('no player');
      const sent = sendLockedChangesInTx(
        tx.raw,
        tx.issuer,
        { playerId, reason: 'admin_adjustment', referenceId: 'test', events },
        { gold: { before: locked.gold, delta: -40, ledgerId: locked.ledger_id }, items: [{ itemId: 'wheat', before: 10, delta: -6 }] },
      );
      await tx.commit();
      return { ...sent, ledgerId: String(locked.ledger_id) };
    });
    expect(result.gold).toBe(60);
    expect(result.items).toEqual([{ itemId: 'wheat', quantity: 4 }]);
    expect(await state(playerId)).toEqual({ gold: 60, wheat: 4, ledger: 2 });
    const rows = await database.db.ledgerEntry.findMany({ where: { playerId }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => [String(r.id), r.asset, r.itemId, r.delta])).toEqual([
      [result.ledgerId, 'gold', null, -40],
      [expect.any(String), 'item', 'wheat', -6],
    ]);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'gold_changed',
        payload: expect.objectContaining({ delta: -40, balance: 60, referenceId: result.ledgerId }),
      }),
    ]);
  });

  it('aborts the transaction when a row does not end where the locked values said (a caller bug writes nothing)', async () => {
    const playerId = await newPlayer(100, 10);
    const outcome = runPipelined(database.db, async (tx) => {
      await tx.query`SELECT 1 FROM players WHERE id = ${playerId}::uuid FOR NO KEY UPDATE`;
      void tx.query`INSERT INTO ledger_entries (player_id, asset, delta, reason) VALUES (${playerId}::uuid, 'gold', 1, 'before')`;
      // The caller claims wheat was 9: the statement's own check refuses (22012), and so does the COMMIT.
      sendLockedChangesInTx(
        tx.raw,
        tx.issuer,
        { playerId, reason: 'admin_adjustment', referenceId: randomUUID(), events: [] },
        { items: [{ itemId: 'wheat', before: 9, delta: -6 }] },
      );
      await tx.commit();
    });
    await expect(outcome).rejects.toMatchObject({ code: '22012' });
    expect(await state(playerId)).toEqual({ gold: 100, wheat: 10, ledger: 0 });
  });
});
