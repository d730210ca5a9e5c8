/**
 * The Immutable adapter through the real SDK client (`@imtbl/blockchain-data`) against the FAKE of Immutable's
 * minting API (test/fakes/immutable-api.ts): reference ids from our request, idempotent retry after a lost answer,
 * the failure path back to the game, rate-limit headers, and webhook signatures.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cardTokenId, claimMintBatch, createMintRequest, type Db, getMintRequestsById } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configOf, envFrom } from '../src/env.ts';
import { createImmutableProvider, type ImmutableNftsApi } from '../src/immutable/provider.ts';
import { loadImmutableSdk } from '../src/immutable/sdk.ts';
import { createMinterMetrics } from '../src/metrics.ts';
import { RetryableMintError } from '../src/provider.ts';
import { buildWebhookApp } from '../src/webhook-server.ts';
import { type FakeImmutableApi, type FakeMintRequest, startFakeImmutableApi } from './fakes/immutable-api.ts';
import { queuePrefix, type RunningMinter, startTestMinter, testEnv, waitFor } from './support/minter.ts';
import { createPlayer, publishRepoGameData } from './support/world.ts';

const database = useTestDatabase();
const API_KEY = 'sk_imapik-test-secret';
const CONTRACTS = { cards: '0x5fbdb2315678afecb367f032d93f642f64180aa3', land: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512' };
/** Requests on this chain are left alone by the running minter (it mints 31337): unit tests drive them by hand. */
const OTHER_CHAIN = 13473;
let db: Db;
let fake: FakeImmutableApi;
let running: RunningMinter;
let dir: string;

function env(overrides: Record<string, string> = {}) {
  return testEnv(
    { databaseUrl: database.url, rpcUrl: 'http://127.0.0.1:9', deploymentsFile: join(dir, '31337.json'), prefix: queuePrefix() },
    {
      MINTER_PROVIDER: 'immutable',
      IMMUTABLE_API_KEY: API_KEY,
      IMMUTABLE_API_URL: fake.url,
      IMMUTABLE_CHAIN_NAME: 'imtbl-zkevm-testnet',
      IMMUTABLE_WEBHOOK_CERT_HOST: '^127\\.0\\.0\\.1$',
      ...overrides,
    },
  );
}

beforeAll(async () => {
  db = database.db;
  dir = mkdtempSync(join(tmpdir(), 'harvest-immutable-'));
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
  fake = await startFakeImmutableApi({ apiKey: API_KEY });
  await publishRepoGameData(db);
  running = await startTestMinter(db, env());
});

afterAll(async () => {
  await running?.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function finished(requestId: string) {
  return waitFor(async () => {
    const [view] = await getMintRequestsById(db, [requestId]);
    return view && view.status !== 'pending' ? view : undefined;
  }, 30_000);
}

describe('Immutable provider against the fake API', () => {
  it('mints with reference ids from our request id and our token ids, then confirms the cards', async () => {
    const player = await createPlayer(db, 2);
    const request = await createMintRequest(db, {
      playerId: player.id,
      chainId: 31337,
      walletAddress: player.wallet,
      contracts: CONTRACTS,
      cardIds: player.cardIds,
    });
    const done = await finished(request.id);
    expect(done.status).toBe('confirmed');
    const sent = fake.creates.flatMap((c) => c.assets as Array<{ reference_id: string; owner_address: string; token_id: string }>);
    for (const item of done.items) {
      const asset = sent.find((a) => a.reference_id === `${request.id}-${item.position}`);
      expect(asset).toMatchObject({ owner_address: player.wallet.toLowerCase(), token_id: item.tokenId });
      const stored = fake.requests.get(`${CONTRACTS.cards}:${request.id}-${item.position}`);
      expect(item.txHash).toBe(stored?.transaction_hash);
      const card = await db.cardInstance.findUniqueOrThrow({ where: { id: item.cardId as string } });
      expect(card).toMatchObject({ state: 'on_chain', ownerId: player.id });
      expect(card.tokenId?.toFixed()).toBe(cardTokenId(card.definitionId, card.id).toString());
    }
    expect(fake.creates.at(-1)?.chainName).toBe('imtbl-zkevm-testnet');
  });

  it('retries idempotently: a create whose answer was lost is sent again with the same reference ids, and minted once', async () => {
    const player = await createPlayer(db, 1);
    const before = fake.creates.length;
    fake.dropNextResponse = true;
    const request = await createMintRequest(db, {
      playerId: player.id,
      chainId: 31337,
      walletAddress: player.wallet,
      contracts: CONTRACTS,
      cardIds: player.cardIds,
    });
    const done = await finished(request.id);
    expect(done.status).toBe('confirmed');
    const attempts = fake.creates
      .slice(before)
      .filter((c) => (c.assets as Array<{ reference_id: string }>).some((a) => a.reference_id === `${request.id}-0`));
    expect(attempts.length).toBe(2);
    expect([...fake.requests.keys()].filter((k) => k.endsWith(`${request.id}-0`))).toHaveLength(1);
    expect((await db.cardInstance.findUniqueOrThrow({ where: { id: player.cardIds[0] as string } })).state).toBe('on_chain');
  });

  it('a mint Immutable fails returns the card to the game with a reason the player can read', async () => {
    const player = await createPlayer(db, 1);
    const request = await createMintRequest(db, {
      playerId: player.id,
      chainId: 31337,
      walletAddress: player.wallet,
      contracts: CONTRACTS,
      cardIds: player.cardIds,
    });
    fake.failWhen = (ref) => ref.startsWith(request.id);
    const done = await finished(request.id);
    fake.failWhen = () => false;
    expect(done.status).toBe('failed');
    expect(done.items[0]).toMatchObject({ status: 'failed', failureCode: 'PROVIDER_FAILED' });
    expect(done.failureReason).toMatch(/back in your collection/);
    const card = await db.cardInstance.findUniqueOrThrow({ where: { id: player.cardIds[0] as string } });
    expect(card).toMatchObject({ state: 'in_game', tokenId: null });
  });

  it('respects the rate limit: the local per-minute budget and the API’s remaining/reset headers pause creation', async () => {
    const limited = await startFakeImmutableApi({ apiKey: API_KEY, mintsPerMinute: 3 });
    try {
      const { blockchainData, config } = await loadImmutableSdk();
      const baseConfig = new config.ImmutableConfiguration({ environment: config.Environment.SANDBOX, apiKey: API_KEY });
      const client = new blockchainData.BlockchainData({ baseConfig, overrides: { basePath: limited.url, baseConfig } });
      const make = (mintsPerMinute: number) =>
        createImmutableProvider({
          db,
          log: pino({ level: 'silent' }),
          metrics: createMinterMetrics(),
          nfts: client.nfts as unknown as ImmutableNftsApi,
          chainId: OTHER_CHAIN,
          chainName: 'imtbl-zkevm-testnet',
          confirmedBy: 'minter',
          mintsPerMinute,
          pollMs: 20,
        });
      const player = await createPlayer(db, 6);
      for (const cardId of player.cardIds) {
        await createMintRequest(db, {
          playerId: player.id,
          chainId: OTHER_CHAIN,
          walletAddress: player.wallet,
          contracts: CONTRACTS,
          cardIds: [cardId],
        });
      }
      const claim = async (limit: number) => {
        const batch = await claimMintBatch(db, { chainId: OTHER_CHAIN, contract: CONTRACTS.cards, provider: 'immutable', limit });
        if (!batch) throw new Error('nothing queued');
        return batch;
      };
      // The local budget: 2 per minute refuses a batch of 3 before calling the API.
      const tight = make(2);
      const big = await claim(3);
      await expect(tight.process(big)).rejects.toBeInstanceOf(RetryableMintError);
      expect(limited.creates).toHaveLength(0);
      // The API's headers: 3 accepted leave 0 remaining; the next batch waits for the reset without calling.
      const provider = make(200);
      await provider.process(big);
      expect(limited.creates).toHaveLength(1);
      const next = await claim(3);
      const error = await provider.process(next).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryableMintError);
      expect((error as RetryableMintError).retryAfterMs).toBeGreaterThan(50_000);
      expect(limited.creates).toHaveLength(1);
      // A fresh client without that knowledge is answered 429 by the API, with the wait in its headers.
      const blind = make(200);
      const refused = await blind.process(next).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RetryableMintError);
      expect((refused as RetryableMintError).retryAfterMs).toBeGreaterThan(50_000);
      expect(limited.creates).toHaveLength(2);
    } finally {
      await limited.close();
    }
  });
});

describe('Immutable webhook', () => {
  it('applies a signed mint update and refuses tampered, foreign-certificate and foreign-topic messages', async () => {
    const config = configOf(envFrom(env({ MINTER_WEBHOOK_PORT: '0' })));
    const app = await buildWebhookApp({ config, db, log: pino({ level: 'silent' }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/webhooks/immutable`;
    try {
      const player = await createPlayer(db, 1);
      const request = await createMintRequest(db, {
        playerId: player.id,
        chainId: 31337,
        walletAddress: player.wallet,
        contracts: CONTRACTS,
        cardIds: player.cardIds,
      });
      // Hold the item out of the running minter's reach, as if Immutable had it (submitted), so only the webhook moves it.
      await db.mintItem.updateMany({ where: { requestId: request.id }, data: { status: 'submitted' } });
      const item = request.items[0];
      const update: FakeMintRequest = {
        chain: { id: 'eip155:13473', name: 'imtbl-zkevm-testnet' },
        collection_address: CONTRACTS.cards,
        reference_id: `${request.id}-0`,
        owner_address: player.wallet.toLowerCase(),
        token_id: item?.tokenId ?? null,
        amount: null,
        activity_id: null,
        transaction_hash: `0x${'cd'.repeat(32)}`,
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
        error: null,
        status: 'succeeded',
        requestedTokenId: null,
      };
      const state = async () => (await getMintRequestsById(db, [request.id]))[0]?.items[0]?.status;
      const tampered = await fake.sendMintWebhook(url, update, (m) => {
        m.Message = m.Message?.replace('succeeded', 'failed') ?? '';
      });
      expect(tampered.status).toBe(401);
      const foreignCert = await fake.sendMintWebhook(url, update, (m) => {
        m.SigningCertURL = 'https://evil.example.com/cert.pem';
      });
      expect(foreignCert.status).toBe(401);
      const foreignTopic = await fake.sendMintWebhook(url, update, (m) => {
        m.TopicArn = 'arn:aws:sns:us-east-2:111111111111:other';
      });
      expect(foreignTopic.status).toBe(401);
      const unsigned = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ Type: 'Notification' }),
      });
      expect(unsigned.status).toBe(401);
      expect(await state()).toBe('submitted');

      const good = await fake.sendMintWebhook(url, update);
      expect(good.status).toBe(200);
      expect(await state()).toBe('confirmed');
      const card = await db.cardInstance.findUniqueOrThrow({ where: { id: player.cardIds[0] as string } });
      expect(card.state).toBe('on_chain');
    } finally {
      await app.close();
    }
  });
});

describe('Immutable SDK isolation', () => {
  it('a process that loads the SDK through sdk.ts exits on its own (the metrics timer is off)', async () => {
    const script = `import { loadImmutableSdk } from ${JSON.stringify(join(import.meta.dirname, '..', 'src', 'immutable', 'sdk.ts'))};
      const sdk = await loadImmutableSdk();
      if (typeof sdk.blockchainData.BlockchainData !== 'function') process.exit(2);
      process.stdout.write('loaded');`;
    const started = Date.now();
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 15_000,
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(stdout).toBe('loaded');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
