/**
 * The configuration of one chain's indexer: id, RPC endpoints (primary then fallbacks), the contracts with their
 * start blocks (from the deployments file), the confirmation depth, and the sync tunables.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChainContracts } from '@harvest/db';
import { ConfigError } from '@harvest/service';
import { type HarvestDeployments, harvestDeploymentsSchema } from '@harvest/shared/abi';
import { getChain } from '@harvest/shared/chains';
import type { Env } from './env.ts';

export interface ChainConfig {
  chainId: number;
  name: string;
  /** A local development chain (it may be restarted from scratch: the index is then reset, not refused). */
  local: boolean;
  rpcUrls: string[];
  contracts: ChainContracts;
  /** Deploy block of each contract. */
  startBlocks: Record<keyof ChainContracts, bigint>;
  /** Where indexing starts: the first deploy block (or INDEXER_START_BLOCK). */
  startBlock: bigint;
  confirmations: number;
  pollMs: number;
  catchupBlocks: number;
  progressMs: number;
  holderSyncMs: number;
  standbyPollMs: number;
  backfill: { initialRange: number; maxRange: number; concurrency: number; targetLogs: number; batchEvents: number };
  rpc: { timeoutMs: number; attempts: number; backoffMs: number };
}

/** Reads and validates the deployments file; a problem is a ConfigError naming DEPLOYMENTS_FILE. */
export function readDeployments(path: string, chainId: number): HarvestDeployments {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('DEPLOYMENTS_FILE', `cannot read ${path}: ${(error as Error).message}`);
  }
  const parsed = harvestDeploymentsSchema.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError('DEPLOYMENTS_FILE', `${path} is not a deployments file: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  if (parsed.data.chainId !== chainId)
    throw new ConfigError('DEPLOYMENTS_FILE', `${path} is for chain ${parsed.data.chainId}, not CHAIN_ID ${chainId}`);
  return parsed.data;
}

/** The default deployments file of a chain: contracts/deployments/<chainId>.json in this repository. */
export function defaultDeploymentsFile(chainId: number): string {
  return fileURLToPath(new URL(`../../../contracts/deployments/${chainId}.json`, import.meta.url));
}

/** Builds the chain's configuration from the environment and its deployments. */
export function chainConfigOf(env: Env, deployments: HarvestDeployments): ChainConfig {
  const chain = getChain(env.CHAIN_ID);
  const c = deployments.contracts;
  const startBlocks = {
    cards: BigInt(c.HarvestCards.blockNumber),
    land: BigInt(c.HarvestLand.blockNumber),
    marketplace: BigInt(c.Marketplace.blockNumber),
  };
  const first = [startBlocks.cards, startBlocks.land, startBlocks.marketplace].reduce((a, b) => (a < b ? a : b));
  return {
    chainId: env.CHAIN_ID,
    name: chain?.name ?? String(env.CHAIN_ID),
    local: chain?.local === true,
    rpcUrls: [...new Set([env.CHAIN_RPC_URL, ...env.INDEXER_RPC_FALLBACK_URLS])],
    contracts: {
      cards: c.HarvestCards.address.toLowerCase(),
      land: c.HarvestLand.address.toLowerCase(),
      marketplace: c.Marketplace.address.toLowerCase(),
    },
    startBlocks,
    startBlock: env.INDEXER_START_BLOCK === undefined ? first : BigInt(env.INDEXER_START_BLOCK),
    confirmations: env.INDEXER_CONFIRMATIONS ?? chain?.confirmations ?? 12,
    pollMs: env.INDEXER_POLL_MS ?? (chain?.local ? 250 : 2000),
    catchupBlocks: env.INDEXER_CATCHUP_BLOCKS,
    progressMs: env.INDEXER_PROGRESS_MS,
    holderSyncMs: env.INDEXER_HOLDER_SYNC_MS,
    standbyPollMs: env.INDEXER_STANDBY_POLL_MS,
    backfill: {
      initialRange: env.INDEXER_BACKFILL_RANGE,
      maxRange: env.INDEXER_BACKFILL_MAX_RANGE,
      concurrency: env.INDEXER_BACKFILL_CONCURRENCY,
      targetLogs: env.INDEXER_BACKFILL_TARGET_LOGS,
      batchEvents: env.INDEXER_BATCH_EVENTS,
    },
    rpc: { timeoutMs: env.INDEXER_RPC_TIMEOUT_MS, attempts: env.INDEXER_RPC_ATTEMPTS, backoffMs: env.INDEXER_RPC_BACKOFF_MS },
  };
}
