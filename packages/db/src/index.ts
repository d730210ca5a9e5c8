/**
 * @harvest/db: the Prisma client of the game database (PostgreSQL through @prisma/adapter-pg).
 *
 * The client is generated from prisma/schema.prisma into ./generated/prisma (git-ignored): run
 * `node prisma/scripts/prisma.ts generate` (the start and test commands do) after a checkout or a schema change.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { registerChangeFeedConnection } from './changes/index.ts';
import { type Prisma, PrismaClient } from './generated/prisma/client.ts';
import { closePipelinedPool, registerPipelinedPool } from './sql/index.ts';

export type * from './generated/prisma/client.ts';
export { Prisma, PrismaClient } from './generated/prisma/client.ts';
export * from './generated/prisma/enums.ts';

/** The database client every service receives. */
export type Db = PrismaClient;

/** The client handed to `db.$transaction(async (tx) => ...)`: compose services from `xxxInTx(tx, ...)` helpers. */
export type DbTransaction = Prisma.TransactionClient;

/** Options of {@link createDb}. */
export interface CreateDbOptions {
  /** A PostgreSQL connection string. Its `schema` parameter, if any, selects the schema (default `public`). */
  databaseUrl: string;
  /** Most connections the pool opens (pg's default is 10). */
  maxConnections?: number;
}

/**
 * Creates a Prisma client over a pg connection pool. Connections open lazily; call `db.$disconnect()` to close
 * the pool when the process or test is done.
 */
export function createDb(options: CreateDbOptions): Db {
  const schema = new URL(options.databaseUrl).searchParams.get('schema') ?? undefined;
  const adapter = new PrismaPg(
    { connectionString: options.databaseUrl, ...(options.maxConnections === undefined ? {} : { max: options.maxConnections }) },
    schema === undefined ? {} : { schema },
  );
  const db = new PrismaClient({ adapter });
  // The hot economy paths run pipelined transactions on a pool of their own (./sql), closed with the client.
  registerPipelinedPool(db, {
    connectionString: options.databaseUrl,
    ...(options.maxConnections === undefined ? {} : { max: options.maxConnections }),
  });
  // The inventory change feed (./changes) listens on a connection of its own.
  registerChangeFeedConnection(db, options.databaseUrl);
  const disconnect = db.$disconnect.bind(db);
  db.$disconnect = async () => {
    await Promise.all([disconnect(), closePipelinedPool(db)]);
  };
  return db;
}
// Economy: ledger, inventory and starter grant, card state machine, farm, shop, crafting, decks, idempotent requests.
export * from './cards/index.ts';
// Chain indexer (apps/indexer): chain events, ownership mirror, checkpoints, reorg rollback, finality, game holders.
export * from './chain/index.ts';
export {
  CHANGE_FEED_APPLICATION_NAME,
  INVENTORY_CHANGES_CHANNEL,
  type PlayerChangeFeed,
  type PlayerChangeFeedHandlers,
  type PlayerChangeFeedOptions,
  startPlayerChangeFeed,
} from './changes/index.ts';
export { markProcessedInTx } from './consumers/index.ts';
export * from './crafting/batch.ts';
export * from './crafting/index.ts';
export * from './decks/index.ts';
export * from './farm/index.ts';
export * from './gamedata/index.ts';
export * from './idempotency/index.ts';
export * from './identity/index.ts';
export * from './inventory/index.ts';
export * from './ledger/index.ts';
// Marketplace (apps/marketplace): listings of signed orders, search, activity feed, reconciler.
export * from './market/index.ts';
// Matches (instance-server): creation with locked decks, transcript as the match goes, settlement, sweeper, ladder.
export * from './matches/index.ts';
export * from './mints/index.ts';
export { type AppendEventOptions, appendEvent, appendEvents, OUTBOX_KEY_LOCK_SPACE, type OutboxEventInput } from './outbox/index.ts';
export * from './shop/index.ts';
export * from './social/index.ts';
export {
  LANE_CONNECTIONS,
  type PipelinedReaderOptions,
  type PipelinedTransaction,
  pipelinedReader,
  runPipelined,
  type StatementIssuer,
  sequentialIssuer,
} from './sql/index.ts';
