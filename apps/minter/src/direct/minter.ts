/**
 * The direct chain minter: one `mintBatch(to[], tokenIds[])` transaction per batch, signed with the minter-role
 * key, nonces from the journal (nonces.ts), gas estimated and capped, stuck transactions replaced, confirmed after
 * N blocks through `confirmMintedTokens` (the function the indexer will call).
 *
 * Never twice: token ids are derived from the card or parcel, so any second send of a token (a retried job, a
 * re-broadcast after a crash, a replacement, a requeued item) either is the same transaction or reverts with
 * ERC721InvalidSender; before sending and after a revert the minter asks the chain which tokens exist
 * (`ownerOf`) and confirms those instead of sending them again.
 */
import {
  confirmMintedTokens,
  type Db,
  failMintItems,
  type MintBatchView,
  markMintItemsMined,
  type PipelineItem,
  requeueMintItems,
  setMintBatchStatusInTx,
} from '@harvest/db';
import type { Logger } from '@harvest/service';
import { harvestCardsAbi } from '@harvest/shared/abi';
import {
  BaseError,
  ContractFunctionRevertedError,
  encodeFunctionData,
  getAddress,
  type Hex,
  type PrivateKeyAccount,
  type PublicClient,
  parseEventLogs,
  parseGwei,
  zeroAddress,
} from 'viem';
import type { Crash } from '../crash.ts';
import type { MinterMetrics } from '../metrics.ts';
import { type MintProvider, RetryableMintError } from '../provider.ts';
import { createNonceManager, type JournalTx, type NonceManager } from './nonces.ts';

export interface DirectMinterOptions {
  db: Db;
  client: PublicClient;
  account: PrivateKeyAccount;
  chainId: number;
  log: Logger;
  crash: Crash;
  metrics: MinterMetrics;
  /** The contract's deployment block (where to look for earlier mints). */
  fromBlock: (contract: string) => bigint;
  confirmations: number;
  confirmedBy: 'minter' | 'indexer';
  maxGasPerTx: bigint;
  maxFeeGwei: number;
  maxPriorityFeeGwei: number;
  stuckAfterMs: number;
  pollMs: number;
  itemAttempts: number;
  /** Longest one job attempt watches a transaction before handing back to the queue (ms). */
  watchLimitMs?: number;
}

/** The smaller of two bigints (Math.min takes numbers only). */
const minBig = (a: bigint, b: bigint) => (a < b ? a : b);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the chain says about a token now. */
type TokenState = { exists: true; owner: string } | { exists: false; burned: boolean };

export interface DirectMinter extends MintProvider {
  readonly nonces: NonceManager;
}

export function createDirectMinter(options: DirectMinterOptions): DirectMinter {
  const { db, client, account, log, crash, metrics } = options;
  const nonces = createNonceManager({ db, client, account, chainId: options.chainId, log });
  const maxFee = parseGwei(String(options.maxFeeGwei));
  const maxTip = parseGwei(String(options.maxPriorityFeeGwei));
  const watchLimitMs = options.watchLimitMs ?? 10 * 60_000;

  const open = (batch: MintBatchView) =>
    batch.items.filter((i) => i.status === 'batched' || i.status === 'submitted' || i.status === 'mined');

  async function tokenState(contract: Hex, tokenId: bigint): Promise<TokenState> {
    try {
      const owner = await client.readContract({ address: contract, abi: harvestCardsAbi, functionName: 'ownerOf', args: [tokenId] });
      return { exists: true, owner: owner.toLowerCase() };
    } catch (error) {
      if (!(error instanceof BaseError) || !error.walk((e) => e instanceof ContractFunctionRevertedError)) {
        throw new RetryableMintError(`ownerOf(${tokenId}) failed: ${(error as Error).message.split('\n')[0]}`);
      }
      // Land has no burn; cards refuse a burned id forever.
      const burned = await client
        .readContract({ address: contract, abi: harvestCardsAbi, functionName: 'isBurned', args: [tokenId] })
        .catch(() => false);
      return { exists: false, burned };
    }
  }

  /** The mint transaction of an existing token (its Transfer from zero), for the confirmation record. */
  async function mintOf(contract: Hex, tokenId: bigint): Promise<{ txHash: Hex; blockNumber: bigint }> {
    const logs = await client.getContractEvents({
      address: contract,
      abi: harvestCardsAbi,
      eventName: 'Transfer',
      args: { from: zeroAddress, tokenId },
      fromBlock: options.fromBlock(contract),
      toBlock: 'latest',
    });
    const first = logs[0];
    if (!first?.transactionHash || first.blockNumber === null) throw new RetryableMintError(`no mint log for token ${tokenId} yet`);
    return { txHash: first.transactionHash, blockNumber: first.blockNumber };
  }

  /** Waits until `blockNumber` has the configured confirmations. */
  async function waitConfirmations(blockNumber: bigint): Promise<void> {
    for (;;) {
      const head = await client.getBlockNumber({ cacheTime: 0 });
      if (head - blockNumber + 1n >= BigInt(options.confirmations)) return;
      await sleep(options.pollMs);
    }
  }

  async function confirm(
    contract: Hex,
    items: readonly PipelineItem[],
    mint: { txHash: Hex; blockNumber: bigint },
    owners?: Map<string, string>,
  ): Promise<void> {
    if (items.length === 0) return;
    await markMintItemsMined(db, { itemIds: items.map((i) => i.id), txHash: mint.txHash, blockNumber: mint.blockNumber });
    if (options.confirmedBy !== 'minter') return;
    await waitConfirmations(mint.blockNumber);
    // A reorg may have moved or dropped the transaction while we waited: confirm only what is still where we saw it.
    const receipt = await client.getTransactionReceipt({ hash: mint.txHash }).catch(() => null);
    if (receipt?.status !== 'success' || receipt.blockNumber !== mint.blockNumber) {
      throw new RetryableMintError(`mint ${mint.txHash} is no longer in block ${mint.blockNumber} (reorg); watching again`);
    }
    const outcome = await confirmMintedTokens(db, {
      chainId: options.chainId,
      contract,
      by: 'minter',
      tokens: items.map((i) => ({
        tokenId: i.tokenId,
        owner: owners?.get(i.id) ?? i.walletAddress,
        txHash: mint.txHash,
        blockNumber: mint.blockNumber,
      })),
    });
    metrics.confirmed.inc(outcome.confirmed.length);
  }

  /**
   * Asks the chain about each item: existing tokens are confirmed (minted earlier: a crash, a replacement, a retry),
   * burned ones fail for good, the rest are returned to be sent.
   */
  async function reconcile(contract: Hex, items: readonly PipelineItem[]): Promise<PipelineItem[]> {
    const missing: PipelineItem[] = [];
    const burned: string[] = [];
    const minted = new Map<string, { items: PipelineItem[]; owners: Map<string, string> }>();
    for (const item of items) {
      const state = await tokenState(contract, item.tokenId);
      if (state.exists) {
        const mint = await mintOf(contract, item.tokenId);
        const key = `${mint.txHash}:${mint.blockNumber}`;
        const group = minted.get(key) ?? { items: [] as PipelineItem[], owners: new Map<string, string>() };
        group.items.push(item);
        group.owners.set(item.id, state.owner);
        minted.set(key, group);
      } else if (state.burned) burned.push(item.id);
      else missing.push(item);
    }
    for (const [key, group] of minted) {
      const [txHash, block] = key.split(':') as [Hex, string];
      await confirm(contract, group.items, { txHash, blockNumber: BigInt(block) }, group.owners);
    }
    if (burned.length > 0) metrics.failed.inc((await failMintItems(db, { itemIds: burned, code: 'TOKEN_BURNED' })).length);
    return missing;
  }

  async function finish(batch: MintBatchView): Promise<void> {
    await setMintBatchStatusInTx(db, batch.id, 'done', null);
  }

  /** Gas and fees for a mintBatch of `items`, within the caps (RetryableMintError above them). */
  async function prepare(
    contract: Hex,
    items: readonly PipelineItem[],
  ): Promise<{ data: Hex; gas: bigint; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const data = encodeFunctionData({
      abi: harvestCardsAbi,
      functionName: 'mintBatch',
      args: [items.map((i) => getAddress(i.walletAddress)), items.map((i) => i.tokenId)],
    });
    const estimate = await client.estimateGas({ account: account.address, to: contract, data });
    const gas = (estimate * 6n) / 5n + 10_000n;
    if (gas > options.maxGasPerTx) {
      throw new RetryableMintError(
        `gas ${gas} for ${items.length} tokens is above MINTER_MAX_GAS_PER_TX ${options.maxGasPerTx}; lower MINTER_BATCH_SIZE`,
      );
    }
    const fees = await client.estimateFeesPerGas();
    const block = await client.getBlock({ blockTag: 'latest' });
    const baseFee = block.baseFeePerGas ?? 0n;
    const tip = minBig(fees.maxPriorityFeePerGas, maxTip);
    if (baseFee + tip > maxFee) {
      throw new RetryableMintError(`base fee ${baseFee} wei is above the cap MINTER_MAX_FEE_GWEI (${options.maxFeeGwei} gwei); waiting`);
    }
    const wanted = fees.maxFeePerGas > baseFee * 2n + tip ? fees.maxFeePerGas : baseFee * 2n + tip;
    return { data, gas, maxFeePerGas: minBig(wanted, maxFee), maxPriorityFeePerGas: tip };
  }

  /** Whether an estimate/simulation failed because the contract reverted (as opposed to the RPC failing). */
  const isRevert = (error: unknown) =>
    error instanceof BaseError &&
    (error.walk((e) => e instanceof ContractFunctionRevertedError) !== null || /revert|InvalidSender|TokenBurned/i.test(error.message));

  async function send(batch: MintBatchView, contract: Hex): Promise<JournalTx | null> {
    let items = open(batch);
    let prepared: Awaited<ReturnType<typeof prepare>> | null = null;
    try {
      prepared = await prepare(contract, items);
    } catch (error) {
      if (!isRevert(error)) {
        if (error instanceof RetryableMintError) throw error;
        log.warn({ batchId: batch.id, err: error }, 'gas estimate failed');
        throw new RetryableMintError(`estimate failed: ${(error as Error).message.split('\n')[0]}`);
      }
      // Some token exists (or was burned): settle those and send the rest.
      items = await reconcile(contract, items);
      if (items.length === 0) return null;
      try {
        prepared = await prepare(contract, items);
      } catch (again) {
        if (!isRevert(again)) throw again;
        const { failed } = await requeueMintItems(db, { itemIds: items.map((i) => i.id), maxAttempts: options.itemAttempts });
        metrics.failed.inc(failed.length);
        log.warn({ batchId: batch.id, err: again }, 'mintBatch reverts in simulation for tokens that do not exist; requeued');
        return null;
      }
      // Items settled by reconcile leave the batch; the rest keep it.
    }
    const tx = await nonces.signNew(
      batch.id,
      items.map((i) => i.id),
      {
        to: contract,
        data: prepared.data,
        gas: prepared.gas,
        maxFeePerGas: prepared.maxFeePerGas,
        maxPriorityFeePerGas: prepared.maxPriorityFeePerGas,
      },
    );
    crash.at('before_send');
    await nonces.broadcast(tx);
    crash.at('after_send');
    await nonces.markSent(tx.hash);
    metrics.sent.inc();
    log.info({ batchId: batch.id, nonce: tx.nonce.toString(), hash: tx.hash, tokens: items.length }, 'mint transaction sent');
    return tx;
  }

  /** Watches the batch's transactions (one nonce) until one is mined, replacing a stuck one. */
  async function watch(batch: MintBatchView, contract: Hex): Promise<void> {
    const started = Date.now();
    let lostChecks = 0;
    for (;;) {
      const txs = await nonces.ofBatch(batch.id);
      const latestTx = txs.at(-1);
      if (!latestTx) return;
      for (const tx of txs) {
        const receipt = await client.getTransactionReceipt({ hash: tx.hash }).catch(() => null);
        if (!receipt) continue;
        await nonces.markMined(tx.hash, { status: receipt.status, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed });
        crash.at('after_receipt');
        metrics.gasUsed.inc(Number(receipt.gasUsed));
        const items = open((await reload(batch)) ?? batch);
        if (receipt.status === 'success') {
          const minted = new Set(
            parseEventLogs({ abi: harvestCardsAbi, eventName: 'Transfer', logs: receipt.logs }).map((l) => l.args.tokenId.toString()),
          );
          await confirm(
            contract,
            items.filter((i) => minted.has(i.tokenId.toString())),
            { txHash: receipt.transactionHash, blockNumber: receipt.blockNumber },
          );
          const rest = items.filter((i) => !minted.has(i.tokenId.toString()));
          if (rest.length > 0) await settleUnsent(contract, rest);
        } else {
          metrics.reverted.inc();
          log.warn({ batchId: batch.id, hash: tx.hash }, 'mint transaction reverted; asking the chain which tokens exist');
          await settleUnsent(contract, items);
        }
        await finish(batch);
        return;
      }
      // No receipt. Has the nonce been used by something we did not journal (or is a receipt just late)?
      const latest = BigInt(await client.getTransactionCount({ address: account.address, blockTag: 'latest' }));
      if (latest > latestTx.nonce) {
        lostChecks += 1;
        if (lostChecks >= 3) {
          await nonces.markNonceLost(latestTx.nonce);
          log.warn(
            { batchId: batch.id, nonce: latestTx.nonce.toString() },
            'nonce used by another transaction; settling the batch from the chain',
          );
          await settleUnsent(contract, open((await reload(batch)) ?? batch));
          await finish(batch);
          return;
        }
      } else {
        const known = await client.getTransaction({ hash: latestTx.hash }).catch(() => null);
        const age = Date.now() - (latestTx.sentAt ?? latestTx.createdAt).getTime();
        if (age > options.stuckAfterMs) await replace(latestTx);
        else if (!known) await nonces.broadcast(latestTx);
      }
      if (Date.now() - started > watchLimitMs) throw new RetryableMintError(`no receipt for batch ${batch.id} after ${watchLimitMs} ms`);
      await sleep(options.pollMs);
    }
  }

  /** Items a mined transaction did not mint (a revert, a lost nonce): settle from the chain, requeue the rest. */
  async function settleUnsent(contract: Hex, items: readonly PipelineItem[]): Promise<void> {
    const missing = await reconcile(contract, items);
    if (missing.length === 0) return;
    const { failed } = await requeueMintItems(db, { itemIds: missing.map((i) => i.id), maxAttempts: options.itemAttempts });
    metrics.failed.inc(failed.length);
  }

  /** Same nonce, fees +25% (at least the 10% nodes require), within the caps; at the cap it keeps waiting. */
  async function replace(tx: JournalTx): Promise<void> {
    const bump = (v: bigint) => (v * 5n) / 4n + 1n;
    const tip = minBig(bump(tx.maxPriorityFeePerGas), maxTip);
    const fee = minBig(bump(tx.maxFeePerGas), maxFee);
    if (fee <= tx.maxFeePerGas || tip <= tx.maxPriorityFeePerGas) {
      log.warn({ hash: tx.hash }, 'stuck transaction already at the fee cap; waiting');
      return;
    }
    const replacement = await nonces.signReplacement(tx, { maxFeePerGas: fee, maxPriorityFeePerGas: tip });
    await nonces.broadcast(replacement);
    await nonces.markSent(replacement.hash);
    metrics.replaced.inc();
    log.warn({ nonce: tx.nonce.toString(), old: tx.hash, hash: replacement.hash }, 'stuck mint transaction replaced');
  }

  async function reload(batch: MintBatchView): Promise<MintBatchView | null> {
    const { getMintBatch } = await import('@harvest/db');
    return getMintBatch(db, batch.id);
  }

  return {
    name: 'direct',
    nonces,
    recover: () => nonces.recover(),
    async process(batch) {
      if (batch.status === 'done' || batch.status === 'dead') return;
      const contract = getAddress(batch.contract) as Hex;
      const journaled = await nonces.ofBatch(batch.id);
      if (journaled.length === 0) {
        if (open(batch).length === 0) return finish(batch);
        const tx = await send(batch, contract);
        if (!tx) return finish(batch);
      }
      await watch(batch, contract);
    },
    async canFailSafely(batch) {
      return (await nonces.ofBatch(batch.id)).length === 0;
    },
    async close() {},
  };
}
