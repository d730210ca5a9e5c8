/**
 * Crafts of one player, coalesced: while a player's craft transaction runs, that player's next crafts wait in this
 * process and then run together in ONE transaction (one key claim statement, one set of row locks, one write of the
 * balances, one COMMIT), instead of each taking the player's row lock in turn.
 *
 * Why: every craft locks its player's row from its first round trip to its COMMIT, so one player's crafts are serial
 * however many arrive; measured with 100 in flight on one player, each held the lock ~4 ms (two round trips through a
 * busy event loop plus the commit) and PostgreSQL spent more CPU on the waiting backends than on the crafts (the
 * economy bench: 272 crafts/s). A batch holds the lock once for all of them.
 *
 * What each craft still gets, exactly as alone (crafting/index.ts + idempotency/index.ts):
 * - its own Idempotency-Key row, claimed in the transaction of its effect; a key another request holds answers the
 *   stored response (replayed), IDEMPOTENCY_KEY_REUSED or _IN_PROGRESS. Two requests with one key never share a batch
 *   (the second waits for the next one, where it finds the first's stored response);
 * - its own check by the pure rules ({@link decideCraft}), in arrival order, against the balances the crafts before
 *   it in the batch left: a refusal (INSUFFICIENT_RESOURCES...) is stored with its key and writes nothing;
 * - its own card, ledger rows (ids drawn under the lock, in craft order), `gold_changed` with the balance after it,
 *   `crafted`, and stored response.
 * All of a batch commits or none of it. When the batch transaction fails (a lost connection, a statement error),
 * each of its crafts runs again alone, in order, on the single-craft path: a key whose batch did commit answers its
 * stored response there, so nothing runs twice.
 *
 * Crafts that offer cards (card inputs) run alone, on the single path: their card locks and checks stay as they are.
 * Across processes nothing changes: each process batches its own requests and the batches queue on the row lock.
 */
import { randomUUID } from 'node:crypto';
import { AppError, type ErrorBody, toErrorResponse } from '@harvest/shared/errors';
import type { RecipeDefinition } from '@harvest/shared/schemas';
import {
  type IdempotencyScope,
  type IdempotentOutcome,
  isStoredRefusal,
  replayOf,
  runIdempotentPipelined,
  type StoredKeyRow,
  type StoredResponse,
} from '../idempotency/index.ts';
import type { Db } from '../index.ts';
import { contentIndex } from '../inventory/content.ts';
import { isUuid, type LockedBatchEntry, sendLockedBatchInTx } from '../ledger/index.ts';
import { appendEvents, type OutboxEventInput } from '../outbox/index.ts';
import { runPipelined } from '../sql/index.ts';
import {
  type CraftDecision,
  type CraftInput,
  type CraftOutcome,
  decideCraft,
  lockCraftInputsInTx,
  prepareCraftInTx,
  sendCraftInTx,
  unlockedRecipesInTx,
} from './index.ts';

/** One craft for a {@link CraftBatcher}. */
export interface CraftRequest<B> {
  /** The Idempotency-Key and request hash; `scope.playerId` must equal `input.playerId`. */
  scope: IdempotencyScope;
  input: CraftInput;
  /** The success response to store and send, built from what the craft did. */
  respond(outcome: CraftOutcome): StoredResponse<B>;
}

/** Runs crafts, coalescing each player's concurrent crafts (see the module comment). */
export interface CraftBatcher {
  craft<B>(request: CraftRequest<B>): Promise<IdempotentOutcome<B>>;
  /** How the batches went since the start: crafts, transactions, batches that fell back to the single path. */
  stats(): { crafts: number; transactions: number; fallbacks: number; largestBatch: number };
}

/** Options of {@link createCraftBatcher}. */
export interface CraftBatcherOptions {
  /** Most crafts in one transaction (default 64): bounds the statement sizes and how long the lock is held. */
  maxBatch?: number;
}

interface Pending {
  request: CraftRequest<unknown>;
  resolve(outcome: IdempotentOutcome<unknown>): void;
  reject(error: unknown): void;
}

/** A craft of a batch after the rules: refused (stored), replayed (another request's key), or made. */
type Decided =
  | { kind: 'refused'; pending: Pending; response: StoredResponse<ErrorBody> }
  | { kind: 'replay'; pending: Pending }
  | {
      kind: 'made';
      pending: Pending;
      recipe: RecipeDefinition;
      crafted: CraftDecision;
      cardId: string;
      entry: LockedBatchEntry;
    };

/** The coalescing craft runner of one process (the game-api makes one per app). */
export function createCraftBatcher(db: Db, options: CraftBatcherOptions = {}): CraftBatcher {
  const maxBatch = Math.max(1, options.maxBatch ?? 64);
  // A player's entry exists while one of their batches runs; it holds the crafts that arrived meanwhile.
  const queues = new Map<string, Pending[]>();
  const counters = { crafts: 0, transactions: 0, fallbacks: 0, largestBatch: 0 };

  const alone = (p: Pending) => p.request.input.cardIds.length > 0;

  async function drain(playerId: string, queue: Pending[]): Promise<void> {
    try {
      await drainQueue(playerId, queue);
    } finally {
      // Only reached with crafts left if this code has a bug: they fail instead of waiting forever.
      for (const p of queue.splice(0)) p.reject(new AppError('INTERNAL', 'the craft queue stopped'));
      queues.delete(playerId);
    }
  }

  async function drainQueue(playerId: string, queue: Pending[]): Promise<void> {
    while (queue.length > 0) {
      // The next batch in arrival order: distinct keys, at most maxBatch, and a craft with cards on its own.
      const batch: Pending[] = [];
      const keys = new Set<string>();
      const rest: Pending[] = [];
      for (const p of queue) {
        const first = batch[0];
        const fits =
          first === undefined ||
          (batch.length < maxBatch &&
            !keys.has(p.request.scope.key) &&
            !alone(p) &&
            !alone(first) &&
            // One game-data version per batch (the unlocked recipes are read against it).
            p.request.input.content === first.request.input.content);
        if (fits) {
          batch.push(p);
          keys.add(p.request.scope.key);
        } else rest.push(p);
      }
      queue.splice(0, queue.length, ...rest);
      counters.crafts += batch.length;
      counters.largestBatch = Math.max(counters.largestBatch, batch.length);
      if (batch.length === 1) {
        await runSingle(batch[0] as Pending);
        continue;
      }
      try {
        counters.transactions++;
        const outcomes = await runBatch(playerId, batch);
        batch.forEach((p, i) => {
          const outcome = outcomes[i] as IdempotentOutcome<unknown> | Error;
          if (outcome instanceof Error) p.reject(outcome);
          else p.resolve(outcome);
        });
      } catch {
        // Nothing of the batch is known to have committed: each craft runs alone (a committed key replays).
        counters.fallbacks++;
        for (const p of batch) await runSingle(p);
      }
    }
  }

  /** The single-craft path: two round trips, its own transaction. */
  async function runSingle(p: Pending): Promise<void> {
    counters.transactions++;
    const { scope, input, respond } = p.request;
    try {
      p.resolve(
        await runIdempotentPipelined(db, scope, {
          prepare: (tx) => prepareCraftInTx(tx.raw, tx.issuer, input),
          write: (tx, prepared) => respond(sendCraftInTx(tx.raw, tx.issuer, prepared).outcome),
        }),
      );
    } catch (error) {
      p.reject(error);
    }
  }

  /**
   * One transaction for the batch, two round trips: [BEGIN, claim every key, lock the player and the union of the
   * input resources, draw the ledger ids] then [the cards, the balances and ledger rows, the events, the stored
   * responses, the replayed keys' rows, COMMIT]. Returns each craft's outcome or its error (for replays); throws
   * when the transaction did not commit.
   */
  async function runBatch(playerId: string, batch: Pending[]): Promise<Array<IdempotentOutcome<unknown> | Error>> {
    const recipes = batch.map((p) => contentIndex(p.request.input.content).recipes.get(p.request.input.recipeId));
    const itemIds = [...new Set(recipes.flatMap((r) => r?.inputs.items.map((i) => i.item) ?? []))].sort();
    // One ledger id for each balance a craft may change (gold and each input item), drawn in order under the lock.
    const idCount = recipes.reduce((n, r) => n + (r ? 1 + r.inputs.items.length : 0), 0);
    const exclusive = recipes.some((r) => r?.exclusive);
    return runPipelined(db, async (tx) => {
      const claim = tx.query<{ key: string }>`
        INSERT INTO idempotency_keys (player_id, key, request_hash)
        SELECT ${playerId}::uuid, k, h FROM unnest(${batch.map((p) => p.request.scope.key)}::text[], ${batch.map((p) => p.request.scope.requestHash)}::text[]) AS t(k, h)
        ON CONFLICT (player_id, key) DO NOTHING RETURNING key`;
      const locked = lockCraftInputsInTx(tx.raw, playerId, itemIds, idCount);
      const unlocked = exclusive
        ? tx.issuer.issue(() => unlockedRecipesInTx(tx.raw, playerId, (batch[0] as Pending).request.input.content))
        : Promise.resolve(new Map<string, string>());
      const [claimed, rows, unlockedBy] = await Promise.all([claim, locked, unlocked]);
      const claimedKeys = new Set(claimed.map((c) => c.key));
      const player = rows[0];
      const held = new Map((player?.items ?? []).map((r) => [r.item_id, r.quantity]));
      const before = { gold: player?.gold ?? 0, items: new Map(held) };
      let gold = before.gold;
      const ledgerIds = [...(player?.ledger_ids ?? [])];

      const decided: Decided[] = batch.map((pending, i) => {
        if (!claimedKeys.has(pending.request.scope.key)) return { kind: 'replay', pending };
        const { input } = pending.request;
        const recipe = recipes[i];
        try {
          if (!player || !isUuid(input.playerId)) throw new AppError('NOT_FOUND', 'no such player');
          if (!recipe) throw new AppError('RECIPE_NOT_FOUND', `no recipe "${input.recipeId}"`, { recipeId: input.recipeId });
          const crafted = decideCraft(input, recipe, { gold, held, cards: [], unlocked: unlockedBy });
          const cardId = randomUUID();
          const entry: LockedBatchEntry = { reason: 'craft', referenceId: `craft:${cardId}`, items: [] };
          if (crafted.consumed.gold > 0) entry.gold = { delta: -crafted.consumed.gold, ledgerId: ledgerIds.shift() as string };
          gold -= crafted.consumed.gold;
          const consumed = new Map<string, number>();
          for (const c of crafted.consumed.items) consumed.set(c.item, (consumed.get(c.item) ?? 0) + c.quantity);
          entry.items = [...consumed]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([itemId, quantity]) => {
              held.set(itemId, (held.get(itemId) ?? 0) - quantity);
              return { itemId, delta: -quantity, ledgerId: ledgerIds.shift() as string };
            });
          return { kind: 'made', pending, recipe, crafted, cardId, entry };
        } catch (error) {
          // A refusal is stored with its key like on the single path; anything else fails the batch.
          if (!isStoredRefusal(error)) throw error;
          return { kind: 'refused', pending, response: toErrorResponse(error) };
        }
      });

      const made = decided.filter((d) => d.kind === 'made');
      const createdAt = new Date(player?.created_at ?? Date.now());
      const events: OutboxEventInput[] = [];
      const responses = new Map<Pending, { status: number; text: string }>();
      if (made.length > 0) {
        void tx.query`
          INSERT INTO card_instances (id, definition_id, owner_id, origin, crafted_by_id, recipe_id, crafted_at, state, content_version, created_at)
          SELECT c.id, c.def, ${playerId}::uuid, 'crafted'::card_origin, ${playerId}::uuid, c.recipe_id, c.crafted_at, 'in_game'::card_state, c.version, ${createdAt}
          FROM unnest(${made.map((m) => m.cardId)}::uuid[], ${made.map((m) => m.crafted.def)}::text[], ${made.map((m) => m.recipe.id)}::text[],
            ${made.map((m) => new Date(m.pending.request.input.now))}::timestamptz[], ${made.map((m) => m.pending.request.input.content.version)}::int[])
            AS c(id, def, recipe_id, crafted_at, version)`;
        const balances = sendLockedBatchInTx(
          tx.raw,
          tx.issuer,
          playerId,
          before,
          made.map((m) => m.entry),
        );
        made.forEach((m, i) => {
          const { input } = m.pending.request;
          const after = balances.after[i] as (typeof balances.after)[number];
          // Each craft's gold_changed, then its crafted: the order of the single path.
          events.push(...after.events, {
            type: 'crafted',
            key: playerId,
            payload: {
              playerId,
              recipeId: m.recipe.id,
              cardId: m.cardId,
              definitionId: m.crafted.def,
              contentVersion: input.content.version,
            },
            occurredAt: new Date(input.now),
          });
          const outcome: CraftOutcome = {
            craftId: m.cardId,
            recipeId: m.recipe.id,
            card: {
              id: m.cardId,
              definitionId: m.crafted.def,
              state: 'in_game',
              origin: 'crafted',
              crafted: { byPlayerId: playerId, recipeId: m.recipe.id, at: new Date(input.now) },
              contentVersion: input.content.version,
              tokenId: null,
              createdAt,
            },
            consumed: {
              gold: m.crafted.consumed.gold,
              items: m.crafted.consumed.items.map((c) => ({ itemId: c.item, quantity: c.quantity })),
              cardIds: [],
            },
            balances: { gold: after.gold, items: after.items },
          };
          const response = m.pending.request.respond(outcome);
          responses.set(m.pending, { status: response.status, text: JSON.stringify(response.body) });
        });
        void tx.issuer.issue(() => appendEvents(tx.raw, events));
      }
      for (const d of decided) {
        if (d.kind === 'refused') responses.set(d.pending, { status: d.response.status, text: JSON.stringify(d.response.body) });
      }
      const stored = [...responses];
      if (stored.length > 0) {
        void tx.query`
          UPDATE idempotency_keys k SET response_status = v.status, response_body = v.body
          FROM unnest(${stored.map(([p]) => p.request.scope.key)}::text[], ${stored.map(([, r]) => r.status)}::int[], ${stored.map(([, r]) => r.text)}::jsonb[])
            AS v(key, status, body)
          WHERE k.player_id = ${playerId}::uuid AND k.key = v.key`;
      }
      const replays = decided.filter((d) => d.kind === 'replay');
      const replayRows =
        replays.length > 0
          ? tx.query<StoredKeyRow & { key: string }>`
              SELECT key, request_hash, response_status, response_body FROM idempotency_keys
              WHERE player_id = ${playerId}::uuid AND key = ANY(${replays.map((d) => d.pending.request.scope.key)}::text[])`
          : Promise.resolve([]);
      await tx.commit();
      const rowsByKey = new Map((await replayRows).map((r) => [r.key, r]));
      return decided.map((d) => {
        if (d.kind === 'replay') {
          try {
            return replayOf<unknown>(rowsByKey.get(d.pending.request.scope.key), d.pending.request.scope.requestHash);
          } catch (error) {
            return error as Error;
          }
        }
        const response = responses.get(d.pending) as { status: number; text: string };
        return { status: response.status, body: JSON.parse(response.text) as unknown, replayed: false };
      });
    });
  }

  return {
    craft<B>(request: CraftRequest<B>): Promise<IdempotentOutcome<B>> {
      if (request.scope.playerId !== request.input.playerId) throw new Error('a craft request names two players');
      return new Promise<IdempotentOutcome<B>>((resolve, reject) => {
        const pending: Pending = {
          request: request as CraftRequest<unknown>,
          resolve: resolve as (outcome: IdempotentOutcome<unknown>) => void,
          reject,
        };
        const playerId = request.scope.playerId;
        const queue = queues.get(playerId);
        if (queue) {
          queue.push(pending);
          return;
        }
        const fresh = [pending];
        queues.set(playerId, fresh);
        void drain(playerId, fresh);
      });
    },
    stats: () => ({ ...counters }),
  };
}
