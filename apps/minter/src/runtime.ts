/**
 * The minter's work loop, run by the leader only:
 *
 * 1. recover: the provider's journal (re-broadcast what the chain lacks), then every batch left `pending` or
 *    `sent` by a previous process is queued again (a resume job).
 * 2. batcher: every MINTER_BATCH_WAIT_MS at most (sooner when a request job arrives and a batch is full), queued
 *    items are claimed into batches of up to MINTER_BATCH_SIZE per collection, and a BullMQ job per batch is added.
 * 3. batch worker (BullMQ, MINTER_CONCURRENCY at once): the provider takes the batch to its end; a throw retries
 *    with exponential backoff (or the provider's Retry-After); the last failure makes the batch a dead letter
 *    (admins list and retry them: cli.ts, game-api admin routes). A dead batch that never reached the chain has its
 *    items failed at once (cards back in game with a reason); one that did waits for an admin, since only the
 *    chain can say what happened to it.
 *
 * The database is the queue of record: BullMQ jobs only carry ids, so a lost job (a crash between a commit and an
 * add) delays work until the next batcher pass or restart, never loses it.
 */
import {
  claimMintBatch,
  type Db,
  failMintItems,
  getMintBatch,
  listMintBatches,
  listQueuedMintTargets,
  type MintBatchView,
  setMintBatchStatusInTx,
} from '@harvest/db';
import type { Logger } from '@harvest/service';
import { type ConnectionOptions, type Job, Queue, Worker } from 'bullmq';
import type { MinterMetrics } from './metrics.ts';
import { type MintProvider, RetryableMintError } from './provider.ts';

/** Queue of mint requests (game-api adds `{ requestId }` with the request id as job id). */
export const MINT_REQUEST_QUEUE = 'mint-requests';
/** Queue of claimed batches (`{ batchId }`). */
export const MINT_BATCH_QUEUE = 'mint-batches';

export interface RuntimeOptions {
  db: Db;
  connection: ConnectionOptions;
  prefix: string;
  provider: MintProvider;
  log: Logger;
  metrics: MinterMetrics;
  chainId: number;
  /** Collections this minter mints (lower case). */
  contracts: readonly string[];
  batchSize: number;
  batchWaitMs: number;
  concurrency: number;
  jobAttempts: number;
  backoffMs: number;
}

export interface Runtime {
  /** Adds a job for a batch (ids are unique per purpose, so a resume never collides with a live job). */
  enqueueBatch(batchId: string, purpose?: string): Promise<void>;
  /** Claims what is queued now (tests and benchmarks call it to skip the wait). */
  drain(partial: boolean): Promise<number>;
  close(): Promise<void>;
}

export function createBatchQueue(connection: ConnectionOptions, prefix: string): Queue {
  return new Queue(MINT_BATCH_QUEUE, { connection, prefix });
}

/** Starts the batcher and the workers (call as leader, after `provider.recover()`). */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { db, log, metrics, provider } = options;
  const batchQueue = createBatchQueue(options.connection, options.prefix);
  const inProgress = new Set<string>();
  const contracts = new Set(options.contracts.map((c) => c.toLowerCase()));
  let claimed = 0;
  let closing = false;

  async function enqueueBatch(batchId: string, purpose = 'new'): Promise<void> {
    await batchQueue.add(
      'batch',
      { batchId },
      {
        // BullMQ refuses ':' in custom ids.
        jobId: purpose === 'new' ? batchId : `${batchId}-${purpose}`,
        attempts: options.jobAttempts,
        backoff: { type: 'mint', delay: options.backoffMs },
        removeOnComplete: 1000,
        removeOnFail: 5000,
      },
    );
  }

  async function deadLetter(batchId: string, error: Error): Promise<void> {
    const batch = await getMintBatch(db, batchId);
    if (!batch || batch.status === 'done' || batch.status === 'dead' || inProgress.has(batchId)) return;
    await setMintBatchStatusInTx(db, batchId, 'dead', error.message.slice(0, 2000));
    metrics.deadLetters.inc();
    const open = batch.items.filter((i) => i.status !== 'confirmed' && i.status !== 'failed');
    if (open.length > 0 && (await provider.canFailSafely(batch))) {
      metrics.failed.inc((await failMintItems(db, { itemIds: open.map((i) => i.id), code: 'UNAVAILABLE' })).length);
    }
    log.error({ batchId, err: error }, 'mint batch is a dead letter');
  }

  async function processBatch(job: Job<{ batchId: string }>): Promise<void> {
    const batchId = job.data.batchId;
    claimed = Math.max(0, claimed - 1);
    if (inProgress.has(batchId)) return; // another job of the same batch runs it now
    inProgress.add(batchId);
    try {
      const batch = await getMintBatch(db, batchId);
      if (!batch || batch.status === 'done' || batch.status === 'dead') return;
      await provider.process(batch);
    } finally {
      inProgress.delete(batchId);
    }
  }

  const batchWorker = new Worker<{ batchId: string }>(MINT_BATCH_QUEUE, processBatch, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    // A killed leader's jobs come back after this long; resumed batches do not wait for it (resume jobs).
    lockDuration: 30_000,
    settings: {
      backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) => {
        const exponential = options.backoffMs * 2 ** Math.max(0, attemptsMade - 1);
        const after = error instanceof RetryableMintError ? (error.retryAfterMs ?? 0) : 0;
        return Math.max(exponential, after);
      },
    },
  });
  batchWorker.on('failed', (job, error) => {
    if (!job) return;
    log.warn({ batchId: job.data.batchId, attempt: job.attemptsMade, err: error }, 'mint batch attempt failed');
    if (job.attemptsMade >= (job.opts.attempts ?? 1))
      void deadLetter(job.data.batchId, error).catch((e) => log.error({ err: e }, 'dead letter failed'));
  });
  batchWorker.on('error', (error) => log.error({ err: error }, 'batch worker error'));

  let wake: (() => void) | null = null;
  const requestWorker = new Worker<{ requestId: string }>(
    MINT_REQUEST_QUEUE,
    async () => {
      wake?.();
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: 8,
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 1000 },
    },
  );
  requestWorker.on('error', (error) => log.error({ err: error }, 'request worker error'));

  async function drain(partial: boolean): Promise<number> {
    let made = 0;
    const targets = (await listQueuedMintTargets(db)).filter((t) => t.chainId === options.chainId && contracts.has(t.contract));
    metrics.queued.set(targets.reduce((n, t) => n + t.queued, 0));
    for (const target of targets) {
      let left = target.queued;
      const due = partial || Date.now() - target.oldest.getTime() >= options.batchWaitMs;
      while (left > 0 && (left >= options.batchSize || due) && claimed < options.concurrency * 2 && !closing) {
        const batch: MintBatchView | null = await claimMintBatch(db, {
          chainId: target.chainId,
          contract: target.contract,
          provider: provider.name,
          limit: options.batchSize,
        });
        if (!batch) break;
        claimed += 1;
        made += 1;
        left -= batch.items.length;
        metrics.batches.inc();
        await enqueueBatch(batch.id);
      }
    }
    return made;
  }

  // The batcher: a pass every quarter of the wait (full batches go at once, partial ones once their oldest item
  // waited MINTER_BATCH_WAIT_MS), or sooner when a request job arrives.
  const loop = (async () => {
    while (!closing) {
      try {
        await drain(false);
      } catch (error) {
        log.error({ err: error }, 'batcher pass failed');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(50, Math.min(500, options.batchWaitMs / 4)));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  })();

  // Batches a previous process left half-way: resume each (the provider continues from the database and journal).
  const epoch = Date.now().toString(36);
  for (const batch of await listMintBatches(db, { statuses: ['pending', 'sent'], provider: provider.name })) {
    claimed += 1;
    await enqueueBatch(batch.id, `resume-${epoch}`);
  }

  return {
    enqueueBatch,
    drain,
    async close() {
      closing = true;
      wake?.();
      await loop;
      await requestWorker.close();
      await batchWorker.close();
      await batchQueue.close();
    },
  };
}
