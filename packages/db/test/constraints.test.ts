import { Prisma } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { describe, expect, it } from 'vitest';

const database = useTestDatabase();

/** What adapter-pg reports for a CHECK violation: Prisma P2039 carrying the PostgreSQL error. */
async function expectCheckViolation(operation: Promise<unknown>, constraint: string): Promise<void> {
  const error = await operation.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
  const known = error as Prisma.PrismaClientKnownRequestError;
  expect(known.code).toBe('P2039');
  const cause = (known.meta?.driverAdapterError as { cause?: { originalCode?: string; originalMessage?: string } })?.cause;
  expect(cause?.originalCode).toBe('23514');
  expect(cause?.originalMessage).toContain(constraint);
}

describe('CHECK constraints of the initial migration', () => {
  it('refuse a negative resource quantity and leave the row unchanged', async () => {
    const { db } = database;
    const player = await db.player.create({ data: {} });
    const key = { playerId_itemId: { playerId: player.id, itemId: 'wheat' } };
    await db.playerResource.create({ data: { playerId: player.id, itemId: 'wheat', quantity: 2 } });

    await expectCheckViolation(
      db.playerResource.update({ where: key, data: { quantity: { decrement: 3 } } }),
      'resources_quantity_nonnegative',
    );
    expect((await db.playerResource.findUniqueOrThrow({ where: key })).quantity).toBe(2);

    await db.playerResource.update({ where: key, data: { quantity: { decrement: 2 } } });
    expect((await db.playerResource.findUniqueOrThrow({ where: key })).quantity).toBe(0);
  });

  it('refuse negative gold and wallet addresses that are not lowercase', async () => {
    const { db } = database;
    const player = await db.player.create({ data: { gold: 5 } });
    await expectCheckViolation(
      db.player.update({ where: { id: player.id }, data: { gold: { decrement: 6 } } }),
      'players_gold_nonnegative',
    );
    await expectCheckViolation(
      db.wallet.create({ data: { playerId: player.id, address: '0xAbCdEf0000000000000000000000000000000001' } }),
      'wallets_address_lowercase',
    );
    await db.wallet.create({ data: { playerId: player.id, address: '0xabcdef0000000000000000000000000000000001' } });
  });
});
