// Backfill throughput of the Harvest indexer next to Ponder on the same local chain.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/indexer-backfill.ts [--events 100000] [--transfers 5000] [--runs 3]
//   (first: cd bench/indexer-ponder && npm install   — Ponder is installed there only, outside the workspaces)
//
// Starts a Hardhat node on a free loopback port, deploys the contracts, mints `events - transfers` card tokens in
// mintBatch transactions of 250 and sends `transfers` transferFrom transactions (every one a Transfer log), then,
// for each run, indexes the chain from scratch into a fresh database: the indexer process (apps/indexer
// src/server.ts) until its checkpoint is final at the chain's final block, and Ponder (`ponder start`, HarvestCards
// Transfer -> an event row and the token's holder). Both figures are events per
// second of wall-clock time from process start (start-up included for both): for this indexer until every event is
// in its tables (the last block through its live follower), for Ponder until /ready (its historical backfill; the
// newest blocks come after, through its realtime sync, and are reported beside). The indexer's backfill-only rate
// from its log is printed too. Prints the medians and the ratio.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createTestDatabase } from '@harvest/db/testing';
import { harvestCardsAbi } from '@harvest/shared/abi';
import type { Hex } from 'viem';
import { TOPICS } from '../apps/indexer/src/decode/index.ts';
import { chainRpc, devAccounts, freePort, REPO, startLocalChain } from '../apps/indexer/test/support/chain.ts';
import { chainClients } from '../apps/indexer/test/support/world.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    transfers: { type: 'string', default: '5000' },
    runs: { type: 'string', default: '3' },
  },
});
const EVENTS = Number(values.events);
const TRANSFERS = Math.min(Number(values.transfers), EVENTS);
const RUNS = Number(values.runs);
const MINT_BATCH = 250;
const PONDER_DIR = join(REPO, 'bench', 'indexer-ponder');
const PONDER_BIN = join(PONDER_DIR, 'node_modules', 'ponder', 'dist', 'esm', 'bin', 'ponder.js');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const say = (line: string) => process.stdout.write(`${line}\n`);

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const chain = await startLocalChain();
/** Children to stop however the bench ends. */
const children: ChildProcess[] = [];
try {
  const { rpcUrl, deployments, deploymentsFile } = chain;
  const accounts = (await devAccounts(rpcUrl)).map((a) => a.toLowerCase() as Hex);
  const holders = accounts.slice(2, 12);
  const { wallet, public: reader } = chainClients(rpcUrl);
  const cards = deployments.contracts.HarvestCards.address as Hex;
  const generated = performance.now();
  const mints = EVENTS - TRANSFERS;
  let next = 1n;
  for (let left = mints; left > 0; left -= MINT_BATCH) {
    const ids = Array.from({ length: Math.min(MINT_BATCH, left) }, () => next++);
    const hash = await wallet.writeContract({
      account: deployments.minter as Hex,
      address: cards,
      abi: harvestCardsAbi,
      functionName: 'mintBatch',
      args: [ids.map((id) => holders[Number(id % BigInt(holders.length))] as Hex), ids],
    });
    const receipt = await reader.waitForTransactionReceipt({ hash, pollingInterval: 10 });
    if (receipt.status !== 'success') throw new Error('mintBatch reverted');
  }
  // Transfers: token t (held by holders[t % 10]) moves to the next holder; sent in rounds of 100 concurrent sends.
  for (let i = 0; i < TRANSFERS; i += 100) {
    const round = Array.from({ length: Math.min(100, TRANSFERS - i) }, (_, j) => BigInt(1 + i + j));
    const hashes = await Promise.all(
      round.map((tokenId) => {
        const from = holders[Number(tokenId % BigInt(holders.length))] as Hex;
        const to = holders[Number((tokenId + 1n) % BigInt(holders.length))] as Hex;
        return wallet.writeContract({
          account: from,
          address: cards,
          abi: harvestCardsAbi,
          functionName: 'transferFrom',
          args: [from, to, tokenId],
          gas: 100_000n,
        });
      }),
    );
    await reader.waitForTransactionReceipt({ hash: hashes.at(-1) as Hex, pollingInterval: 10 });
  }
  const head = BigInt(await chainRpc<string>(rpcUrl, 'eth_blockNumber'));
  const logs = await chainRpc<unknown[]>(rpcUrl, 'eth_getLogs', [
    { fromBlock: '0x0', toBlock: 'latest', address: cards, topics: [TOPICS.Transfer] },
  ]);
  say(
    `chain: ${logs.length} Transfer logs of HarvestCards (${mints} mints, ${TRANSFERS} transfers) in ${head} blocks, generated in ${((performance.now() - generated) / 1000).toFixed(1)} s`,
  );

  const harvest: number[] = [];
  const harvestBackfill: number[] = [];
  const runHarvest = async (run: number) => {
    const database = await createTestDatabase();
    const started = performance.now();
    const child = spawn(process.execPath, [join(REPO, 'apps', 'indexer', 'src', 'server.ts')], {
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        CHAIN_ID: String(deployments.chainId),
        CHAIN_RPC_URL: rpcUrl,
        DEPLOYMENTS_FILE: deploymentsFile,
        INDEXER_PORT: '0',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const done = new Promise<{ events: number; seconds: number }>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`indexer exited ${code}`)));
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        try {
          const entry = JSON.parse(line) as { msg?: string; events?: number; seconds?: number };
          if (entry.msg === 'backfill done') resolve({ events: entry.events ?? 0, seconds: entry.seconds ?? 0 });
        } catch {
          // not a log line
        }
      });
    });
    const result = await done;
    // Caught up: final at the chain's final block, the head block applied too, mint confirmations drained.
    const target = head - 1n;
    for (;;) {
      const [row] = await database.db.$queryRaw<Array<{ finalized_block: bigint; head_block: bigint; pending: bigint }>>`
        SELECT c.finalized_block, c.head_block, (SELECT count(*) FROM chain_pending_mints) AS pending FROM chain_checkpoints c`;
      if (row && BigInt(row.finalized_block) >= target && BigInt(row.head_block) >= head && BigInt(row.pending) === 0n) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    const rows = await database.db.chainTransfer.count();
    await stop(child);
    await database.drop();
    if (rows !== logs.length) throw new Error(`the indexer wrote ${rows} transfers, the chain has ${logs.length}`);
    harvest.push(rows / seconds);
    harvestBackfill.push(result.events / result.seconds);
    say(
      `harvest indexer run ${run + 1}: ${rows} events in ${seconds.toFixed(2)} s from process start = ${Math.round(rows / seconds)} events/s (backfill alone ${Math.round(result.events / result.seconds)} events/s)`,
    );
  };
  const ponder: number[] = [];
  const ponderInstalled = existsSync(PONDER_BIN);
  if (!ponderInstalled) say('ponder: not installed (run `npm install` in bench/indexer-ponder): no Ponder figure');
  const runPonder = async (run: number) => {
    {
      const database = await createTestDatabase();
      const port = await freePort();
      const started = performance.now();
      const child = spawn(
        process.execPath,
        [PONDER_BIN, 'start', '--port', String(port), '--schema', `bench_${run}`, '--log-level', 'warn'],
        {
          cwd: PONDER_DIR,
          env: {
            ...process.env,
            DATABASE_URL: database.url,
            PONDER_RPC_URL: rpcUrl,
            PONDER_CARDS_ADDRESS: cards,
            PONDER_START_BLOCK: String(deployments.contracts.HarvestCards.blockNumber),
            PONDER_TELEMETRY_DISABLED: 'true',
            NODE_ENV: 'production',
          },
          stdio: ['ignore', 'inherit', 'inherit'],
        },
      );
      children.push(child);
      const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`ponder exited ${code}`))));
      const ready = (async () => {
        for (;;) {
          const ok = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(1000) })
            .then((r) => r.status === 200)
            .catch(() => false);
          if (ok) return;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      try {
        await Promise.race([ready, exited]);
        // /ready: Ponder's historical backfill is done. The newest blocks (inside its finality window) are left to
        // its realtime sync, which on this chain was seen to take minutes for the last block; so Ponder's figure is
        // the events indexed at /ready over the time to /ready (its backfill alone, start-up included), and the
        // tail is reported beside it, waited for at most a minute.
        const readyAt = (performance.now() - started) / 1000;
        const count = async () =>
          Number(
            (await database.db.$queryRawUnsafe<Array<{ n: bigint }>>(`SELECT count(*) AS n FROM bench_${run}.transfer_event`))[0]?.n ?? 0,
          );
        const atReady = await count();
        const deadline = Date.now() + 60_000;
        let rows = atReady;
        while (rows < logs.length && Date.now() < deadline && child.exitCode === null) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          rows = await count();
        }
        const allAt = rows === logs.length ? ((performance.now() - started) / 1000).toFixed(2) : 'more than a minute later';
        ponder.push(atReady / readyAt);
        say(
          `ponder run ${run + 1}: ${atReady} events at /ready, ${readyAt.toFixed(2)} s from process start = ${Math.round(atReady / readyAt)} events/s (all ${logs.length}: ${allAt} s)`,
        );
      } finally {
        await stop(child);
        await database.drop();
      }
    }
  };
  // Interleaved, so load from other processes on the machine falls on both alike.
  for (let run = 0; run < RUNS; run++) {
    await runHarvest(run);
    if (ponderInstalled) await runPonder(run);
  }
  say('');
  say(
    `harvest indexer: median ${Math.round(median(harvest))} events/s from process start (backfill alone ${Math.round(median(harvestBackfill))} events/s), ${RUNS} runs`,
  );
  if (ponder.length > 0) {
    say(
      `ponder 1.0.0:    median ${Math.round(median(ponder))} events/s from process start to /ready (its historical backfill), ${RUNS} runs`,
    );
    say(`ratio: ${(median(harvest) / median(ponder)).toFixed(2)}x Ponder (target 3x)`);
  }
} finally {
  await Promise.all(children.map((child) => stop(child)));
  await chain.stop();
}
