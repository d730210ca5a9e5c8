/**
 * Crash test: 100 mint requests while the minter process (apps/minter/src/server.ts, a child process) is SIGKILLed
 * three times, once at each dangerous point, chosen at random passes: after a transaction is journaled but before
 * it is broadcast, after the broadcast but before it is recorded as sent, and after its receipt but before the
 * confirmation is written. A fourth process finishes the work. Then: exactly 100 tokens, no token minted twice,
 * every card on_chain with its token id in the chosen wallet, none left in `minting`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createMintRequest, type Db } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { harvestCardsAbi } from '@harvest/shared/abi';
import { createPublicClient, getAddress, http, zeroAddress } from 'viem';
import { hardhat } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { queuePrefix, testEnv, waitFor } from './support/minter.ts';
import { createPlayer, publishRepoGameData, type TestPlayer } from './support/world.ts';

const database = useTestDatabase();
const chain = inject('chain');
let db: Db;
const children = new Set<ChildProcess>();
const SERVER = join(import.meta.dirname, '..', 'src', 'server.ts');

beforeAll(async () => {
  db = database.db;
  await publishRepoGameData(db);
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts the minter process; resolves its exit, and `crashed` once it announced its crash point. */
function startMinterProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  let onCrash: (point: string) => void = () => undefined;
  const crashed = new Promise<string>((resolve) => {
    onCrash = resolve;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    const match = /CRASHPOINT (\w+)/.exec(stderr);
    if (match) onCrash(match[1] as string);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, crashed, exited, stderr: () => stderr };
}

const pick = (max: number) => 1 + Math.floor(Math.random() * max);

describe('minter crash safety', () => {
  it('100 requests, SIGKILLed before send, after send and after the receipt: exactly 100 tokens, none twice, none stuck', async () => {
    const client = createPublicClient({
      chain: { ...hardhat, rpcUrls: { default: { http: [chain.rpcUrl] } } },
      transport: http(chain.rpcUrl),
    });
    // The node is shared with the other chain tests of the project (one file at a time): count from here on.
    const fromBlock = (await client.getBlockNumber()) + 1n;
    const players: TestPlayer[] = [];
    for (let i = 0; i < 10; i++) players.push(await createPlayer(db, 10));
    const contracts = { cards: chain.deployments.contracts.HarvestCards.address, land: chain.deployments.contracts.HarvestLand.address };
    const requests: Array<{ id: string; wallet: string; cardId: string }> = [];
    for (const player of players) {
      for (const cardId of player.cardIds) {
        const request = await createMintRequest(db, {
          playerId: player.id,
          chainId: 31337,
          walletAddress: player.wallet,
          contracts,
          cardIds: [cardId],
        });
        requests.push({ id: request.id, wallet: player.wallet, cardId });
      }
    }
    expect(requests).toHaveLength(100);

    const env = testEnv(
      { databaseUrl: database.url, rpcUrl: chain.rpcUrl, deploymentsFile: chain.deploymentsFile, prefix: queuePrefix() },
      { MINTER_PORT: '0', LOG_LEVEL: 'warn', MINTER_BATCH_SIZE: '5', MINTER_CONCURRENCY: '3' },
    );
    const t0 = Date.now();
    const plan = [`before_send:${pick(3)}`, `after_send:${pick(3)}`, `after_receipt:${pick(3)}`];
    for (const crashAt of plan) {
      const run = startMinterProcess({ ...env, MINTER_CRASH_AT: crashAt });
      const point = await Promise.race([
        run.crashed,
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no ${crashAt} within 30 s: ${run.stderr().slice(-3000)}`)), 30_000)),
        run.exited.then((e) => {
          throw new Error(`minter exited (${e.code ?? e.signal}) before ${crashAt}: ${run.stderr()}`);
        }),
      ]);
      expect(point).toBe(crashAt.split(':')[0]);
      run.child.kill('SIGKILL');
      expect((await run.exited).signal).toBe('SIGKILL');
    }

    const last = startMinterProcess(env);
    await waitFor(
      async () => {
        const pending = await db.mintRequest.count({ where: { status: 'pending' } });
        return pending === 0 ? true : undefined;
      },
      90_000,
      'every request to finish',
    );
    process.stderr.write(`crash test: killed at ${plan.join(', ')}; 100 requests done ${Date.now() - t0} ms after the first start\n`);
    last.child.kill('SIGTERM');
    expect((await last.exited).code).toBe(0);

    // The chain: exactly 100 mints, 100 distinct token ids, each in the wallet that asked for it.
    const address = contracts.cards as `0x${string}`;
    const mints = await client.getContractEvents({
      address,
      abi: harvestCardsAbi,
      eventName: 'Transfer',
      args: { from: zeroAddress },
      fromBlock,
    });
    expect(mints).toHaveLength(100);
    expect(new Set(mints.map((m) => m.args.tokenId?.toString())).size).toBe(100);

    // The database: every request confirmed, every card on_chain with the token the chain holds for its wallet.
    expect(await db.mintRequest.count({ where: { status: 'confirmed' } })).toBe(100);
    expect(await db.cardInstance.count({ where: { state: 'minting' } })).toBe(0);
    const cards = await db.cardInstance.findMany({ where: { id: { in: requests.map((r) => r.cardId) } } });
    expect(cards.every((c) => c.state === 'on_chain' && c.tokenId !== null)).toBe(true);
    const walletOf = new Map(requests.map((r) => [r.cardId, r.wallet]));
    const owners = new Map(mints.map((m) => [m.args.tokenId?.toString(), m.args.to]));
    for (const card of cards) {
      expect(owners.get(card.tokenId?.toFixed())).toBe(getAddress(walletOf.get(card.id) as string));
    }
    // The journal: one mined transaction per nonce, nonces without holes.
    const txs = await db.mintTransaction.findMany({ where: { status: { in: ['mined', 'reverted'] } }, orderBy: { nonce: 'asc' } });
    const nonces = txs.map((t) => Number(t.nonce));
    expect(new Set(nonces).size).toBe(nonces.length);
    expect((nonces.at(-1) ?? 0) - (nonces[0] ?? 0) + 1).toBe(nonces.length);
    expect(await db.cardInstance.count({ where: { state: 'in_game', id: { in: requests.map((r) => r.cardId) } } })).toBe(0);
  });
});
