import { Redis } from 'ioredis';
import pg from 'pg';
import type { ReadinessCheck } from './health.ts';

/** A dependency the process holds open, with its readiness check and how to let it go. */
export interface Dependency {
  check: ReadinessCheck;
  close(): Promise<void>;
}

/** A small pool used only to tell readiness; the app's data access goes through @harvest/db. */
export function postgresDependency(databaseUrl: string): Dependency {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, idleTimeoutMillis: 10_000 });
  pool.on('error', () => undefined);
  return {
    check: () => pool.query('SELECT 1'),
    close: () => pool.end(),
  };
}

/** Readiness of a Redis server; lazy, so an unreachable Redis makes /readyz fail rather than the start. */
export function redisDependency(redisUrl: string): Dependency {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  client.on('error', () => undefined);
  return {
    check: async () => {
      if (client.status === 'wait' || client.status === 'end') await client.connect();
      return client.ping();
    },
    close: async () => {
      client.disconnect();
    },
  };
}

/** Readiness of an EVM JSON-RPC endpoint, checking that it serves the expected chain. */
export function chainDependency(rpcUrl: string, chainId: number): Dependency {
  return {
    check: async () => {
      const response = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        signal: AbortSignal.timeout(2000),
      });
      const body = (await response.json()) as { result?: string };
      if (Number(body.result) !== chainId) throw new Error(`RPC serves chain ${Number(body.result)}, expected ${chainId}`);
    },
    close: async () => undefined,
  };
}
