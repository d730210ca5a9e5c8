/**
 * Retries and dead letters: a batch whose attempts all fail (the chain's node refuses every call) becomes a dead
 * letter; since nothing of it was ever broadcast, its cards go back in game with a reason. Operators see dead
 * letters on the internal HTTP app and the CLI, retry them, or give up on one that never reached the chain.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { claimMintBatch, createMintRequest, type Db, getMintRequestsById } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { queuePrefix, type RunningMinter, redisUrl, startTestMinter, testEnv, waitFor } from './support/minter.ts';
import { createPlayer, publishRepoGameData } from './support/world.ts';

const database = useTestDatabase();
const CONTRACTS = { cards: '0x5fbdb2315678afecb367f032d93f642f64180aa3', land: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512' };
const CLI = join(import.meta.dirname, '..', 'src', 'cli.ts');
let db: Db;
let rpc: Server;
let rpcUrl: string;
let dir: string;
let running: RunningMinter;
const prefix = queuePrefix();

beforeAll(async () => {
  db = database.db;
  dir = mkdtempSync(join(tmpdir(), 'harvest-dead-'));
  writeFileSync(
    join(dir, '31337.json'),
    JSON.stringify({
      chainId: 31337,
      contracts: {
        HarvestCards: { address: CONTRACTS.cards, blockNumber: 1 },
        HarvestLand: { address: CONTRACTS.land, blockNumber: 2 },
        Marketplace: { address: CONTRACTS.land, blockNumber: 3 },
      },
      minter: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      admin: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
      treasury: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    }),
  );
  // A JSON-RPC node that answers the start-up questions and fails everything else (an RPC outage mid-flight).
  rpc = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const call = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: number; method: string };
    const answers: Record<string, string> = { eth_chainId: '0x7a69', eth_getTransactionCount: '0x0', eth_blockNumber: '0x1' };
    const result = answers[call.method];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        result === undefined
          ? { jsonrpc: '2.0', id: call.id, error: { code: -32603, message: 'node unavailable' } }
          : { jsonrpc: '2.0', id: call.id, result },
      ),
    );
  });
  await new Promise<void>((resolve) => rpc.listen(0, '127.0.0.1', resolve));
  const address = rpc.address();
  rpcUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  await publishRepoGameData(db);
  running = await startTestMinter(
    db,
    testEnv(
      { databaseUrl: database.url, rpcUrl, deploymentsFile: join(dir, '31337.json'), prefix },
      { MINTER_JOB_ATTEMPTS: '3', MINTER_BACKOFF_MS: '50' },
    ),
  );
});

afterAll(async () => {
  await running?.close();
  await new Promise((resolve) => rpc?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  promisify(execFile)(process.execPath, [CLI, 'dead-letters', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl(),
      MINT_QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'silent',
    },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('retries and dead letters', () => {
  it('retries with backoff, then dead-letters the batch and returns cards that never reached the chain to the game', async () => {
    const player = await createPlayer(db, 2);
    const request = await createMintRequest(db, {
      playerId: player.id,
      chainId: 31337,
      walletAddress: player.wallet,
      contracts: CONTRACTS,
      cardIds: player.cardIds,
    });
    const done = await waitFor(async () => {
      const [view] = await getMintRequestsById(db, [request.id]);
      return view?.status === 'failed' ? view : undefined;
    }, 30_000);
    expect(done.items.map((i) => i.failureCode)).toEqual(['UNAVAILABLE', 'UNAVAILABLE']);
    expect(done.failureReason).toMatch(/unavailable right now/);
    const cards = await db.cardInstance.findMany({ where: { id: { in: player.cardIds } } });
    expect(cards.map((c) => c.state)).toEqual(['in_game', 'in_game']);
    const batch = await db.mintBatch.findFirstOrThrow({ where: { items: { some: { requestId: request.id } } } });
    expect(batch.status).toBe('dead');
    expect(batch.lastError).toMatch(/estimate failed/);
    expect(await db.mintTransaction.count({ where: { batchId: batch.id } })).toBe(0);

    const app = await buildApp({ log: pino({ level: 'silent' }), dependencies: {}, db });
    const listed = await app.inject({ method: 'GET', url: '/admin/dead-letters' });
    expect(listed.json().deadLetters).toEqual([expect.objectContaining({ id: batch.id, items: 0, transactions: 0 })]);
    await app.close();
  });

  it('the CLI lists dead letters, retries one, and gives up on one that never reached the chain', async () => {
    const player = await createPlayer(db, 1);
    // Chain 13473: the running minter (chain 31337) leaves this request to the test.
    await createMintRequest(db, {
      playerId: player.id,
      chainId: 13473,
      walletAddress: player.wallet,
      contracts: CONTRACTS,
      cardIds: player.cardIds,
    });
    const batch = await claimMintBatch(db, { chainId: 13473, contract: CONTRACTS.cards, provider: 'direct', limit: 10 });
    await db.mintBatch.update({ where: { id: batch?.id as string }, data: { status: 'dead', lastError: 'rpc down' } });

    const list = await cli('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(batch?.id);
    const failed = await cli('fail', batch?.id as string);
    expect(failed.code, failed.stderr).toBe(0);
    expect((await db.cardInstance.findUniqueOrThrow({ where: { id: player.cardIds[0] as string } })).state).toBe('in_game');
    const [item] = await db.mintItem.findMany({ where: { batchId: batch?.id as string } });
    expect(item).toMatchObject({ status: 'failed', failureCode: 'ADMIN' });

    const retry = await cli('retry', batch?.id as string);
    expect(retry.code, retry.stderr).toBe(0);
    // Out of the dead letters: pending again, or already done by the running minter (whose queue it went to).
    expect(['pending', 'done']).toContain((await db.mintBatch.findUniqueOrThrow({ where: { id: batch?.id as string } })).status);
    const again = await cli('retry', batch?.id as string);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/MINT_BATCH_NOT_DEAD/);
  });

  it('refuses to give up on a dead batch that may have reached the chain', async () => {
    const player = await createPlayer(db, 1);
    await createMintRequest(db, {
      playerId: player.id,
      chainId: 13473,
      walletAddress: player.wallet,
      contracts: CONTRACTS,
      cardIds: player.cardIds,
    });
    const batch = await claimMintBatch(db, { chainId: 13473, contract: CONTRACTS.cards, provider: 'direct', limit: 10 });
    await db.mintBatch.update({ where: { id: batch?.id as string }, data: { status: 'dead' } });
    await db.mintTransaction.create({
      data: {
        hash: `0x${'11'.repeat(32)}`,
        chainId: 13473,
        fromAddress: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
        nonce: 0n,
        batchId: batch?.id as string,
        raw: '0x00',
        gasLimit: 1,
        maxFeePerGas: 1,
        maxPriorityFeePerGas: 1,
        status: 'sent',
      },
    });
    const refused = await cli('fail', batch?.id as string);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/CONFLICT/);
    expect((await db.cardInstance.findUniqueOrThrow({ where: { id: player.cardIds[0] as string } })).state).toBe('minting');
  });
});
