/**
 * Economy test wiring: the repository's game data published as version 1 (what prisma/seed.ts does), guest
 * players through the real sign-in route (which gives the starter grant), balances adjusted through the ledger
 * services, and the ledger-equals-balance invariant.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { changeGoldInTx, changeItemsInTx, type Db, lockPlayerInTx, seedGameData } from '@harvest/db';
import { type GameData, loadGameData } from '@harvest/shared/gamedata';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { bearer, createGuest } from './helpers.ts';

const GAMEDATA_DIR = fileURLToPath(new URL('../../../gamedata', import.meta.url));

function loadRepositoryGameData(): GameData {
  const files = readdirSync(GAMEDATA_DIR, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path: relative(GAMEDATA_DIR, path), text: readFileSync(path, 'utf8') };
    });
  const result = loadGameData(files);
  if (!result.data) throw new Error('the repository game data does not load');
  return result.data;
}

/** The repository's game data (gamedata/), validated. */
export const GAME_DATA = loadRepositoryGameData();

/** Publishes the repository's game data as version 1 (a no-op when the database has a version). */
export async function publishRepositoryGameData(db: Db): Promise<void> {
  await seedGameData(db, { content: GAME_DATA });
}

/** A signed-in player. */
export interface Player {
  id: string;
  token: string;
  headers: { authorization: string };
}

/** A new guest player (the sign-in gives the starter grant once game data is published). */
export async function newPlayer(app: FastifyInstance): Promise<Player> {
  const guest = await createGuest(app);
  return { id: guest.player.id, token: guest.accessToken, headers: bearer(guest.accessToken) };
}

/** Adds gold and items to a player through the ledger services (reason `admin_adjustment`); negatives take away. */
export async function give(db: Db, playerId: string, grant: { gold?: number; items?: Record<string, number> }): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockPlayerInTx(tx, playerId);
    const context = { playerId, reason: 'admin_adjustment', referenceId: 'test' };
    if (grant.gold) await changeGoldInTx(tx, context, grant.gold);
    const items = Object.entries(grant.items ?? {}).map(([itemId, delta]) => ({ itemId, delta }));
    await changeItemsInTx(tx, context, items);
  });
}

/** Sets a player's gold and items to exact amounts (through ledger rows, so the invariant keeps holding). */
export async function setBalances(db: Db, playerId: string, target: { gold: number; items: Record<string, number> }): Promise<void> {
  const player = await db.player.findUniqueOrThrow({ where: { id: playerId }, select: { gold: true } });
  const held = await db.playerResource.findMany({ where: { playerId } });
  const have = new Map(held.map((r) => [r.itemId, r.quantity]));
  const items: Record<string, number> = {};
  for (const [itemId, quantity] of Object.entries(target.items)) items[itemId] = quantity - (have.get(itemId) ?? 0);
  await give(db, playerId, { gold: target.gold - player.gold, items });
}

/** Asserts the ledger sums equal the balances for gold and every item, and that nothing is negative. */
export async function expectLedgerMatchesBalances(db: Db, playerId: string): Promise<void> {
  const player = await db.player.findUniqueOrThrow({ where: { id: playerId }, select: { gold: true } });
  const resources = await db.playerResource.findMany({ where: { playerId } });
  const sums = await db.$queryRaw<Array<{ asset: string; item_id: string | null; total: bigint }>>`
    SELECT asset::text, item_id, sum(delta)::bigint AS total FROM ledger_entries WHERE player_id = ${playerId}::uuid GROUP BY asset, item_id`;
  const gold = sums.find((s) => s.asset === 'gold');
  expect(Number(gold?.total ?? 0)).toBe(player.gold);
  expect(player.gold).toBeGreaterThanOrEqual(0);
  const items = new Map(sums.filter((s) => s.asset === 'item').map((s) => [s.item_id, Number(s.total)]));
  for (const r of resources) {
    expect(r.quantity).toBeGreaterThanOrEqual(0);
    expect(items.get(r.itemId) ?? 0, r.itemId).toBe(r.quantity);
  }
  for (const [itemId, total] of items) {
    if (!resources.some((r) => r.itemId === itemId)) expect(total, itemId as string).toBe(0);
  }
}

/** Asserts an error answer: a 4xx status, and a body with a stable code. */
export function expectCoded(response: LightMyRequestResponse): void {
  expect(response.statusCode, response.body).toBeGreaterThanOrEqual(400);
  expect(response.statusCode, response.body).toBeLessThan(500);
  expect(response.json().error?.code, response.body).toMatch(/^[A-Z][A-Z0-9_]+$/);
}

/** A fresh Idempotency-Key. */
export const newKey = () => crypto.randomUUID();
