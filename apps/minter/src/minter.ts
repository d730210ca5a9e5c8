/**
 * Builds the minter from its configuration: the provider (direct or Immutable), leadership, recovery and the
 * runtime. `server.ts` runs it as a process; tests and the benchmark run it in process.
 */
import type { Db } from '@harvest/db';
import type { Logger } from '@harvest/service';
import { getChain } from '@harvest/shared/chains';
import type { ConnectionOptions } from 'bullmq';
import { createPublicClient, defineChain, http, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createCrash } from './crash.ts';
import { readDeployments } from './deployments.ts';
import { createDirectMinter } from './direct/minter.ts';
import type { MinterConfig } from './env.ts';
import { createLeadership, leaderKey } from './leader.ts';
import type { MinterMetrics } from './metrics.ts';
import type { MintProvider } from './provider.ts';
import { type Runtime, startRuntime } from './runtime.ts';

export interface MinterDeps {
  config: MinterConfig;
  db: Db;
  connection: ConnectionOptions;
  log: Logger;
  metrics: MinterMetrics;
  /** The Immutable provider, built by the caller (its SDK is loaded only when MINTER_PROVIDER=immutable). */
  immutable?: () => Promise<MintProvider>;
}

export interface Minter {
  provider: MintProvider;
  /** Resolves once this process leads and runs the workers. */
  ready: Promise<Runtime>;
  close(): Promise<void>;
}

/** A viem client for the configured chain (a local chain polls fast). */
export function chainClient(config: MinterConfig): PublicClient {
  const info = getChain(config.env.CHAIN_ID);
  const chain = defineChain({
    id: config.env.CHAIN_ID,
    name: info?.name ?? `chain ${config.env.CHAIN_ID}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [config.env.CHAIN_RPC_URL] } },
  });
  return createPublicClient({
    chain,
    transport: http(config.env.CHAIN_RPC_URL, { batch: false, retryCount: 2 }),
    pollingInterval: config.pollMs,
  });
}

export async function createMinter(deps: MinterDeps): Promise<Minter> {
  const { config, db, log, metrics } = deps;
  const env = config.env;
  const deployments = readDeployments(config.deploymentsFile, env.CHAIN_ID);
  const contracts = { cards: deployments.contracts.HarvestCards.address, land: deployments.contracts.HarvestLand.address };
  const fromBlocks = new Map(Object.values(deployments.contracts).map((c) => [c.address.toLowerCase(), BigInt(c.blockNumber)] as const));
  const account = privateKeyToAccount(config.privateKey);
  let provider: MintProvider;
  if (env.MINTER_PROVIDER === 'immutable') {
    if (!deps.immutable) throw new Error('MINTER_PROVIDER=immutable needs the Immutable provider');
    provider = await deps.immutable();
  } else {
    provider = createDirectMinter({
      db,
      client: chainClient(config),
      account,
      chainId: env.CHAIN_ID,
      log,
      crash: createCrash(config.crashAt),
      metrics,
      fromBlock: (contract) => fromBlocks.get(contract.toLowerCase()) ?? 0n,
      confirmations: config.confirmations,
      confirmedBy: env.MINT_CONFIRMED_BY,
      maxGasPerTx: BigInt(env.MINTER_MAX_GAS_PER_TX),
      maxFeeGwei: env.MINTER_MAX_FEE_GWEI,
      maxPriorityFeeGwei: env.MINTER_MAX_PRIORITY_FEE_GWEI,
      stuckAfterMs: env.MINTER_STUCK_AFTER_MS,
      pollMs: config.pollMs,
      itemAttempts: env.MINTER_ITEM_ATTEMPTS,
    });
  }

  const abort = new AbortController();
  const leadership = createLeadership({
    databaseUrl: env.DATABASE_URL,
    key: leaderKey(env.CHAIN_ID, env.MINTER_PROVIDER === 'direct' ? account.address : `immutable:${contracts.cards}`),
    log,
    onLost: (error) => {
      log.fatal({ err: error }, 'lost the leader connection; exiting so that only one writer signs');
      process.exit(1);
    },
  });
  let runtime: Runtime | null = null;
  const ready = (async () => {
    await leadership.acquire(abort.signal);
    metrics.leader.set(1);
    await provider.recover();
    runtime = await startRuntime({
      db,
      connection: deps.connection,
      prefix: env.MINT_QUEUE_PREFIX,
      provider,
      log,
      metrics,
      chainId: env.CHAIN_ID,
      contracts: [contracts.cards, contracts.land],
      batchSize: env.MINTER_BATCH_SIZE,
      batchWaitMs: env.MINTER_BATCH_WAIT_MS,
      concurrency: env.MINTER_CONCURRENCY,
      jobAttempts: env.MINTER_JOB_ATTEMPTS,
      backoffMs: env.MINTER_BACKOFF_MS,
    });
    log.info({ provider: provider.name, chainId: env.CHAIN_ID, minter: account.address }, 'minter running');
    return runtime;
  })();
  ready.catch((error: unknown) => {
    if (abort.signal.aborted) return;
    log.fatal({ err: error }, 'the minter could not start its workers');
    process.exitCode = 1;
  });

  return {
    provider,
    ready,
    async close() {
      abort.abort();
      await ready.catch(() => undefined);
      await (runtime as Runtime | null)?.close();
      await provider.close();
      await leadership.release();
      metrics.leader.set(0);
    },
  };
}
