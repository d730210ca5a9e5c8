/**
 * End-to-end minting throughput on a local Hardhat node: mint requests are created (the same packages/db call the
 * POST /v1/mints route makes, 8 at a time) while the direct minter batches them into mintBatch transactions and
 * confirms them (1 confirmation, as on the local chain). A round ends when its last request is confirmed.
 *
 *   node apps/minter/bench/mint-throughput.ts [--requests 3000] [--rounds 3] [--batch 50] [--concurrency 4] [--wait 250]
 *
 * Needs DATABASE_URL (a server where it may CREATE DATABASE; default the machine's 127.0.0.1:5432) and REDIS_URL
 * (default 127.0.0.1:6379); creates and drops its own database, Hardhat node and queue keys. Prints each round and
 * the medians: mints per minute (first request created to last confirmed), gas per token, tokens per transaction,
 * and request-to-confirmed latency (p50/p95).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createDb, createMintRequest } from '@harvest/db';
import { migrateDeploy } from '@harvest/prisma/migrate';
import pg from 'pg';
import { startLocalChain } from '../test/support/chain.ts';
import { queuePrefix, startTestMinter, testEnv } from '../test/support/minter.ts';
import { createPlayer, publishRepoGameData } from '../test/support/world.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '4' },
    wait: { type: 'string', default: '250' },
  },
});
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
const serverUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
const databaseName = `harvest_bench_mint_${Date.now()}_${randomBytes(3).toString('hex')}`;
const databaseUrl = new URL(serverUrl);
databaseUrl.pathname = `/${databaseName}`;

const admin = new pg.Client({ connectionString: serverUrl.toString() });
await admin.connect();
await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(databaseName)}`);
const chain = await startLocalChain();
const db = createDb({ databaseUrl: databaseUrl.toString(), maxConnections: 16 });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? 0;

try {
  await migrateDeploy(databaseUrl.toString());
  await publishRepoGameData(db);
  const running = await startTestMinter(
    db,
    testEnv(
      { databaseUrl: databaseUrl.toString(), rpcUrl: chain.rpcUrl, deploymentsFile: chain.deploymentsFile, prefix: queuePrefix() },
      {
        MINTER_BATCH_SIZE: String(values.batch),
        MINTER_CONCURRENCY: String(values.concurrency),
        MINTER_BATCH_WAIT_MS: String(values.wait),
      },
    ),
  );
  const contracts = { cards: chain.deployments.contracts.HarvestCards.address, land: chain.deployments.contracts.HarvestLand.address };
  const results: Array<{ perMinute: number; gasPerToken: number; perTx: number; p50: number; p95: number }> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const players = await Promise.all(Array.from({ length: 20 }, () => createPlayer(db, Math.ceil(REQUESTS / 20))));
    const work = players.flatMap((p) => p.cardIds.map((cardId) => ({ p, cardId }))).slice(0, REQUESTS);
    const since = await db.mintTransaction.count();
    const started = Date.now();
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < work.length) {
          const { p, cardId } = work[next++] as (typeof work)[number];
          const request = await createMintRequest(db, {
            playerId: p.id,
            chainId: 31337,
            walletAddress: p.wallet,
            contracts,
            cardIds: [cardId],
          });
          ids.push(request.id);
        }
      }),
    );
    const created = Date.now();
    for (;;) {
      const pending = await db.mintRequest.count({ where: { id: { in: ids }, status: 'pending' } });
      if (pending === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (Date.now() - started) / 1000;
    const confirmed = await db.mintRequest.count({ where: { id: { in: ids }, status: 'confirmed' } });
    const txs = (await db.mintTransaction.findMany({ orderBy: { createdAt: 'asc' } })).slice(since).filter((t) => t.status === 'mined');
    const gas = txs.reduce((n, t) => n + Number(t.gasUsed ?? 0), 0);
    const rows = await db.mintRequest.findMany({ where: { id: { in: ids } }, select: { createdAt: true, finishedAt: true } });
    const latencies = rows.map((r) => (r.finishedAt?.getTime() ?? 0) - r.createdAt.getTime());
    const result = {
      perMinute: Math.round((confirmed / seconds) * 60),
      gasPerToken: Math.round(gas / confirmed),
      perTx: Math.round((confirmed / txs.length) * 10) / 10,
      p50: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
    };
    results.push(result);
    process.stdout.write(
      `round ${round}: ${confirmed}/${work.length} confirmed in ${seconds.toFixed(1)} s (requests created in ${((created - started) / 1000).toFixed(1)} s) -> ` +
        `${result.perMinute} mints/min, ${txs.length} transactions (${result.perTx} tokens/tx), ${result.gasPerToken} gas/token, ` +
        `request->confirmed p50 ${result.p50} ms p95 ${result.p95} ms\n`,
    );
  }
  await running.close();
  process.stdout.write(
    `median of ${ROUNDS} rounds (${REQUESTS} requests, batch ${values.batch}, concurrency ${values.concurrency}): ` +
      `${median(results.map((r) => r.perMinute))} mints/min (target 6000), ${median(results.map((r) => r.gasPerToken))} gas/token, ` +
      `${median(results.map((r) => r.perTx))} tokens/tx, p50 ${median(results.map((r) => r.p50))} ms, p95 ${median(results.map((r) => r.p95))} ms\n`,
  );
} finally {
  await db.$disconnect();
  await chain.stop();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`);
  await admin.end();
}
