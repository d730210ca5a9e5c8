/**
 * The RPC layer and the writer election against a real Hardhat node: a loopback proxy in front of the node injects
 * the faults (a dead endpoint, 503s, an answer that lies about block hashes, "too many results" for wide ranges),
 * and two indexer processes share one database.
 */
import { createServer, type Server } from 'node:http';
import { applyBlock } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { createLogger } from '@harvest/service';
import { harvestCardsAbi } from '@harvest/shared/abi';
import { AppError } from '@harvest/shared/errors';
import type { Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FOLLOWED_TOPICS, findLogContradiction } from '../../src/decode/index.ts';
import { startIndexerProcess } from '../../src/runtime/main.ts';
import { createIndexerMetrics } from '../../src/runtime/metrics.ts';
import { createRangeSizer, fetchLogRanges } from '../../src/sync/backfill.ts';
import { createRpcClient, type RpcClient } from '../../src/sync/rpc.ts';
import { chainRpc, devAccounts, freePort, type LocalChain, startLocalChain } from '../support/chain.ts';
import { chainClients, testChainConfig, waitFor } from '../support/world.ts';

type Fault = (
  body: { method: string; params: unknown[] },
  forward: () => Promise<string>,
) => Promise<{ status: number; text: string } | null>;

/** A JSON-RPC proxy to the node; `fault` may answer instead of the node (null: forward). */
async function startProxy(
  target: string,
): Promise<{ url: string; setFault(f: Fault | null): void; requests: string[]; close(): Promise<void> }> {
  let fault: Fault | null = null;
  const requests: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const body = JSON.parse(raw) as { method: string; params: unknown[] };
    requests.push(body.method);
    const forward = async () =>
      (await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw })).text();
    const injected = fault ? await fault(body, forward) : null;
    const answer = injected ?? { status: 200, text: await forward() };
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.text);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    setFault: (f) => {
      fault = f;
    },
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const log = createLogger('indexer-rpc-test', 'silent');

describe('RPC retries, fallback and refusals; writer election', () => {
  const database = useTestDatabase();
  let chain: LocalChain;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let deadUrl: string;
  const outcomes: string[] = [];
  const client = (urls: string[], attempts = 4): RpcClient =>
    createRpcClient({
      urls,
      timeoutMs: 5000,
      attempts,
      backoffMs: 5,
      log,
      onRequest: (e) => outcomes.push(`${e.url === deadUrl ? 'dead' : 'proxy'}:${e.outcome}`),
    });

  beforeAll(async () => {
    chain = await startLocalChain();
    proxy = await startProxy(chain.rpcUrl);
    deadUrl = `http://127.0.0.1:${await freePort()}`;
    // Ten blocks with a mint each.
    const { wallet, public: reader } = chainClients(chain.rpcUrl);
    const [, , holder] = await devAccounts(chain.rpcUrl);
    for (let i = 1n; i <= 10n; i++) {
      const hash = await wallet.writeContract({
        account: chain.deployments.minter as Hex,
        address: chain.deployments.contracts.HarvestCards.address as Hex,
        abi: harvestCardsAbi,
        functionName: 'mintBatch',
        args: [
          [holder as Hex, holder as Hex],
          [i * 2n, i * 2n + 1n],
        ],
      });
      await reader.waitForTransactionReceipt({ hash, pollingInterval: 10 });
    }
  });
  afterAll(async () => {
    await proxy?.close();
    await chain?.stop();
  });

  it('falls back to the next endpoint when the first does not answer, and retries 503s', async () => {
    outcomes.length = 0;
    const rpc = client([deadUrl, proxy.url]);
    expect(await rpc.chainId()).toBe(31337);
    expect(outcomes).toEqual(['dead:error', 'proxy:ok']);
    // A failing endpoint hands over to the next one, round the list: with one endpoint, the same one again.
    let failures = 2;
    proxy.setFault(async () => (failures-- > 0 ? { status: 503, text: 'busy' } : null));
    outcomes.length = 0;
    expect(await client([proxy.url]).blockNumber()).toBe(BigInt(await chainRpc<string>(chain.rpcUrl, 'eth_blockNumber')));
    expect(outcomes).toEqual(['proxy:error', 'proxy:error', 'proxy:ok']);
    proxy.setFault(async () => ({ status: 503, text: 'busy' }));
    await expect(client([proxy.url], 3).blockNumber()).rejects.toMatchObject({ code: 'CHAIN_RPC_UNAVAILABLE' });
    proxy.setFault(null);
    await expect(client([proxy.url]).verifyChainId(1)).rejects.toMatchObject({ code: 'CHAIN_RPC_CONTRADICTION' });
  });

  it('refuses logs that contradict the block hash asked for, and takes them from an honest endpoint', async () => {
    const cards = chain.deployments.contracts.HarvestCards.address.toLowerCase();
    const head = BigInt(await chainRpc<string>(chain.rpcUrl, 'eth_blockNumber'));
    const block = await client([chain.rpcUrl]).getBlock(head);
    if (!block) throw new Error('no head block');
    // The lying endpoint rewrites every log's block hash (as a node on another fork would).
    proxy.setFault(async (body, forward) => {
      if (body.method !== 'eth_getLogs') return null;
      const answer = JSON.parse(await forward()) as { result: Array<{ blockHash: string }> };
      for (const entry of answer.result) entry.blockHash = `0x${'ee'.repeat(32)}`;
      return { status: 200, text: JSON.stringify(answer) };
    });
    const filter = { address: [cards], topics: [[...FOLLOWED_TOPICS]] };
    const check = (logs: Parameters<typeof findLogContradiction>[0]) =>
      findLogContradiction(logs, { from: head, to: head, addresses: [cards], blockHash: block.hash });
    await expect(client([proxy.url], 2).getLogs({ ...filter, blockHash: block.hash }, check)).rejects.toMatchObject({
      code: 'CHAIN_RPC_CONTRADICTION',
    });
    const logs = await client([proxy.url, chain.rpcUrl]).getLogs({ ...filter, blockHash: block.hash }, check);
    expect(logs.length).toBe(2);
    expect(logs.every((l) => l.blockHash === block.hash)).toBe(true);
    proxy.setFault(null);
  });

  it('splits eth_getLogs ranges an endpoint refuses as too large, and still yields every log in order', async () => {
    const cards = chain.deployments.contracts.HarvestCards.address.toLowerCase();
    const head = BigInt(await chainRpc<string>(chain.rpcUrl, 'eth_blockNumber'));
    proxy.setFault(async (body) => {
      if (body.method !== 'eth_getLogs') return null;
      const [filter] = body.params as [{ fromBlock: string; toBlock: string }];
      if (BigInt(filter.toBlock) - BigInt(filter.fromBlock) < 3n) return null;
      return {
        status: 200,
        text: JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32005, message: 'query returned more than 10000 results' } }),
      };
    });
    const sizer = createRangeSizer({ initial: 64, max: 64, targetLogs: 1000 });
    const ranges = [];
    for await (const range of fetchLogRanges(
      {
        rpc: client([proxy.url]),
        filter: { address: [cards], topics: [[...FOLLOWED_TOPICS]] },
        initialRange: 64,
        maxRange: 64,
        concurrency: 2,
        targetLogs: 1000,
      },
      0n,
      head,
      sizer,
    )) {
      ranges.push(range);
    }
    proxy.setFault(null);
    expect(sizer.size).toBeLessThanOrEqual(4);
    expect(ranges[0]?.from).toBe(0n);
    expect(ranges.at(-1)?.to).toBe(head);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]?.from).toBe((ranges[i - 1]?.to ?? 0n) + 1n);
    const logs = ranges.flatMap((r) => r.logs);
    const direct = await chainRpc<unknown[]>(chain.rpcUrl, 'eth_getLogs', [
      { fromBlock: '0x0', toBlock: `0x${head.toString(16)}`, address: [cards], topics: [[...FOLLOWED_TOPICS]] },
    ]);
    expect(logs).toEqual(direct);
  });

  it('runs one writer per chain: the standby takes over when the writer stops, and the old epoch is fenced', async () => {
    const config = testChainConfig(chain.rpcUrl, chain.deployments, { INDEXER_CONFIRMATIONS: '2' });
    const first = createIndexerMetrics(31337);
    const second = createIndexerMetrics(31337);
    const a = startIndexerProcess({ databaseUrl: database.url, config, log, metrics: first });
    await waitFor('the first writer', async () => (await first.leader.get()).values[0]?.value === 1);
    const b = startIndexerProcess({ databaseUrl: database.url, config, log, metrics: second });
    const head = BigInt(await chainRpc<string>(chain.rpcUrl, 'eth_blockNumber'));
    await waitFor(
      'the first writer at the head',
      async () => (await database.db.chainCheckpoint.findUnique({ where: { chainId: 31337 } }))?.headBlock === head,
    );
    expect((await second.leader.get()).values[0]?.value).toBe(0);
    const before = await database.db.chainCheckpoint.findUniqueOrThrow({ where: { chainId: 31337 } });
    await a.stop();
    await waitFor('the standby to take over', async () => (await second.leader.get()).values[0]?.value === 1);
    await waitFor(
      'the new epoch',
      async () => (await database.db.chainCheckpoint.findUniqueOrThrow({ where: { chainId: 31337 } })).epoch === before.epoch + 1,
    );
    await chainRpc(chain.rpcUrl, 'evm_mine');
    await waitFor(
      'the new writer at the new head',
      async () => (await database.db.chainCheckpoint.findUniqueOrThrow({ where: { chainId: 31337 } })).headBlock === head + 1n,
    );
    const contracts = config.contracts;
    const stale = applyBlock(database.db, {
      chainId: 31337,
      contracts,
      epoch: before.epoch,
      block: { number: head + 2n, hash: `0x${'11'.repeat(32)}`, parentHash: `0x${'22'.repeat(32)}`, timestamp: 0n },
      events: [],
    });
    await expect(stale).rejects.toBeInstanceOf(AppError);
    await expect(stale).rejects.toMatchObject({ code: 'INDEXER_FENCED' });
    await b.stop();
    expect(await database.db.chainTransfer.count()).toBe(20);
  });
});
