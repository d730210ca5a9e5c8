/**
 * The Immutable provider: the same batches, minted by Immutable's minting API (`createMintRequest`,
 * `getMintRequest`) through `@imtbl/blockchain-data`.
 *
 * - reference_id = `<our mint request id>-<item position>`: derived from our request, so a retried create sends
 *   the same reference ids, and Immutable refuses a duplicate (409), which the provider reads as "already
 *   created" and goes on to poll. Each asset carries our token id, so Immutable mints exactly the id we derived.
 * - Rate limits: at most IMMUTABLE_MINTS_PER_MINUTE assets per rolling minute are created (the standard tier
 *   allows 200), and the response's `imx-remaining-mint-requests` / `imx-mint-requests-limit-reset` /
 *   `imx-mint-requests-retry-after` headers (and a 429) pause creation until the reset; a paused batch is retried
 *   by the queue after the time the headers gave.
 * - Status: polled per reference id until succeeded (confirmed through confirmMintedTokens) or failed (the item
 *   fails for good, the card goes back in game); the webhook (webhook-server.ts) applies the same results sooner.
 */
import {
  confirmMintedTokens,
  type Db,
  failMintItems,
  getMintBatch,
  type MintBatchView,
  markMintItemsMined,
  markMintItemsSubmittedInTx,
  type PipelineItem,
  setMintBatchStatusInTx,
} from '@harvest/db';
import type { Logger } from '@harvest/service';
import type { MinterConfig } from '../env.ts';
import type { MinterMetrics } from '../metrics.ts';
import { type MintProvider, RetryableMintError } from '../provider.ts';
import { loadImmutableSdk } from './sdk.ts';

/** A mint request's state as Immutable reports it (GetMintRequestResult, also the webhook's data). */
export interface ImmutableMintResult {
  reference_id: string;
  owner_address: string;
  token_id: string | null;
  transaction_hash: string | null;
  status: 'pending' | 'succeeded' | 'failed';
  error?: { message?: string } | null;
}

interface AxiosLikeResponse<T> {
  status: number;
  data: T;
  headers: Record<string, unknown>;
}

/** The part of the SDK's NftsApi the provider uses (raw axios responses, so status and headers are visible). */
export interface ImmutableNftsApi {
  createMintRequest(input: {
    contractAddress: string;
    chainName: string;
    createMintRequestRequest: {
      assets: Array<{ reference_id: string; owner_address: string; token_id?: string | null; metadata?: object }>;
    };
  }): Promise<AxiosLikeResponse<unknown>>;
  getMintRequest(input: {
    contractAddress: string;
    chainName: string;
    referenceId: string;
  }): Promise<AxiosLikeResponse<{ result: ImmutableMintResult[] }>>;
}

/** Immutable's reference id of an item. */
export const referenceIdOf = (item: Pick<PipelineItem, 'requestId'> & { position: number }) => `${item.requestId}-${item.position}`;

function parseReference(referenceId: string): { requestId: string; position: number } | null {
  const match = /^([0-9a-f-]{36})-(\d{1,4})$/.exec(referenceId.toLowerCase());
  return match ? { requestId: match[1] as string, position: Number(match[2]) } : null;
}

/** Milliseconds until a reset/retry header value: seconds (small numbers), epoch seconds/ms, or a date. */
export function msUntil(value: unknown, now = Date.now()): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = String(value);
  const n = Number(text);
  if (Number.isFinite(n)) {
    if (n < 1e6) return Math.max(0, n * 1000);
    return Math.max(0, (n < 1e12 ? n * 1000 : n) - now);
  }
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function statusOf(error: unknown): number | undefined {
  return (error as { response?: { status?: number } })?.response?.status;
}

function headersOf(error: unknown): Record<string, unknown> {
  return (error as { response?: { headers?: Record<string, unknown> } })?.response?.headers ?? {};
}

/**
 * Applies a result from polling or the webhook to its item: succeeded confirms (or marks mined when the indexer
 * confirms), failed fails the item (card back in game). Returns whether the item is finished.
 */
export async function applyImmutableResult(
  db: Db,
  input: { chainId: number; result: ImmutableMintResult; confirmedBy: 'minter' | 'indexer'; metrics?: MinterMetrics },
): Promise<boolean> {
  const ref = parseReference(input.result.reference_id);
  if (!ref) return false;
  const rows = await db.$queryRaw<Array<{ id: string; contract: string; token_id: string; status: string }>>`
    SELECT id::text, contract, token_id::text, status::text AS status FROM mint_items
    WHERE request_id = ${ref.requestId}::uuid AND position = ${ref.position}::int AND chain_id = ${input.chainId}::int`;
  const item = rows[0];
  if (!item) return false;
  if (item.status === 'confirmed' || item.status === 'failed') return true;
  if (input.result.status === 'succeeded') {
    const txHash = input.result.transaction_hash ?? 'unknown';
    if (input.confirmedBy === 'minter') {
      const outcome = await confirmMintedTokens(db, {
        chainId: input.chainId,
        contract: item.contract,
        by: 'minter',
        tokens: [{ tokenId: BigInt(input.result.token_id ?? item.token_id), owner: input.result.owner_address, txHash, blockNumber: null }],
      });
      input.metrics?.confirmed.inc(outcome.confirmed.length);
    } else {
      await markMintItemsMined(db, { itemIds: [item.id], txHash, blockNumber: null });
    }
    return true;
  }
  if (input.result.status === 'failed') {
    input.metrics?.failed.inc((await failMintItems(db, { itemIds: [item.id], code: 'PROVIDER_FAILED' })).length);
    return true;
  }
  return false;
}

export interface ImmutableProviderOptions {
  db: Db;
  log: Logger;
  metrics: MinterMetrics;
  nfts: ImmutableNftsApi;
  chainId: number;
  chainName: string;
  confirmedBy: 'minter' | 'indexer';
  mintsPerMinute: number;
  pollMs: number;
  /** Longest one job attempt polls before handing back to the queue (ms). */
  watchLimitMs?: number;
  now?: () => number;
}

export function createImmutableProvider(options: ImmutableProviderOptions): MintProvider {
  const { db, log, metrics, nfts } = options;
  const now = options.now ?? Date.now;
  const sent: Array<{ at: number; count: number }> = [];
  let pausedUntil = 0;

  /** Refuses to create `count` assets now if the rolling minute or the API's headers say to wait. */
  function checkRate(count: number): void {
    const t = now();
    while (sent.length > 0 && t - (sent[0]?.at ?? t) >= 60_000) sent.shift();
    if (t < pausedUntil) throw new RetryableMintError('Immutable mint rate limit: waiting for the reset', pausedUntil - t);
    const used = sent.reduce((n, s) => n + s.count, 0);
    if (used + count > options.mintsPerMinute) {
      const wait = 60_000 - (t - (sent[0]?.at ?? t));
      throw new RetryableMintError(`Immutable mint rate limit: ${used} of ${options.mintsPerMinute} NFTs this minute`, wait);
    }
  }

  function readHeaders(headers: Record<string, unknown>): void {
    const remaining = Number(headers['imx-remaining-mint-requests']);
    if (Number.isFinite(remaining) && remaining <= 0) {
      const wait =
        msUntil(headers['imx-mint-requests-limit-reset'], now()) ?? msUntil(headers['imx-mint-requests-retry-after'], now()) ?? 60_000;
      pausedUntil = Math.max(pausedUntil, now() + wait);
    }
  }

  async function create(contract: string, items: readonly (PipelineItem & { position: number })[]): Promise<void> {
    checkRate(items.length);
    const assets = items.map((i) => ({ reference_id: referenceIdOf(i), owner_address: i.walletAddress, token_id: i.tokenId.toString() }));
    try {
      const response = await nfts.createMintRequest({
        contractAddress: contract,
        chainName: options.chainName,
        createMintRequestRequest: { assets },
      });
      sent.push({ at: now(), count: items.length });
      readHeaders(response.headers);
      metrics.sent.inc();
    } catch (error) {
      const status = statusOf(error);
      if (status === 409 && items.length > 1) {
        // Some reference id exists (an earlier attempt got through): create the rest one by one.
        for (const item of items) await create(contract, [item]);
        return;
      }
      if (status === 409) return; // created by an earlier attempt whose answer was lost: poll it
      const headers = headersOf(error);
      readHeaders(headers);
      if (status === 429) {
        const wait = msUntil(headers['imx-mint-requests-retry-after'], now()) ?? msUntil(headers['retry-after'], now()) ?? 60_000;
        pausedUntil = Math.max(pausedUntil, now() + wait);
        throw new RetryableMintError('Immutable answered 429 (rate limit)', wait);
      }
      if (status !== undefined && status >= 400 && status < 500) {
        // A refusal no retry can fix (bad owner address, unknown collection): the items fail for good.
        log.error({ status, err: error }, 'Immutable refused the mint request');
        metrics.failed.inc((await failMintItems(db, { itemIds: items.map((i) => i.id), code: 'PROVIDER_FAILED' })).length);
        return;
      }
      throw new RetryableMintError(`Immutable createMintRequest failed: ${status ?? (error as Error).message}`);
    }
  }

  async function positions(batch: MintBatchView): Promise<Map<string, number>> {
    const rows = await db.$queryRaw<Array<{ id: string; position: number }>>`
      SELECT id::text, position FROM mint_items WHERE batch_id = ${batch.id}::uuid`;
    return new Map(rows.map((r) => [r.id, r.position]));
  }

  return {
    name: 'immutable',
    async recover() {},
    async process(initial) {
      if (initial.status === 'done' || initial.status === 'dead') return;
      const position = await positions(initial);
      const withPosition = (i: PipelineItem) => ({ ...i, position: position.get(i.id) ?? 0 });
      const toCreate = initial.items.filter((i) => i.status === 'batched').map(withPosition);
      if (toCreate.length > 0) {
        await create(initial.contract, toCreate);
        await db.$transaction(async (tx) => {
          await setMintBatchStatusInTx(tx, initial.id, 'sent');
          await markMintItemsSubmittedInTx(tx, { itemIds: toCreate.map((i) => i.id), txHash: null });
        });
      }
      const started = now();
      for (;;) {
        const batch = await getMintBatch(db, initial.id);
        const open = (batch?.items ?? []).filter((i) => i.status === 'submitted' || i.status === 'batched').map(withPosition);
        if (open.length === 0) break;
        for (const item of open) {
          let results: ImmutableMintResult[] = [];
          try {
            const response = await nfts.getMintRequest({
              contractAddress: initial.contract,
              chainName: options.chainName,
              referenceId: referenceIdOf(item),
            });
            results = response.data.result;
          } catch (error) {
            if (statusOf(error) !== 404)
              throw new RetryableMintError(`Immutable getMintRequest failed: ${statusOf(error) ?? (error as Error).message}`);
          }
          const result = results[0];
          if (result) await applyImmutableResult(db, { chainId: options.chainId, result, confirmedBy: options.confirmedBy, metrics });
        }
        if (now() - started > (options.watchLimitMs ?? 10 * 60_000))
          throw new RetryableMintError(`Immutable has not finished batch ${initial.id}`);
        await new Promise((resolve) => setTimeout(resolve, options.pollMs));
      }
      await setMintBatchStatusInTx(db, initial.id, 'done', null);
    },
    async canFailSafely(batch) {
      // Once Immutable accepted a reference id it may still mint it; only never-submitted items may fail safely.
      return batch.items.every((i) => i.status === 'batched' || i.status === 'queued');
    },
    async close() {},
  };
}

/** Default chain names of Immutable's environments. */
const CHAIN_NAMES = { production: 'imtbl-zkevm-mainnet', sandbox: 'imtbl-zkevm-testnet' } as const;

/** Builds the provider with the real SDK client (server.ts; tests pass IMMUTABLE_API_URL at the fake). */
export function immutableProviderFactory(deps: { config: MinterConfig; db: Db; log: Logger; metrics: MinterMetrics }) {
  return async (): Promise<MintProvider> => {
    const env = deps.config.env;
    const sdk = await loadImmutableSdk();
    const environment = env.IMMUTABLE_ENVIRONMENT === 'production' ? sdk.config.Environment.PRODUCTION : sdk.config.Environment.SANDBOX;
    const baseConfig = new sdk.config.ImmutableConfiguration({
      environment,
      ...(env.IMMUTABLE_API_KEY ? { apiKey: env.IMMUTABLE_API_KEY } : {}),
    });
    // Both keys: without baseConfig in the overrides the SDK drops the API key header (TOOLCHAIN.md).
    const client = new sdk.blockchainData.BlockchainData({
      baseConfig,
      ...(env.IMMUTABLE_API_URL ? { overrides: { basePath: env.IMMUTABLE_API_URL.replace(/\/$/, ''), baseConfig } } : {}),
    });
    return createImmutableProvider({
      db: deps.db,
      log: deps.log,
      metrics: deps.metrics,
      nfts: client.nfts as unknown as ImmutableNftsApi,
      chainId: env.CHAIN_ID,
      chainName: env.IMMUTABLE_CHAIN_NAME ?? CHAIN_NAMES[env.IMMUTABLE_ENVIRONMENT],
      confirmedBy: env.MINT_CONFIRMED_BY,
      mintsPerMinute: env.IMMUTABLE_MINTS_PER_MINUTE,
      pollMs: deps.config.pollMs,
    });
  };
}
