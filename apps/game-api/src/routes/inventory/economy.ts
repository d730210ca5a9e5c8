/**
 * What the economy routes (inventory, ledger, farm, shop, recipes, crafts, decks) share: their options, the
 * published game data, per-player write limits, the starter-grant catch-up, Idempotency-Key handling and the wire
 * schemas of cards and balances.
 */
import { createHash } from 'node:crypto';
import {
  type CardView,
  contentIndex,
  type Db,
  ensureStarterGrant,
  type GameContent,
  runIdempotent,
  type StoredResponse,
} from '@harvest/db';
import { AppError, isAppError } from '@harvest/shared/errors';
import { canonicalJson } from '@harvest/shared/gamedata';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RateLimiter } from '../../auth/rate-limit.ts';
import type { InventoryCache } from './cache.ts';

/** Options every economy route plugin receives. */
export interface EconomyRouteOptions {
  db: Db;
  /** The published game data now (GAME_DATA_UNAVAILABLE when none is). */
  content: () => Promise<GameContent>;
  limiter: RateLimiter;
  /** Server time (ms): the only clock of farming and crafting. */
  now: () => number;
  /** State-changing requests per player per minute (crafts, trades, farm actions, deck edits). */
  writesPerMinute: number;
  /** The read cache of GET /v1/inventory (./cache.ts); absent: every read goes to the database. */
  inventoryCache?: InventoryCache;
}

/**
 * Wraps a game-data loader: concurrent calls share one load (single flight: the loader answers from its cache
 * almost always, and a burst of requests after its cache expires asks the database once), and "nothing published"
 * becomes a retryable 503 instead of a 404.
 */
export function contentSource(load: () => Promise<GameContent>): () => Promise<GameContent> {
  let inFlight: Promise<GameContent> | null = null;
  return async () => {
    if (!inFlight) {
      inFlight = load().finally(() => {
        inFlight = null;
      });
    }
    try {
      return await inFlight;
    } catch (error) {
      if (isAppError(error, 'GAMEDATA_NOT_PUBLISHED'))
        throw new AppError('GAME_DATA_UNAVAILABLE', 'no game data is published yet; retry later');
      throw error;
    }
  };
}

/** Counts one state-changing request of the player (RATE_LIMITED with Retry-After past the limit). */
export function limitWrites(options: EconomyRouteOptions, playerId: string): Promise<void> {
  return options.limiter.hit([{ key: `economy:player:${playerId}`, limit: options.writesPerMinute, windowSeconds: 60 }]);
}

/**
 * Gives a player the starter grant if an earlier sign-in could not (no game data was published then). Returns
 * whether it ran, i.e. whether what the caller read before may be stale (the grant may also have been given by a
 * concurrent request).
 */
export async function catchUpStarterGrant(options: EconomyRouteOptions, playerId: string, granted: boolean): Promise<boolean> {
  if (granted) return false;
  await ensureStarterGrant(options.db, playerId);
  return true;
}

/** A UUID path or body id, lower-cased (PostgreSQL prints them so). */
export const uuidSchema = z.uuid().transform((id) => id.toLowerCase());

/** Cursor pagination query. */
export const pageQuerySchema = {
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Items per page (1-200, default 50).'),
  cursor: z.string().min(1).max(200).optional().describe('The `nextCursor` of the previous page.'),
};

/** A content id (item, crop, recipe, card definition). */
export const contentIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'a lower-case kebab-case id');

/** The Idempotency-Key header of a state-changing request. */
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, '1-255 visible ASCII characters')
    .optional()
    .describe('Makes the request safe to retry: the same key with the same body answers the stored response.'),
});

/** A card as the API shows it. */
export const cardSchema = z.object({
  id: z.uuid(),
  definitionId: z.string(),
  name: z.string().nullable(),
  rarity: z.string().nullable(),
  element: z.string().nullable(),
  state: z.enum(['in_game', 'in_match', 'minting', 'on_chain', 'consumed', 'burned']),
  origin: z.enum(['starter', 'crafted', 'reward']),
  provenance: z
    .object({ craftedBy: z.uuid().nullable(), recipeId: z.string(), craftedAt: z.iso.datetime(), contentVersion: z.number().int() })
    .nullable()
    .describe('Crafted cards: who crafted it, with which recipe, when and under which game-data version.'),
  contentVersion: z.number().int(),
  tokenId: z.string().nullable(),
  createdAt: z.iso.datetime(),
});

/** The wire form of a card. */
export function cardBody(card: CardView, content: GameContent | null): z.infer<typeof cardSchema> {
  const def = content ? contentIndex(content).cards.get(card.definitionId) : undefined;
  return {
    id: card.id,
    definitionId: card.definitionId,
    name: def?.name ?? null,
    rarity: def?.rarity ?? null,
    element: def?.element ?? null,
    state: card.state,
    origin: card.origin,
    provenance: card.crafted
      ? {
          craftedBy: card.crafted.byPlayerId,
          recipeId: card.crafted.recipeId,
          craftedAt: card.crafted.at.toISOString(),
          contentVersion: card.contentVersion,
        }
      : null,
    contentVersion: card.contentVersion,
    tokenId: card.tokenId,
    createdAt: card.createdAt.toISOString(),
  };
}

/** An item quantity on the wire. */
export const itemQuantitySchema = z.object({ itemId: z.string(), quantity: z.number().int() });

/** Hash of what identifies a request for its Idempotency-Key: method, route and canonical body. */
export function requestHash(request: FastifyRequest, body: unknown): string {
  return createHash('sha256')
    .update(`${request.method} ${request.routeOptions.url ?? request.url}\n${canonicalJson(body ?? null)}`)
    .digest('hex');
}

/**
 * Whether a database error is a write conflict (deadlock, serialisation failure) that a retry resolves: Prisma's
 * codes, or PostgreSQL's own (40P01, 40001) from the pipelined paths on plain pg.
 */
function isWriteConflict(error: unknown): boolean {
  const e = error as { code?: string; meta?: { driverAdapterError?: { cause?: { kind?: string } } } };
  return (
    e?.code === 'P2034' ||
    e?.code === '40P01' ||
    e?.code === '40001' ||
    e?.meta?.driverAdapterError?.cause?.kind === 'TransactionWriteConflict'
  );
}

/**
 * Whether a database error is the pool or a transaction timing out (busy: retry later): Prisma's codes, or a
 * statement cancelled by the pipelined paths' statement_timeout (57014).
 */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === 'P2024' || code === 'P2028' || code === '57014';
}

/**
 * Runs a transaction, retrying write conflicts (the services lock in a fixed order, so these should not happen;
 * this is the safety net) and turning pool and transaction timeouts into a retryable 503 instead of a 500.
 */
export async function withDbRetry<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (isWriteConflict(error) && attempt < attempts) continue;
      if (isWriteConflict(error) || isBusy(error)) throw new AppError('SERVICE_UNAVAILABLE', 'the database is busy; retry');
      throw error;
    }
  }
}

/**
 * Runs a state-changing operation, idempotently when the request carries an Idempotency-Key, and sends its
 * response; a replay carries `Idempotent-Replayed: true`. (Crafts, which require a key, run pipelined instead.)
 */
export async function sendIdempotent<B>(
  options: EconomyRouteOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  input: { playerId: string; body: unknown },
  operation: (tx: Parameters<Parameters<Db['$transaction']>[0]>[0]) => Promise<StoredResponse<B>>,
): Promise<FastifyReply> {
  const key = (request.headers as Record<string, string | undefined>)['idempotency-key'];
  if (key === undefined) {
    const response = await withDbRetry(() => options.db.$transaction(operation, { maxWait: 10_000, timeout: 20_000 }));
    return reply.code(response.status).send(response.body);
  }
  const scope = { playerId: input.playerId, key, requestHash: requestHash(request, input.body) };
  const outcome = await withDbRetry(() => runIdempotent(options.db, scope, operation));
  if (outcome.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(outcome.status).send(outcome.body);
}
