/**
 * The direct minter end to end on a local Hardhat node: a request becomes a token in the chosen wallet, the card
 * is on_chain with its token id, and failures come back to the player with a reason.
 */
import { cardTokenId, createMintRequest, type Db, getMintRequest, getMintRequestsById } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { createHttpApp, registerApi } from '@harvest/service';
import { harvestCardsAbi, harvestLandAbi } from '@harvest/shared/abi';
import { pino } from 'pino';
import { createPublicClient, createWalletClient, getAddress, http, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { hardhat } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// The metadata routes as game-api serves them (the contracts' tokenURI points there), on an app of this test's own.
import { metadataRoutes } from '../../game-api/src/routes/mints/metadata.ts';
import { queuePrefix, type RunningMinter, startTestMinter, testEnv, waitFor } from './support/minter.ts';
import { createPlayer, publishRepoGameData } from './support/world.ts';

const database = useTestDatabase();
const chain = inject('chain');
let client: PublicClient;
let running: RunningMinter;
let db: Db;

async function confirmed(requestId: string) {
  return waitFor(
    async () => {
      const [view] = await getMintRequestsById(db, [requestId]);
      return view && view.status !== 'pending' ? view : undefined;
    },
    60_000,
    `request ${requestId} to finish`,
  );
}

beforeAll(async () => {
  db = database.db;
  client = createPublicClient({ chain: { ...hardhat, rpcUrls: { default: { http: [chain.rpcUrl] } } }, transport: http(chain.rpcUrl) });
  await publishRepoGameData(db);
  running = await startTestMinter(
    db,
    testEnv({ databaseUrl: database.url, rpcUrl: chain.rpcUrl, deploymentsFile: chain.deploymentsFile, prefix: queuePrefix() }),
  );
});

afterAll(async () => {
  await running?.close();
});

const contracts = () => ({
  cards: chain.deployments.contracts.HarvestCards.address,
  land: chain.deployments.contracts.HarvestLand.address,
});

describe('direct minter on a local chain', () => {
  it('mints requested cards to the chosen wallet; the cards are on_chain with their token ids', async () => {
    const player = await createPlayer(db, 3);
    const request = await createMintRequest(db, {
      playerId: player.id,
      chainId: 31337,
      walletAddress: player.wallet,
      contracts: contracts(),
      cardIds: player.cardIds,
    });
    expect(request.status).toBe('pending');
    const cardsNow = await db.cardInstance.findMany({ where: { id: { in: player.cardIds } } });
    expect(cardsNow.every((c) => c.state === 'minting')).toBe(true);

    const done = await confirmed(request.id);
    expect(done.status).toBe('confirmed');
    for (const item of done.items) {
      expect(item.status).toBe('confirmed');
      expect(item.txHash).toMatch(/^0x[0-9a-f]{64}$/);
      const owner = await client.readContract({
        address: contracts().cards as `0x${string}`,
        abi: harvestCardsAbi,
        functionName: 'ownerOf',
        args: [BigInt(item.tokenId)],
      });
      expect(owner).toBe(getAddress(player.wallet));
      const card = await db.cardInstance.findUniqueOrThrow({ where: { id: item.cardId as string } });
      expect(card.state).toBe('on_chain');
      expect(card.tokenId?.toFixed()).toBe(item.tokenId);
      expect(card.ownerId).toBe(player.id);
    }
    const events = await db.outboxEvent.findMany({ where: { type: 'card_minted' } });
    expect(events.filter((e) => (e.payload as { cardId: string }).cardId === player.cardIds[0])).toHaveLength(1);
    const view = await getMintRequest(db, { playerId: player.id, requestId: request.id });
    expect(view.finishedAt).not.toBeNull();

    // The metadata URL the contract gives for the token serves valid ERC-721 JSON and an SVG.
    const tokenId = BigInt(done.items[0]?.tokenId ?? '0');
    const uri = await client.readContract({
      address: contracts().cards as `0x${string}`,
      abi: harvestCardsAbi,
      functionName: 'tokenURI',
      args: [tokenId],
    });
    const path = new URL(uri).pathname;
    expect(path).toBe(`/metadata/cards/${tokenId}`);
    const app = createHttpApp({ name: 'metadata-test', log: pino({ level: 'silent' }), dependencies: {} });
    await registerApi(app, { title: 'metadata', version: '0', docs: false });
    await app.register(metadataRoutes, { db, chainId: 31337 });
    const json = await app.inject({ method: 'GET', url: path });
    expect(json.statusCode, json.body).toBe(200);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    const metadata = JSON.parse(json.body) as {
      name: string;
      description: string;
      image: string;
      attributes: Array<{ trait_type: string; value: unknown }>;
    };
    expect(metadata.name.length).toBeGreaterThan(0);
    expect(metadata.attributes.map((a) => a.trait_type)).toEqual(expect.arrayContaining(['Rarity', 'Element', 'Cost', 'Attack', 'Health']));
    const svg = Buffer.from(metadata.image.replace(/^data:image\/svg\+xml;base64,/, ''), 'base64').toString('utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>$/);
    const image = await app.inject({ method: 'GET', url: `${path}/image.svg` });
    expect(image.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(image.body).toBe(svg);
    await app.close();
  });

  it('mints a land parcel: the parcel gets its token id and the wallet owns the token', async () => {
    const player = await createPlayer(db, 0);
    await db.landParcel.update({ where: { id: 'marsh-2' }, data: { ownerId: player.id } });
    const request = await createMintRequest(db, {
      playerId: player.id,
      chainId: 31337,
      walletAddress: player.wallet,
      contracts: contracts(),
      landId: 'marsh-2',
    });
    const done = await confirmed(request.id);
    expect(done.status).toBe('confirmed');
    const item = done.items[0];
    const owner = await client.readContract({
      address: contracts().land as `0x${string}`,
      abi: harvestLandAbi,
      functionName: 'ownerOf',
      args: [BigInt(item?.tokenId ?? '0')],
    });
    expect(owner).toBe(getAddress(player.wallet));
    const parcel = await db.landParcel.findUniqueOrThrow({ where: { id: 'marsh-2' } });
    expect(parcel.tokenId?.toFixed()).toBe(item?.tokenId);
    await expect(
      createMintRequest(db, {
        playerId: player.id,
        chainId: 31337,
        walletAddress: player.wallet,
        contracts: contracts(),
        landId: 'marsh-2',
      }),
    ).rejects.toMatchObject({ code: 'LAND_UNAVAILABLE' });
  });

  it('a token minted behind the pipeline is detected, not minted twice: the item confirms with the existing mint', async () => {
    const player = await createPlayer(db, 1);
    const card = await db.cardInstance.findUniqueOrThrow({ where: { id: player.cardIds[0] as string } });
    const tokenId = cardTokenId(card.definitionId, card.id);
    // Hardhat account #1 holds the minter role: mint the same id first, as a crashed earlier send would have.
    const minterWallet = createWalletClient({
      account: privateKeyToAccount(running.config.privateKey),
      chain: { ...hardhat, rpcUrls: { default: { http: [chain.rpcUrl] } } },
      transport: http(chain.rpcUrl),
    });
    const hash = await minterWallet.writeContract({
      address: contracts().cards as `0x${string}`,
      abi: harvestCardsAbi,
      functionName: 'mint',
      args: [getAddress(player.wallet), tokenId],
    });
    await client.waitForTransactionReceipt({ hash });
    const request = await createMintRequest(db, {
      playerId: player.id,
      chainId: 31337,
      walletAddress: player.wallet,
      contracts: contracts(),
      cardIds: player.cardIds,
    });
    expect(request.items[0]?.tokenId).toBe(tokenId.toString());
    const done = await confirmed(request.id);
    expect(done.status).toBe('confirmed');
    expect(done.items[0]?.txHash).toBe(hash);
    const transfers = await client.getContractEvents({
      address: contracts().cards as `0x${string}`,
      abi: harvestCardsAbi,
      eventName: 'Transfer',
      args: { tokenId },
      fromBlock: 0n,
    });
    expect(transfers).toHaveLength(1);
  });

  it('a burned token fails for good: the card is back in game with a reason the player can read', async () => {
    const player = await createPlayer(db, 1);
    const minterAccount = privateKeyToAccount(running.config.privateKey);
    const wallet = createWalletClient({
      account: minterAccount,
      chain: { ...hardhat, rpcUrls: { default: { http: [chain.rpcUrl] } } },
      transport: http(chain.rpcUrl),
    });
    const original = await db.cardInstance.findUniqueOrThrow({ where: { id: player.cardIds[0] as string } });
    const tokenId = cardTokenId(original.definitionId, original.id);
    // Mint it to the minter itself and burn it before the request exists.
    const address = contracts().cards as `0x${string}`;
    await client.waitForTransactionReceipt({
      hash: await wallet.writeContract({ address, abi: harvestCardsAbi, functionName: 'mint', args: [minterAccount.address, tokenId] }),
    });
    await client.waitForTransactionReceipt({
      hash: await wallet.writeContract({ address, abi: harvestCardsAbi, functionName: 'burn', args: [tokenId] }),
    });
    const request = await createMintRequest(db, {
      playerId: player.id,
      chainId: 31337,
      walletAddress: player.wallet,
      contracts: contracts(),
      cardIds: player.cardIds,
    });
    const done = await confirmed(request.id);
    expect(done.status).toBe('failed');
    expect(done.items[0]?.failureCode).toBe('TOKEN_BURNED');
    expect(done.failureReason).toMatch(/burned/);
    const card = await db.cardInstance.findUniqueOrThrow({ where: { id: player.cardIds[0] as string } });
    expect(card.state).toBe('in_game');
    expect(card.tokenId).toBeNull();
  });
});

describe('stuck transactions', () => {
  it('replaces a transaction not mined in time with the same nonce and higher fees; the token is minted once', async () => {
    const rpc = (method: string, params: unknown[] = []) =>
      fetch(chain.rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      });
    await running.close();
    running = await startTestMinter(
      db,
      testEnv(
        { databaseUrl: database.url, rpcUrl: chain.rpcUrl, deploymentsFile: chain.deploymentsFile, prefix: queuePrefix() },
        { MINTER_STUCK_AFTER_MS: '800' },
      ),
    );
    await rpc('evm_setAutomine', [false]);
    try {
      const player = await createPlayer(db, 1);
      const request = await createMintRequest(db, {
        playerId: player.id,
        chainId: 31337,
        walletAddress: player.wallet,
        contracts: contracts(),
        cardIds: player.cardIds,
      });
      const txs = await waitFor(async () => {
        const journal = await db.mintTransaction.findMany({
          where: { batch: { items: { some: { requestId: request.id } } } },
          orderBy: { createdAt: 'asc' },
        });
        return journal.length >= 2 ? journal : undefined;
      }, 20_000);
      expect(new Set(txs.map((t) => t.nonce)).size).toBe(1);
      expect(txs[1]?.replacesHash).toBe(txs[0]?.hash);
      expect(BigInt(txs[1]?.maxFeePerGas.toFixed() ?? '0')).toBeGreaterThan(BigInt(txs[0]?.maxFeePerGas.toFixed() ?? '0'));
      // The journal row is written before the replacement is sent (write-ahead): mine only once the node holds it, or
      // a slow machine mines the original first.
      await waitFor(async () => {
        const answer = (await (await rpc('eth_getTransactionByHash', [txs[1]?.hash])).json()) as { result: unknown };
        return answer.result ? true : undefined;
      }, 20_000);
      await rpc('evm_mine');
      const done = await confirmed(request.id);
      expect(done.status).toBe('confirmed');
      const journal = await db.mintTransaction.findMany({ where: { nonce: txs[0]?.nonce } });
      expect(journal.filter((t) => t.status === 'mined')).toHaveLength(1);
      expect(journal.filter((t) => t.status === 'mined')[0]?.hash).not.toBe(txs[0]?.hash);
      const tokenId = BigInt(done.items[0]?.tokenId ?? '0');
      const transfers = await client.getContractEvents({
        address: contracts().cards as `0x${string}`,
        abi: harvestCardsAbi,
        eventName: 'Transfer',
        args: { tokenId },
        fromBlock: 0n,
      });
      expect(transfers).toHaveLength(1);
    } finally {
      await rpc('evm_setAutomine', [true]);
    }
  });
});
