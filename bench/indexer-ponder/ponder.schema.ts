// The same two things the Harvest indexer keeps for a Transfer: the event row and the token's holder since a block.
import { onchainTable } from 'ponder';

export const transferEvent = onchainTable('transfer_event', (t) => ({
  id: t.text().primaryKey(),
  from: t.hex().notNull(),
  to: t.hex().notNull(),
  tokenId: t.bigint().notNull(),
  blockNumber: t.bigint().notNull(),
}));

export const token = onchainTable('token', (t) => ({
  id: t.bigint().primaryKey(),
  owner: t.hex().notNull(),
  sinceBlock: t.bigint().notNull(),
}));
