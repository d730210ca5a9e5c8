/**
 * Operators' commands for the minter's dead letters (batches whose retries ran out):
 *
 *   node apps/minter/src/cli.ts dead-letters list
 *   node apps/minter/src/cli.ts dead-letters retry <batchId>   # another round of attempts (the chain decides)
 *   node apps/minter/src/cli.ts dead-letters fail <batchId>    # give up: cards back in game (only if nothing was sent)
 *
 * Reads DATABASE_URL, REDIS_URL and MINT_QUEUE_PREFIX like the minter (env.ts). Admins can do the same over HTTP:
 * game-api's GET /v1/admin/mints/dead-letters and POST /v1/admin/mints/dead-letters/:batchId/retry.
 */
import { createDb, failDeadMintBatch, listDeadMintBatches, reviveDeadMintBatch } from '@harvest/db';
import { isAppError } from '@harvest/shared/errors';
import { Redis } from 'ioredis';
import { readEnv } from './env.ts';
import { createBatchQueue } from './runtime.ts';

const [group, command, batchId] = process.argv.slice(2);
const usage = 'usage: cli.ts dead-letters list | retry <batchId> | fail <batchId>';
if (group !== 'dead-letters' || !command || !['list', 'retry', 'fail'].includes(command) || (command !== 'list' && !batchId)) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}
const env = readEnv();
const db = createDb({ databaseUrl: env.DATABASE_URL, maxConnections: 2 });
let code = 0;
try {
  if (command === 'list') {
    const dead = await listDeadMintBatches(db);
    if (dead.length === 0) process.stdout.write('no dead letters\n');
    for (const d of dead) {
      process.stdout.write(
        `${d.id}  ${d.provider}  chain ${d.chainId}  ${d.items} open item(s)  ${d.transactions} transaction(s)  ${d.updatedAt.toISOString()}  ${d.lastError ?? ''}\n`,
      );
    }
  } else if (command === 'retry') {
    await reviveDeadMintBatch(db, batchId as string);
    const connection = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
    const queue = createBatchQueue(connection, env.MINT_QUEUE_PREFIX);
    await queue.add(
      'batch',
      { batchId },
      {
        jobId: `${batchId}-retry-${Date.now()}`,
        attempts: env.MINTER_JOB_ATTEMPTS,
        backoff: { type: 'mint', delay: env.MINTER_BACKOFF_MS },
      },
    );
    await queue.close();
    connection.disconnect();
    process.stdout.write(`batch ${batchId} queued again\n`);
  } else {
    const failed = await failDeadMintBatch(db, batchId as string);
    process.stdout.write(`batch ${batchId}: ${failed.length} item(s) failed, their cards are back in game\n`);
  }
} catch (error) {
  if (!isAppError(error)) throw error;
  process.stderr.write(`${error.code}: ${error.message}\n`);
  code = 1;
} finally {
  await db.$disconnect();
}
process.exit(code);
