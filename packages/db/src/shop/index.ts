/**
 * The shop: seeds bought for gold at their crop's `seedPrice`, crops and materials sold for gold at their item
 * `value`, both from the published game data. Each trade is one transaction: the player's row lock, the gold and
 * item changes with their ledger rows, and `gold_changed`.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '@harvest/shared/errors';
import type { Db, DbTransaction } from '../index.ts';
import { contentIndex, type GameContent } from '../inventory/content.ts';
import { changeGoldInTx, changeItemsInTx, lockPlayerInTx, MAX_BALANCE } from '../ledger/index.ts';
import { appendEvents, type OutboxEventInput } from '../outbox/index.ts';

/** Item kinds the shop buys from players. */
export const SELLABLE_KINDS: readonly string[] = ['crop', 'material'];

/** What the shop offers under one content version. */
export interface ShopCatalog {
  /** Seeds for sale: item id, the crop it plants, gold per unit. */
  buy: Array<{ itemId: string; cropId: string; price: number }>;
  /** Items the shop buys: item id, kind, gold per unit. */
  sell: Array<{ itemId: string; kind: string; price: number }>;
}

/** The shop's prices (pure; from the content). */
export function shopCatalog(content: GameContent): ShopCatalog {
  return {
    buy: content.data.crops.map((c) => ({ itemId: c.seed, cropId: c.id, price: c.seedPrice })),
    sell: content.data.items
      .filter((i) => SELLABLE_KINDS.includes(i.kind) && i.value > 0)
      .map((i) => ({ itemId: i.id, kind: i.kind, price: i.value })),
  };
}

/** A trade request. */
export interface TradeInput {
  playerId: string;
  itemId: string;
  /** Units, 1..10,000. */
  quantity: number;
  content: GameContent;
}

/** What a trade did. */
export interface TradeOutcome {
  orderId: string;
  itemId: string;
  quantity: number;
  unitPrice: number;
  /** Gold paid (buy) or received (sell). */
  total: number;
  balances: { gold: number; item: number };
}

function checkQuantity(quantity: number): void {
  if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > 10_000) {
    throw new AppError('VALIDATION_FAILED', 'quantity is a whole number from 1 to 10,000');
  }
}

/** Buys seeds inside the caller's transaction. ITEM_NOT_FOR_SALE, INSUFFICIENT_GOLD, BALANCE_LIMIT. */
export async function buyInTx(tx: DbTransaction, input: TradeInput): Promise<TradeOutcome> {
  checkQuantity(input.quantity);
  const crop = contentIndex(input.content).cropsBySeed.get(input.itemId);
  if (!crop) throw new AppError('ITEM_NOT_FOR_SALE', `the shop does not sell "${input.itemId}"`, { itemId: input.itemId });
  const total = crop.seedPrice * input.quantity;
  await lockPlayerInTx(tx, input.playerId);
  const orderId = randomUUID();
  const events: OutboxEventInput[] = [];
  const context = { playerId: input.playerId, reason: 'shop_buy', referenceId: `shop:${orderId}`, events };
  const { balance } = await changeGoldInTx(tx, context, -total);
  const items = await changeItemsInTx(tx, context, [{ itemId: input.itemId, delta: input.quantity }]);
  await appendEvents(tx, events);
  return {
    orderId,
    itemId: input.itemId,
    quantity: input.quantity,
    unitPrice: crop.seedPrice,
    total,
    balances: { gold: balance, item: items.get(input.itemId) ?? 0 },
  };
}

/** Sells crops or materials inside the caller's transaction. ITEM_NOT_SELLABLE, INSUFFICIENT_RESOURCES, BALANCE_LIMIT. */
export async function sellInTx(tx: DbTransaction, input: TradeInput): Promise<TradeOutcome> {
  checkQuantity(input.quantity);
  const item = contentIndex(input.content).items.get(input.itemId);
  if (!item || !SELLABLE_KINDS.includes(item.kind) || item.value <= 0) {
    throw new AppError('ITEM_NOT_SELLABLE', `the shop does not buy "${input.itemId}"`, { itemId: input.itemId });
  }
  const total = item.value * input.quantity;
  if (total > MAX_BALANCE) throw new AppError('BALANCE_LIMIT', 'sell fewer at a time', { itemId: input.itemId });
  await lockPlayerInTx(tx, input.playerId);
  const orderId = randomUUID();
  const events: OutboxEventInput[] = [];
  const context = { playerId: input.playerId, reason: 'shop_sell', referenceId: `shop:${orderId}`, events };
  const items = await changeItemsInTx(tx, context, [{ itemId: input.itemId, delta: -input.quantity }]);
  const { balance } = await changeGoldInTx(tx, context, total);
  await appendEvents(tx, events);
  return {
    orderId,
    itemId: input.itemId,
    quantity: input.quantity,
    unitPrice: item.value,
    total,
    balances: { gold: balance, item: items.get(input.itemId) ?? 0 },
  };
}

/** {@link buyInTx} in its own transaction. */
export function buy(db: Db, input: TradeInput): Promise<TradeOutcome> {
  return db.$transaction((tx) => buyInTx(tx, input));
}

/** {@link sellInTx} in its own transaction. */
export function sell(db: Db, input: TradeInput): Promise<TradeOutcome> {
  return db.$transaction((tx) => sellInTx(tx, input));
}
