/// <reference lib="dom" />
/**
 * End to end in a real browser (Debian's Chromium through playwright-core) against the running stack on a local
 * chain: game-api, the indexer and the marketplace as child processes, a wallet injected into each browser that
 * forwards to the Hardhat node's unlocked accounts. A seller lists a minted card (approve + sign), a buyer on a
 * phone-sized screen buys it, the indexer moves ownership, the card shows in the buyer's game inventory and leaves
 * the seller's, and the listing is gone. Screenshots go to apps/marketplace/test-results/e2e (git-ignored).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '@harvest/db';
import { createTestDatabase, type TestDatabase } from '@harvest/db/testing';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, type LocalChain, REPO, startLocalChain } from '../support/chain.ts';
import { injectWallet } from '../support/injected-wallet.ts';
import { type AppProcess, CHROMIUM_FLAGS, ensureChromium, ensureWebBuilt, startApp } from '../support/processes.ts';
import {
  ACCOUNTS,
  createPlayer,
  type IndexerChild,
  mine,
  mintCards,
  publishRepoGameData,
  startIndexer,
  waitFor,
} from '../support/world.ts';

const SHOTS = join(REPO, 'apps', 'marketplace', 'test-results', 'e2e');
const SELLER = ACCOUNTS[2];
const BUYER = ACCOUNTS[3];
const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;

let chain: LocalChain;
let database: TestDatabase;
let db: Db;
let indexer: IndexerChild;
let gameApi: AppProcess;
let market: AppProcess;
const contexts: BrowserContext[] = [];
const profiles: string[] = [];
let chromiumPath: string;

async function browserFor(account: `0x${string}`, viewport: { width: number; height: number }): Promise<Page> {
  const profile = mkdtempSync(join(tmpdir(), 'harvest-chromium-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport,
  });
  contexts.push(context);
  await injectWallet(context, { rpcUrl: chain.rpcUrl, account });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function connectOnRightNetwork(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Connect wallet' }).first().click();
  const wrongNetwork = page.getByRole('alert').filter({ hasText: 'Wrong network' });
  await wrongNetwork.waitFor();
  await shot(page, `${page.viewportSize()?.width}-wrong-network`);
  await page.getByRole('button', { name: 'Switch network' }).click();
  await wrongNetwork.waitFor({ state: 'detached' });
}

async function accessTokenOf(page: Page): Promise<string> {
  const token = await page.evaluate(() => sessionStorage.getItem('harvest.accessToken'));
  expect(token).toBeTruthy();
  return token as string;
}

async function inventoryCardIds(token: string): Promise<string[]> {
  const response = await fetch(`${gameApi.url}/v1/inventory?state=on_chain&limit=100`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { cards: Array<{ id: string }> }).cards.map((c) => c.id);
}

beforeAll(async () => {
  chromiumPath = ensureChromium();
  const webDir = ensureWebBuilt();
  mkdirSync(SHOTS, { recursive: true });
  chain = await startLocalChain();
  database = await createTestDatabase();
  db = database.db;
  await publishRepoGameData(db);
  indexer = await startIndexer(chain, database.url);
  const [gamePort, marketPort] = [await freePort(), await freePort()];
  const redisUrl = process.env.REDIS_URL as string;
  gameApi = await startApp('game-api', 'apps/game-api/src/server.ts', `http://127.0.0.1:${gamePort}`, {
    GAME_API_PORT: String(gamePort),
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    CHAIN_RPC_URL: chain.rpcUrl,
    DEPLOYMENTS_FILE: chain.deploymentsFile,
    AUTH_ISSUER: `http://127.0.0.1:${gamePort}`,
    SIWE_DOMAINS: `127.0.0.1:${marketPort}`,
    SIWE_URIS: `http://127.0.0.1:${marketPort}/`,
    AUTH_RATE_LIMIT_PER_IP: '1000',
    AUTH_RATE_LIMIT_PER_ADDRESS: '1000',
    OUTBOX_RELAY: 'off',
    MINT_QUEUE_PREFIX: `e2e-${marketPort}`,
  });
  market = await startApp('marketplace', 'apps/marketplace/src/server.ts', `http://127.0.0.1:${marketPort}`, {
    MARKETPLACE_PORT: String(marketPort),
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    CHAIN_RPC_URL: chain.rpcUrl,
    DEPLOYMENTS_FILE: chain.deploymentsFile,
    GAME_API_URL: gameApi.url,
    AUTH_ISSUER: `http://127.0.0.1:${gamePort}`,
    MARKETPLACE_WEB_DIR: webDir,
    MARKET_RECONCILE_MS: '200',
    MARKET_RATE_LIMIT_READ: '100000',
    MARKET_RATE_LIMIT_WRITE: '1000',
  });
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
  await market?.stop();
  await gameApi?.stop();
  await indexer?.stop();
  await database?.drop();
  await chain?.stop();
});

it('a seller lists a minted card, a buyer buys it, the indexer moves it between game inventories, the listing is gone', async () => {
  const seller = await createPlayer(db, SELLER, 2, ['ember-finch', 'dawn-scout']);
  await createPlayer(db, BUYER, 0);
  const cardId = seller.cardIds[0] as string;
  const [tokenId] = (await mintCards(db, chain, seller, seller.cardIds)) as [bigint];
  await waitFor('the minted cards on chain in game', async () => {
    await mine(chain.rpcUrl);
    const cards = await db.cardInstance.findMany({ where: { id: { in: seller.cardIds } } });
    return cards.every((card) => card.state === 'on_chain');
  });
  const cardName = (await db.cardDefinition.findUniqueOrThrow({ where: { id: 'ember-finch' } })).name ?? 'Ember Finch';
  const otherName = (await db.cardDefinition.findUniqueOrThrow({ where: { id: 'dawn-scout' } })).name ?? 'Dawn Scout';
  const collection = chain.deployments.contracts.HarvestCards.address.toLowerCase();

  // The seller, on a desktop screen: connect, switch network, sign in (SIWE through game-api), list (approve + sign).
  const sellerPage = await browserFor(SELLER, { width: 1280, height: 900 });
  await sellerPage.goto(`${market.url}/#/me`);
  await connectOnRightNetwork(sellerPage);
  await sellerPage.getByRole('button', { name: 'Sign in with wallet' }).click();
  const sellerItems = sellerPage.getByTestId('my-items');
  await sellerItems.getByText(cardName).waitFor();
  await shot(sellerPage, 'seller-my-items');
  const listForm = (name: string) => sellerPage.getByRole('form', { name: `List ${name}` });
  await listForm(cardName).getByLabel('Price (ETH)').fill('0.05');
  await listForm(cardName).getByRole('button', { name: 'List for sale' }).click();
  await sellerPage.getByText(`${cardName} is listed for 0.05 ETH.`).waitFor();
  await sellerPage.getByTestId('my-listings').getByText(cardName).waitFor();
  await shot(sellerPage, 'seller-listed');

  // A second card listed, then cancelled on chain from "My listings": the indexer sees the cancel, the listing goes.
  await listForm(otherName).getByLabel('Price (ETH)').fill('0.07');
  await listForm(otherName).getByRole('button', { name: 'List for sale' }).click();
  await sellerPage.getByText(`${otherName} is listed for 0.07 ETH.`).waitFor();
  const otherRow = sellerPage.getByTestId('my-listings').getByRole('listitem').filter({ hasText: otherName });
  await otherRow.getByRole('button', { name: 'Cancel on chain' }).click();
  await sellerPage.getByText('Listing cancelled on chain.', { exact: false }).waitFor();
  await waitFor(
    'the cancelled listing to leave My listings',
    async () => {
      await sellerPage.reload();
      await sellerPage.getByTestId('my-listings').getByText(cardName).waitFor();
      return (await otherRow.count()) === 0;
    },
    30_000,
    250,
  );
  const sellerToken = await accessTokenOf(sellerPage);
  expect(await inventoryCardIds(sellerToken)).toContain(cardId);

  // The buyer, on a phone-sized screen: browse, open the card, connect, switch network, buy.
  const buyerPage = await browserFor(BUYER, { width: 390, height: 844 });
  await buyerPage.goto(`${market.url}/`);
  const listing = buyerPage.getByTestId('listings').getByRole('link', { name: `${cardName}, 0.05 ETH` });
  await listing.waitFor();
  // The link renders before its image has loaded: wait for every image to finish (loaded or broken), then check.
  await buyerPage.waitForFunction(() => Array.from(document.images).every((image) => image.complete), undefined, { timeout: 15_000 });
  const images = await buyerPage.locator('img').evaluateAll((nodes) => nodes.map((n) => (n as HTMLImageElement).naturalWidth));
  expect(images.every((width) => width > 0)).toBe(true);
  await shot(buyerPage, 'buyer-browse-phone');
  expect(await buyerPage.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  const unlabelled = await buyerPage
    .locator('input, select')
    .evaluateAll((nodes) => nodes.filter((n) => (n as HTMLInputElement).labels?.length === 0).length);
  expect(unlabelled).toBe(0);
  await listing.click();
  await buyerPage.getByRole('heading', { name: cardName }).waitFor();
  await buyerPage.getByRole('heading', { name: 'Provenance' }).waitFor();
  await connectOnRightNetwork(buyerPage);
  await buyerPage.getByRole('button', { name: 'Buy for 0.05 ETH' }).click();
  await buyerPage.getByText('Bought!', { exact: false }).waitFor();
  await shot(buyerPage, 'buyer-bought-phone');

  // The indexer moves ownership: the page shows the buyer as owner and the card as not for sale.
  await waitFor(
    'the token page to show the buyer as owner',
    async () => {
      await buyerPage.reload();
      await buyerPage.getByTestId('owner').waitFor();
      return (await buyerPage.getByTestId('owner').textContent())?.includes(short(BUYER.toLowerCase())) ?? false;
    },
    30_000,
    250,
  );
  await buyerPage.getByRole('heading', { name: 'Not for sale' }).waitFor();
  await buyerPage.getByTestId('history').getByText('Sold').waitFor();
  expect(await buyerPage.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await shot(buyerPage, 'buyer-token-owned-phone');

  // The listing is gone from the browse page and from the API.
  await buyerPage.goto(`${market.url}/#/`);
  await buyerPage.getByText('0 listings shown').waitFor();
  const search = (await (await fetch(`${market.url}/api/listings`)).json()) as { items: unknown[] };
  expect(search.items).toEqual([]);

  // The buyer's items and game inventory have the card; the seller's no longer do. (The reloads above kept the
  // wallet connected: the page reconnects a known wallet without a prompt.)
  await buyerPage.goto(`${market.url}/#/me`);
  await buyerPage.getByTestId('account').waitFor();
  await buyerPage.getByRole('button', { name: 'Sign in with wallet' }).click();
  await buyerPage.getByTestId('my-items').getByText(cardName).waitFor();
  await shot(buyerPage, 'buyer-my-items-phone');
  const buyerToken = await accessTokenOf(buyerPage);
  await waitFor(
    'the card in the buyer game inventory',
    async () => (await inventoryCardIds(buyerToken)).includes(cardId) && !(await inventoryCardIds(sellerToken)).includes(cardId),
    30_000,
    250,
  );
  await waitFor(
    'the sold card to leave the seller items',
    async () => {
      await sellerPage.reload();
      await sellerItems.getByText(otherName).waitFor();
      return (await sellerItems.getByText(cardName).count()) === 0;
    },
    30_000,
    250,
  );
  await shot(sellerPage, 'seller-after-sale');

  // Once final, the reconciler records the sale in the activity feed.
  await mine(chain.rpcUrl);
  await buyerPage.goto(`${market.url}/#/activity`);
  await waitFor(
    'the sale in the activity feed',
    async () => {
      await buyerPage.reload();
      await buyerPage.getByTestId('activity').waitFor();
      const table = buyerPage.getByTestId('activity');
      return (
        (await table.getByRole('cell', { name: 'Sold' }).count()) === 1 &&
        (await table.getByRole('cell', { name: 'Cancelled (hard)' }).count()) === 1
      );
    },
    30_000,
    250,
  );
  await shot(buyerPage, 'buyer-activity-phone');
  const token = (await (await fetch(`${market.url}/api/tokens/${collection}/${tokenId}`)).json()) as { sales: unknown[]; listing: unknown };
  expect(token.sales).toHaveLength(1);
  expect(token.listing).toBeNull();
});
