/**
 * One active writer per chain (ARCHITECTURE.md): a session-level PostgreSQL advisory lock on a connection of its
 * own. A second replica waits as a hot standby and takes over when the writer's connection closes (a killed
 * process). Losing the connection while leading aborts the writer, and the writer epoch (packages/db chain) fences
 * any transaction it still had in flight.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@harvest/service';
import pg from 'pg';

export interface Leadership {
  /** Resolves once this process holds the lock (polls every `pollMs`); rejects if `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<void>;
  release(): Promise<void>;
}

/** The 64-bit advisory lock key of a chain's indexer. */
export function indexerLockKey(chainId: number): bigint {
  return createHash('sha256').update(`harvest-indexer:${chainId}`).digest().readBigInt64BE(0);
}

export function createLeadership(options: {
  databaseUrl: string;
  chainId: number;
  log: Logger;
  pollMs: number;
  onLost: (error: Error) => void;
}): Leadership {
  let client: pg.Client | null = null;
  let held = false;
  const key = indexerLockKey(options.chainId).toString();
  return {
    async acquire(signal) {
      const connection = new pg.Client({ connectionString: options.databaseUrl, application_name: 'harvest-indexer-lock' });
      connection.on('error', (error) => {
        if (held) options.onLost(error);
      });
      await connection.connect();
      client = connection;
      let announced = false;
      while (!signal.aborted) {
        const { rows } = await connection.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
        if (rows[0]?.ok) {
          held = true;
          options.log.info({ chainId: options.chainId }, 'indexer writer lock acquired');
          return;
        }
        if (!announced) options.log.info({ chainId: options.chainId }, 'another indexer writes this chain; standing by');
        announced = true;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.pollMs);
          signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      }
      throw new Error('aborted');
    },
    async release() {
      held = false;
      const connection = client;
      client = null;
      await connection?.end().catch(() => undefined);
    },
  };
}
