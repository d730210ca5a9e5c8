/**
 * Gold and resources: every change is a conditional row update (row-locked by PostgreSQL), refused with a typed
 * error instead of going below zero or past the int4 column limit, and recorded by a ledger row in the same
 * transaction; gold changes also append `gold_changed` to the outbox. So for every player and asset, the sum of the
 * ledger deltas equals the balance.
 *
 * Lock order, kept by every economy service so that two transactions never wait for each other in a cycle:
 * the player row ({@link lockPlayerInTx}) first, then resource rows in item-id order, then card rows in id order,
 * then farm plots. Services that change one player's economy lock that player's row first, which also serialises
 * them per player.
 */
import { AppError } from '@harvest/shared/errors';
import type { DbTransaction } from '../index.ts';
import { appendEvents, type OutboxEventInput } from '../outbox/index.ts';
import type { StatementIssuer } from '../sql/index.ts';

/** Largest balance a gold or resource column holds (PostgreSQL int4). */
export const MAX_BALANCE = 2_147_483_647;

/** A ledger reason: what kind of operation changed the balance. */
export type LedgerReason =
  | 'starter_grant'
  | 'craft'
  | 'plant'
  | 'harvest'
  | 'shop_buy'
  | 'shop_sell'
  | 'match_reward'
  | 'admin_adjustment'
  | (string & {});

/** A change of one item's quantity. */
export interface ItemDelta {
  itemId: string;
  delta: number;
}

/** Where a change comes from, recorded on its ledger rows. */
export interface LedgerContext {
  playerId: string;
  reason: LedgerReason;
  /** What caused it (craft id, harvest id, shop order id, match id...), for audits and idempotent replays. */
  referenceId: string;
  /**
   * Collects the events of the change instead of appending them at once, so a service appends every event of its
   * transaction in one statement. The caller must then append them in the same transaction.
   */
  events?: OutboxEventInput[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID in canonical text form (so casting it in SQL cannot fail). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * Locks the player's row (`SELECT … FOR NO KEY UPDATE`) and returns the gold balance: the first step of every service
 * that changes a player's economy. NOT_FOUND when the player does not exist.
 */
export async function lockPlayerInTx(tx: DbTransaction, playerId: string): Promise<{ gold: number }> {
  if (!isUuid(playerId)) throw new AppError('NOT_FOUND', 'no such player');
  // FOR NO KEY UPDATE, not FOR UPDATE: rows inserted with a foreign key to the player (ledger, cards, idempotency
  // keys) take FOR KEY SHARE on it, which FOR UPDATE would conflict with (two transactions each holding KEY SHARE
  // and waiting for UPDATE deadlock). NO KEY UPDATE still serialises the economy services of one player.
  const rows = await tx.$queryRaw<Array<{ gold: number }>>`SELECT gold FROM players WHERE id = ${playerId}::uuid FOR NO KEY UPDATE`;
  const row = rows[0];
  if (!row) throw new AppError('NOT_FOUND', 'no such player');
  return row;
}

/**
 * Adds `delta` (negative: spends) to the player's gold, writes the ledger row and the `gold_changed` event.
 * Refuses with INSUFFICIENT_GOLD below zero and BALANCE_LIMIT past {@link MAX_BALANCE}; a zero delta does nothing.
 * Returns the new balance and the ledger row id.
 */
export async function changeGoldInTx(
  tx: DbTransaction,
  context: LedgerContext,
  delta: number,
): Promise<{ balance: number; ledgerId: string | null }> {
  if (!Number.isSafeInteger(delta)) throw new AppError('VALIDATION_FAILED', 'a gold change is a whole number');
  if (!isUuid(context.playerId)) throw new AppError('NOT_FOUND', 'no such player');
  if (delta === 0) {
    const { gold } = await lockPlayerInTx(tx, context.playerId);
    return { balance: gold, ledgerId: null };
  }
  // One statement: the conditional update (row lock + check) and the ledger row; nothing is written when refused.
  const rows = await tx.$queryRaw<Array<{ gold: number; ledger_id: bigint }>>`
    WITH updated AS (
      UPDATE players SET gold = gold + ${delta}::bigint, updated_at = now()
      WHERE id = ${context.playerId}::uuid AND gold + ${delta}::bigint BETWEEN 0 AND ${MAX_BALANCE}
      RETURNING gold
    ), ledger AS (
      INSERT INTO ledger_entries (player_id, asset, item_id, delta, reason, reference_id)
      SELECT ${context.playerId}::uuid, 'gold', NULL, ${delta}::int, ${context.reason}, ${context.referenceId} FROM updated
      RETURNING id
    )
    SELECT updated.gold, ledger.id AS ledger_id FROM updated, ledger`;
  const row = rows[0];
  if (!row) {
    const { gold } = await lockPlayerInTx(tx, context.playerId);
    if (gold + delta < 0) {
      throw new AppError('INSUFFICIENT_GOLD', `needs ${-delta} gold, has ${gold}`, { required: -delta, balance: gold });
    }
    throw new AppError('BALANCE_LIMIT', `gold cannot exceed ${MAX_BALANCE}`, { balance: gold, delta });
  }
  const ledgerId = String(row.ledger_id);
  const event: OutboxEventInput = {
    type: 'gold_changed',
    key: context.playerId,
    payload: { playerId: context.playerId, delta, balance: row.gold, reason: context.reason, referenceId: ledgerId },
  };
  if (context.events) context.events.push(event);
  else await appendEvents(tx, [event]);
  return { balance: row.gold, ledgerId };
}

/** Sums duplicate items and drops zero deltas; sorted by item id (the lock order). */
function normaliseDeltas(changes: readonly ItemDelta[]): ItemDelta[] {
  const sums = new Map<string, number>();
  for (const { itemId, delta } of changes) {
    if (!Number.isSafeInteger(delta)) throw new AppError('VALIDATION_FAILED', 'an item change is a whole number');
    sums.set(itemId, (sums.get(itemId) ?? 0) + delta);
  }
  return [...sums]
    .filter(([, delta]) => delta !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([itemId, delta]) => ({ itemId, delta }));
}

/**
 * Applies item quantity changes for one player and writes one ledger row per item. Decreases are conditional
 * updates refused with INSUFFICIENT_RESOURCES (naming the first short item) when they would go below zero;
 * increases create the row when missing and are refused with BALANCE_LIMIT past {@link MAX_BALANCE}. Rows are
 * touched in item-id order. Returns the new quantities of the changed items.
 */
export async function changeItemsInTx(
  tx: DbTransaction,
  context: LedgerContext,
  changes: readonly ItemDelta[],
): Promise<Map<string, number>> {
  const deltas = normaliseDeltas(changes);
  const balances = new Map<string, number>();
  if (deltas.length === 0) return balances;
  if (!isUuid(context.playerId)) throw new AppError('NOT_FOUND', 'no such player');
  const ids = deltas.map((d) => d.itemId);
  const amounts = deltas.map((d) => d.delta);
  // Every change in one statement: rows that exist are updated under their row lock when the result stays within
  // 0..MAX_BALANCE, missing rows are inserted for increases; the ledger rows are written only when every item
  // changed (the outer WHERE), so a refused change writes nothing.
  const rows = await tx.$queryRaw<Array<{ item_id: string; quantity: number }>>`
    WITH wanted AS (
      SELECT item_id, delta, ord FROM unnest(${ids}::text[], ${amounts}::int[]) WITH ORDINALITY AS w(item_id, delta, ord)
    ), existing AS (
      SELECT r.item_id, r.quantity FROM resources r JOIN wanted w ON w.item_id = r.item_id
      WHERE r.player_id = ${context.playerId}::uuid ORDER BY r.item_id FOR UPDATE OF r
    ), checked AS (
      SELECT w.item_id, w.delta, coalesce(e.quantity, 0)::bigint + w.delta AS next, e.item_id IS NOT NULL AS present
      FROM wanted w LEFT JOIN existing e ON e.item_id = w.item_id
    ), ok AS (
      SELECT bool_and(next BETWEEN 0 AND ${MAX_BALANCE}) AS ok FROM checked
    ), updated AS (
      UPDATE resources r SET quantity = c.next, updated_at = now()
      FROM checked c, ok
      WHERE ok.ok AND c.present AND r.player_id = ${context.playerId}::uuid AND r.item_id = c.item_id
      RETURNING r.item_id, r.quantity
    ), inserted AS (
      INSERT INTO resources (player_id, item_id, quantity, updated_at)
      SELECT ${context.playerId}::uuid, c.item_id, c.next, now() FROM checked c, ok WHERE ok.ok AND NOT c.present
      RETURNING item_id, quantity
    ), ledger AS (
      INSERT INTO ledger_entries (player_id, asset, item_id, delta, reason, reference_id)
      SELECT ${context.playerId}::uuid, 'item', w.item_id, w.delta, ${context.reason}, ${context.referenceId}
      FROM wanted w, ok WHERE ok.ok ORDER BY w.ord
    )
    SELECT item_id, quantity FROM updated UNION ALL SELECT item_id, quantity FROM inserted`;
  if (rows.length !== deltas.length) {
    const current = await tx.$queryRaw<Array<{ item_id: string; quantity: number }>>`
      SELECT item_id, quantity FROM resources WHERE player_id = ${context.playerId}::uuid AND item_id = ANY(${ids}::text[])`;
    const have = new Map(current.map((r) => [r.item_id, r.quantity]));
    for (const { itemId, delta } of deltas) {
      const balance = have.get(itemId) ?? 0;
      if (balance + delta < 0) {
        throw new AppError('INSUFFICIENT_RESOURCES', `needs ${-delta} × ${itemId}, has ${balance}`, {
          itemId,
          required: -delta,
          balance,
        });
      }
      if (balance + delta > MAX_BALANCE) {
        throw new AppError('BALANCE_LIMIT', `${itemId} cannot exceed ${MAX_BALANCE}`, { itemId, balance, delta });
      }
    }
    // A row inserted concurrently for an increase (the player row lock rules this out in the services): retry-safe.
    throw new AppError('SERVICE_UNAVAILABLE', 'the balance changed concurrently; retry');
  }
  for (const row of rows) balances.set(row.item_id, row.quantity);
  return balances;
}

/** A balance the caller locked and read in this transaction, and how it changes. */
export interface LockedChange {
  /** The balance read under the row lock. */
  before: number;
  delta: number;
}

/** What {@link sendLockedChangesInTx} sends. */
export interface LockedChanges {
  gold?: LockedChange & {
    /** The id of the gold ledger row, drawn by the caller (`nextval` of `ledger_entries.id`) so `gold_changed` names it. */
    ledgerId: bigint | string;
  };
  /** Resource rows the caller locked (they exist); sorted by item id here. */
  items: ReadonlyArray<LockedChange & { itemId: string }>;
}

/**
 * Writes balance changes whose rows the caller locked (player row, then resource rows) and whose results it checked:
 * the new gold and quantities, and their ledger rows (gold first, then items in item-id order), as ONE statement
 * issued through `issuer` without waiting, so it can be pipelined with what follows it (see ../sql). The `gold_changed` event
 * is pushed to `context.events` (required: the caller appends every event of its transaction at once).
 *
 * The statement checks its own result and fails (division by zero, aborting the transaction, so a COMMIT sent
 * behind it rolls back) unless every row changed to exactly the balance computed here from the locked values; the
 * CHECK constraints refuse negatives as well. Refusals (INSUFFICIENT_GOLD...) are the caller's, before this call.
 * Returns the statement and the balances after.
 */
export function sendLockedChangesInTx(
  tx: Pick<DbTransaction, '$queryRaw'>,
  issuer: StatementIssuer,
  context: LedgerContext & { events: OutboxEventInput[] },
  changes: LockedChanges,
): { written: Promise<unknown>; gold: number | null; items: Array<{ itemId: string; quantity: number }> } {
  if (!isUuid(context.playerId)) throw new AppError('NOT_FOUND', 'no such player');
  const items = [...changes.items].filter((i) => i.delta !== 0).sort((a, b) => (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0));
  if (new Set(items.map((i) => i.itemId)).size !== items.length) throw new Error('sendLockedChangesInTx: an item appears twice');
  const gold = changes.gold && changes.gold.delta !== 0 ? changes.gold : undefined;
  for (const change of [...items, ...(gold ? [gold] : [])]) {
    const after = change.before + change.delta;
    if (!Number.isSafeInteger(change.delta) || after < 0 || after > MAX_BALANCE) {
      throw new Error('sendLockedChangesInTx: the caller must refuse a change that leaves 0..MAX_BALANCE');
    }
  }
  const goldDelta = gold?.delta ?? 0;
  const goldAfter = gold ? gold.before + gold.delta : null;
  const ids = items.map((i) => i.itemId);
  const deltas = items.map((i) => i.delta);
  const afters = items.map((i) => i.before + i.delta);
  const written = issuer.issue(
    () => tx.$queryRaw`
    WITH gold AS (
      UPDATE players SET gold = gold + ${goldDelta}::bigint, updated_at = now()
      WHERE id = ${context.playerId}::uuid AND ${goldDelta}::bigint <> 0
      RETURNING gold
    ), wanted AS (
      SELECT item_id, delta, after, ord FROM unnest(${ids}::text[], ${deltas}::int[], ${afters}::int[]) WITH ORDINALITY AS w(item_id, delta, after, ord)
    ), items AS (
      UPDATE resources r SET quantity = r.quantity + w.delta, updated_at = now()
      FROM wanted w WHERE r.player_id = ${context.playerId}::uuid AND r.item_id = w.item_id
      RETURNING r.item_id, r.quantity
    ), ledger AS (
      INSERT INTO ledger_entries (id, player_id, asset, item_id, delta, reason, reference_id)
      SELECT ${gold?.ledgerId ?? null}::bigint, ${context.playerId}::uuid, 'gold'::ledger_asset, NULL, ${goldDelta}::int, ${context.reason}, ${context.referenceId}
      WHERE ${goldDelta}::bigint <> 0
      UNION ALL
      SELECT nextval(pg_get_serial_sequence('ledger_entries', 'id')), ${context.playerId}::uuid, 'item'::ledger_asset, w.item_id, w.delta, ${context.reason}, ${context.referenceId}
      FROM (SELECT * FROM wanted ORDER BY ord) w
    )
    -- 1/0 aborts the transaction when a row did not end where the locked values said it would.
    SELECT 1 / (CASE WHEN
      (SELECT count(*) FROM items i JOIN wanted w USING (item_id) WHERE i.quantity = w.after) = ${ids.length}::int
      AND (SELECT count(*) FROM items) = ${ids.length}::int
      AND ${goldAfter}::bigint IS NOT DISTINCT FROM (SELECT gold FROM gold)
    THEN 1 ELSE 0 END) AS ok`,
  );
  if (gold && goldAfter !== null) {
    context.events.push({
      type: 'gold_changed',
      key: context.playerId,
      payload: {
        playerId: context.playerId,
        delta: gold.delta,
        balance: goldAfter,
        reason: context.reason,
        referenceId: String(gold.ledgerId),
      },
    });
  }
  return { written, gold: goldAfter, items: items.map((i) => ({ itemId: i.itemId, quantity: i.before + i.delta })) };
}

/** One operation of {@link sendLockedBatchInTx}: its ledger rows share a reason and reference. */
export interface LockedBatchEntry {
  reason: string;
  referenceId: string;
  /** Gold spent or earned, with the id of its ledger row (drawn by the caller, like {@link LockedChanges}). */
  gold?: { delta: number; ledgerId: bigint | string };
  /** Resource changes, each with the id of its ledger row drawn by the caller (so rows keep operation order). */
  items: ReadonlyArray<{ itemId: string; delta: number; ledgerId: bigint | string }>;
}

/**
 * {@link sendLockedChangesInTx} for several operations of one player in one transaction (a batch of crafts): the
 * entries apply in order to the locked balances, the rows change once to the final balances, every entry keeps
 * its own ledger rows and gets its `gold_changed` (with the balance after it) to append. One statement, issued
 * without waiting, that aborts the transaction unless the rows end at the computed balances. The caller refused
 * what would leave 0..MAX_BALANCE at any step. Returns the statement and, per entry, the balances after it (the
 * items it changed) and its events.
 */
export function sendLockedBatchInTx(
  tx: Pick<DbTransaction, '$queryRaw'>,
  issuer: StatementIssuer,
  playerId: string,
  before: { gold: number; items: ReadonlyMap<string, number> },
  entries: readonly LockedBatchEntry[],
): {
  written: Promise<unknown>;
  after: Array<{ gold: number; items: Array<{ itemId: string; quantity: number }>; events: OutboxEventInput[] }>;
} {
  if (!isUuid(playerId)) throw new AppError('NOT_FOUND', 'no such player');
  let gold = before.gold;
  const held = new Map(before.items);
  const ledger = {
    ids: [] as string[],
    assets: [] as string[],
    items: [] as Array<string | null>,
    deltas: [] as number[],
    reasons: [] as string[],
    refs: [] as string[],
  };
  const row = (id: bigint | string, asset: string, itemId: string | null, delta: number, entry: LockedBatchEntry) => {
    ledger.ids.push(String(id));
    ledger.assets.push(asset);
    ledger.items.push(itemId);
    ledger.deltas.push(delta);
    ledger.reasons.push(entry.reason);
    ledger.refs.push(entry.referenceId);
  };
  const after = entries.map((entry) => {
    const items = [...entry.items].filter((i) => i.delta !== 0).sort((a, b) => (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0));
    if (new Set(items.map((i) => i.itemId)).size !== items.length)
      throw new Error('sendLockedBatchInTx: an item appears twice in an entry');
    const events: OutboxEventInput[] = [];
    if (entry.gold && entry.gold.delta !== 0) {
      gold += entry.gold.delta;
      if (!Number.isSafeInteger(entry.gold.delta) || gold < 0 || gold > MAX_BALANCE)
        throw new Error('sendLockedBatchInTx: the caller must refuse a change that leaves 0..MAX_BALANCE');
      row(entry.gold.ledgerId, 'gold', null, entry.gold.delta, entry);
      events.push({
        type: 'gold_changed',
        key: playerId,
        payload: { playerId, delta: entry.gold.delta, balance: gold, reason: entry.reason, referenceId: String(entry.gold.ledgerId) },
      });
    }
    for (const i of items) {
      const quantity = (held.get(i.itemId) ?? Number.NaN) + i.delta;
      // Only rows the caller locked (they exist) change here.
      if (!Number.isSafeInteger(quantity) || quantity < 0 || quantity > MAX_BALANCE)
        throw new Error('sendLockedBatchInTx: the caller must refuse a change that leaves 0..MAX_BALANCE (or change an unlocked row)');
      held.set(i.itemId, quantity);
      row(i.ledgerId, 'item', i.itemId, i.delta, entry);
    }
    return { gold, items: items.map((i) => ({ itemId: i.itemId, quantity: held.get(i.itemId) as number })), events };
  });
  const goldDelta = gold - before.gold;
  const changed = [...held].filter(([itemId, quantity]) => before.items.get(itemId) !== quantity).sort(([a], [b]) => (a < b ? -1 : 1));
  const ids = changed.map(([itemId]) => itemId);
  const deltas = changed.map(([itemId, quantity]) => quantity - (before.items.get(itemId) as number));
  const afters = changed.map(([, quantity]) => quantity);
  const written = issuer.issue(
    () => tx.$queryRaw`
    WITH gold AS (
      UPDATE players SET gold = gold + ${goldDelta}::bigint, updated_at = now()
      WHERE id = ${playerId}::uuid AND ${goldDelta}::bigint <> 0
      RETURNING gold
    ), wanted AS (
      SELECT item_id, delta, after FROM unnest(${ids}::text[], ${deltas}::int[], ${afters}::int[]) AS w(item_id, delta, after)
    ), items AS (
      UPDATE resources r SET quantity = r.quantity + w.delta, updated_at = now()
      FROM wanted w WHERE r.player_id = ${playerId}::uuid AND r.item_id = w.item_id
      RETURNING r.item_id, r.quantity
    ), ledger AS (
      INSERT INTO ledger_entries (id, player_id, asset, item_id, delta, reason, reference_id)
      SELECT l.id, ${playerId}::uuid, l.asset::ledger_asset, l.item_id, l.delta, l.reason, l.reference_id
      FROM unnest(${ledger.ids}::bigint[], ${ledger.assets}::text[], ${ledger.items}::text[], ${ledger.deltas}::int[],
        ${ledger.reasons}::text[], ${ledger.refs}::text[]) AS l(id, asset, item_id, delta, reason, reference_id)
    )
    -- 1/0 aborts the transaction when a row did not end where the locked values said it would.
    SELECT 1 / (CASE WHEN
      (SELECT count(*) FROM items i JOIN wanted w USING (item_id) WHERE i.quantity = w.after) = ${ids.length}::int
      AND (SELECT count(*) FROM items) = ${ids.length}::int
      AND (${goldDelta}::bigint = 0 OR ${gold}::bigint IS NOT DISTINCT FROM (SELECT gold FROM gold))
    THEN 1 ELSE 0 END) AS ok`,
  );
  return { written, after };
}

/** One ledger row as listed to its player. */
export interface LedgerEntryView {
  id: string;
  asset: 'gold' | 'item';
  itemId: string | null;
  delta: number;
  reason: string;
  referenceId: string | null;
  createdAt: Date;
}

/** Options of {@link listLedger}. */
export interface ListLedgerOptions {
  /** Rows per page (1-200). */
  limit: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
  asset?: 'gold' | 'item' | undefined;
  itemId?: string | undefined;
}

/**
 * A player's ledger, newest first, a page at a time (keyset pagination on the row id: stable while rows are
 * added). CURSOR_INVALID for a cursor this function did not issue.
 */
export async function listLedger(
  db: Pick<DbTransaction, '$queryRaw'>,
  playerId: string,
  options: ListLedgerOptions,
): Promise<{ entries: LedgerEntryView[]; nextCursor: string | null }> {
  if (!isUuid(playerId)) throw new AppError('NOT_FOUND', 'no such player');
  let before: string | null = null;
  if (options.cursor !== undefined) {
    if (!/^[1-9][0-9]{0,18}$/.test(options.cursor)) throw new AppError('CURSOR_INVALID', 'not a ledger cursor');
    before = options.cursor;
  }
  const asset = options.asset ?? null;
  const itemId = options.itemId ?? null;
  const rows = await db.$queryRaw<
    Array<{
      id: bigint;
      asset: 'gold' | 'item';
      item_id: string | null;
      delta: number;
      reason: string;
      reference_id: string | null;
      created_at: Date;
    }>
  >`
    SELECT id, asset::text AS asset, item_id, delta, reason, reference_id, created_at FROM ledger_entries
    WHERE player_id = ${playerId}::uuid
      AND (${before}::bigint IS NULL OR id < ${before}::bigint)
      AND (${asset}::text IS NULL OR asset::text = ${asset}::text)
      AND (${itemId}::text IS NULL OR item_id = ${itemId}::text)
    ORDER BY id DESC LIMIT ${options.limit + 1}`;
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  return {
    entries: page.map((r) => ({
      id: String(r.id),
      asset: r.asset,
      itemId: r.item_id,
      delta: r.delta,
      reason: r.reason,
      referenceId: r.reference_id,
      createdAt: r.created_at,
    })),
    nextCursor: rows.length > options.limit && last ? String(last.id) : null,
  };
}
