/** Game state for minter tests: the repository's game data published, players with linked wallets and cards. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Db, publishGameData } from '@harvest/db';
import { loadGameData } from '@harvest/shared/gamedata';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { REPO } from './chain.ts';

/** Publishes gamedata/ as version 1 (card definitions, recipes and land parcels come with it). */
export async function publishRepoGameData(db: Db): Promise<void> {
  const dir = join(REPO, 'gamedata');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => ({ path: relative(REPO, join(dir, name)), text: readFileSync(join(dir, name), 'utf8') }));
  const loaded = loadGameData(files);
  if (!loaded.data) throw new Error('the repository game data has errors');
  await publishGameData(db, { content: loaded.data, author: 'minter-test', message: 'test data' });
}

export interface TestPlayer {
  id: string;
  wallet: `0x${string}`;
  cardIds: string[];
}

const DEFINITIONS = ['sunpetal-sprite', 'ember-finch', 'dawn-scout', 'torch-bearer'];

/** A full (non-guest) player with a fresh linked wallet and `cards` in-game cards. */
export async function createPlayer(db: Db, cards: number, options: { guest?: boolean } = {}): Promise<TestPlayer> {
  const wallet = privateKeyToAccount(generatePrivateKey()).address;
  const player = await db.player.create({ data: { isGuest: options.guest ?? false } });
  await db.wallet.create({ data: { address: wallet.toLowerCase(), playerId: player.id } });
  const cardIds: string[] = [];
  for (let i = 0; i < cards; i++) {
    const card = await db.cardInstance.create({
      data: { definitionId: DEFINITIONS[i % DEFINITIONS.length] as string, ownerId: player.id, origin: 'starter', contentVersion: 1 },
    });
    cardIds.push(card.id);
  }
  return { id: player.id, wallet, cardIds };
}
