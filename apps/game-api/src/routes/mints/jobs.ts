/**
 * The minter's BullMQ queues as game-api sees them (names and job shapes match apps/minter/src/runtime.ts), and the
 * deployments file that says which collections mint requests target.
 */
import { readFileSync } from 'node:fs';
import type { MintContracts } from '@harvest/db';
import { harvestDeploymentsSchema } from '@harvest/shared/abi';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type MintJobs, retryJobId } from './index.ts';

/** The queues (`mint-requests`, `mint-batches`) under `prefix`; close them with the app. */
export function createMintJobs(connection: Redis, prefix: string): MintJobs & { close(): Promise<void> } {
  const requests = new Queue('mint-requests', { connection, prefix });
  const batches = new Queue('mint-batches', { connection, prefix });
  return {
    async requested(requestId) {
      await requests.add('request', { requestId }, { jobId: requestId, removeOnComplete: 1000, removeOnFail: 1000 });
    },
    async retryBatch(batchId) {
      await batches.add(
        'batch',
        { batchId },
        { jobId: retryJobId(batchId), attempts: 8, backoff: { type: 'mint', delay: 2000 }, removeOnComplete: 1000, removeOnFail: 5000 },
      );
    },
    async close() {
      await requests.close();
      await batches.close();
    },
  };
}

/**
 * The collections of `chainId` from a deployments file, read again at most every 10 s (the start command writes it
 * after the chain is up; a redeploy changes it), or null while it is missing or for another chain.
 */
export function deploymentsContracts(path: string, chainId: number): () => MintContracts | null {
  let cached: { at: number; value: MintContracts | null } | null = null;
  return () => {
    if (cached && Date.now() - cached.at < 10_000) return cached.value;
    let value: MintContracts | null = null;
    try {
      const file = harvestDeploymentsSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
      if (file.chainId === chainId) value = { cards: file.contracts.HarvestCards.address, land: file.contracts.HarvestLand.address };
    } catch {
      value = null;
    }
    cached = { at: Date.now(), value };
    return value;
  };
}
