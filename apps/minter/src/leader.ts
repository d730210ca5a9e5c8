/**
 * One minter writer per chain and minter address (ARCHITECTURE.md): a session-level PostgreSQL advisory lock on a
 * connection of its own. A second replica waits as a hot standby; a killed leader's connection closes and the lock
 * goes with it. Losing the connection while leading ends the process (the supervisor restarts it), since another
 * replica may take over at once and two writers must never sign with the same nonces.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@harvest/service';
import pg from 'pg';

export interface Leadership {
  /** Resolves once this process holds the lock (polls every `pollMs`); rejects if `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<void>;
  release(): Promise<void>;
}

/** The 64-bit lock key of a (chain, address) pair. */
export function leaderKey(chainId: number, address: string): bigint {
  return createHash('sha256').update(`harvest-minter:${chainId}:${address.toLowerCase()}`).digest().readBigInt64BE(0);
}

export function createLeadership(options: {
  databaseUrl: string;
  key: bigint;
  log: Logger;
  pollMs?: number;
  onLost: (error: Error) => void;
}): Leadership {
  let client: pg.Client | null = null;
  let held = false;
  return {
    async acquire(signal) {
      const connection = new pg.Client({ connectionString: options.databaseUrl });
      await connection.connect();
      client = connection;
      connection.on('error', (error) => {
        if (held) options.onLost(error);
      });
      let waiting = false;
      while (!signal.aborted) {
        const { rows } = await connection.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [options.key.toString()]);
        if (rows[0]?.ok) {
          held = true;
          options.log.info('minter leadership acquired');
          return;
        }
        if (!waiting) options.log.info('another minter is the writer for this chain; standing by');
        waiting = true;
        await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
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
