/**
 * The indexer process: one chain's writer or its hot standby. Waits for the chain's advisory lock, then runs the
 * indexer until SIGTERM (finishes the transaction in flight, releases the lock) or a fatal error (exits 1 so the
 * supervisor restarts it, and the standby takes over meanwhile).
 */
import { createDb, type Db } from '@harvest/db';
import type { Logger } from '@harvest/service';
import type { ChainConfig } from '../config.ts';
import { createRpcClient } from '../sync/rpc.ts';
import { type ChainIndexer, createChainIndexer } from './indexer.ts';
import { createLeadership } from './leader.ts';
import type { IndexerMetrics } from './metrics.ts';

export interface IndexerProcess {
  indexer: ChainIndexer;
  /** Resolves when the writer stopped (after stop(), or with the fatal error). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Starts the writer loop (behind the advisory lock) in the background. */
export function startIndexerProcess(options: {
  databaseUrl: string;
  config: ChainConfig;
  log: Logger;
  metrics: IndexerMetrics;
  db?: Db;
}): IndexerProcess {
  const { config, log, metrics } = options;
  const controller = new AbortController();
  const db = options.db ?? createDb({ databaseUrl: options.databaseUrl, maxConnections: 4 });
  const rpc = createRpcClient({
    urls: config.rpcUrls,
    ...config.rpc,
    log,
    signal: controller.signal,
    onRequest: (event) => metrics.rpcRequests.inc({ method: event.method, outcome: event.outcome }),
  });
  const indexer = createChainIndexer({ db, rpc, config, log, metrics });
  let lostError: Error | null = null;
  const leadership = createLeadership({
    databaseUrl: options.databaseUrl,
    chainId: config.chainId,
    log,
    pollMs: config.standbyPollMs,
    onLost: (error) => {
      lostError = error;
      log.error({ err: error }, 'lost the writer lock connection; stopping');
      controller.abort();
    },
  });
  const done = (async () => {
    try {
      await leadership.acquire(controller.signal);
    } catch (error) {
      if (controller.signal.aborted) return;
      throw error;
    }
    metrics.leader.set(1);
    try {
      await indexer.run(controller.signal);
      if (lostError) throw lostError;
    } finally {
      metrics.leader.set(0);
      await leadership.release();
      if (!options.db) await db.$disconnect();
    }
  })();
  return {
    indexer,
    done,
    async stop() {
      controller.abort();
      await done.catch(() => undefined);
    },
  };
}
