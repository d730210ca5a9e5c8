/**
 * Mint requests: `POST /v1/mints` (cards, or one land parcel, to one of the player's linked wallets; an
 * Idempotency-Key is required; guests are refused), `GET /v1/mints/:id` and `GET /v1/mints` (the player's own).
 * The request is written, and each card moved in_game -> minting, in one transaction (packages/db mints); then a
 * job carrying the request id is added to the minter's BullMQ queue. That job only wakes the minter: the database
 * is the queue of record, so a request whose job was lost (a crash between commit and add, Redis down) is picked
 * up by the minter's next batcher pass anyway.
 *
 * Admins: `GET /v1/admin/mints/dead-letters` and `POST /v1/admin/mints/dead-letters/:batchId/retry`.
 */
import { randomUUID } from 'node:crypto';
import {
  createMintRequestInTx,
  type Db,
  getMintRequest,
  listDeadMintBatches,
  listMintRequests,
  MAX_CARDS_PER_MINT_REQUEST,
  type MintContracts,
  type MintRequestView,
  reviveDeadMintBatch,
  runIdempotent,
} from '@harvest/db';
import { errorResponses } from '@harvest/service';
import { AppError } from '@harvest/shared/errors';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RateLimiter } from '../../auth/rate-limit.ts';
import { claimsOf } from '../../plugins/auth.ts';
import { idempotencyHeaders, requestHash, withDbRetry } from '../inventory/economy.ts';

/** Where mint jobs go: the minter's queues (see apps/minter/src/runtime.ts for the names). */
export interface MintJobs {
  /** Adds `{ requestId }` to the request queue with the request id as job id. */
  requested(requestId: string): Promise<void>;
  /** Adds a retry job for a dead-lettered batch. */
  retryBatch(batchId: string): Promise<void>;
}

/** Options of {@link mintRoutes}. */
export interface MintRouteOptions {
  db: Db;
  chainId: number;
  /** The collections of `chainId` (null while no deployments file is readable: MINTING_UNAVAILABLE). */
  contracts: () => MintContracts | null;
  jobs: MintJobs;
  limiter: RateLimiter;
  /** Mint requests per player per minute. */
  requestsPerMinute: number;
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed 20-byte hex address');
const uuid = z.uuid().transform((id) => id.toLowerCase());

const mintBody = z
  .object({
    walletAddress: address.describe('One of your linked wallets; the tokens go there.'),
    cardIds: z.array(uuid).min(1).max(MAX_CARDS_PER_MINT_REQUEST).optional().describe('Cards to mint (yours, in game).'),
    landId: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/)
      .optional()
      .describe('A land parcel to mint (yours, not yet a token).'),
  })
  .strict()
  .refine((b) => (b.cardIds === undefined) !== (b.landId === undefined), { message: 'send either cardIds or landId' });

const itemSchema = z.object({
  id: z.uuid(),
  position: z.number().int(),
  cardId: z.uuid().nullable(),
  landId: z.string().nullable(),
  contract: z.string(),
  tokenId: z.string().describe('The uint256 token id (decimal), derived from the card or parcel.'),
  status: z.enum(['queued', 'batched', 'submitted', 'mined', 'confirmed', 'failed']),
  txHash: z.string().nullable(),
  blockNumber: z.string().nullable(),
  failureCode: z.string().nullable(),
  failureReason: z.string().nullable().describe('Why it failed, for the player to read.'),
  confirmedAt: z.iso.datetime().nullable(),
});

const requestSchema = z.object({
  id: z.uuid(),
  kind: z.enum(['card', 'land']),
  chainId: z.number().int(),
  walletAddress: z.string(),
  status: z.enum(['pending', 'confirmed', 'failed', 'partial']),
  failureReason: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  items: z.array(itemSchema),
});

type RequestBody = z.infer<typeof requestSchema>;

/** The wire form of a request. */
export function mintRequestBody(view: MintRequestView): RequestBody {
  return {
    id: view.id,
    kind: view.kind,
    chainId: view.chainId,
    walletAddress: view.walletAddress,
    status: view.status,
    failureReason: view.failureReason,
    createdAt: view.createdAt.toISOString(),
    updatedAt: view.updatedAt.toISOString(),
    finishedAt: view.finishedAt?.toISOString() ?? null,
    items: view.items.map((i) => ({ ...i, confirmedAt: i.confirmedAt?.toISOString() ?? null })),
  };
}

/** The mint routes. */
export async function mintRoutes(app: FastifyInstance, options: MintRouteOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.post(
    '/v1/mints',
    {
      onRequest: app.requireFullAccount,
      schema: {
        tags: ['mints'],
        summary: 'Ask for cards or a land parcel to become tokens in one of your linked wallets',
        description:
          'Answers 202 with the request (status `pending`); its cards are `minting` until confirmed (`on_chain`) or failed ' +
          '(back `in_game`, each item with a `failureReason`). Requires an Idempotency-Key; guests get 403 GUEST_NOT_ALLOWED.',
        security: [{ bearer: [] }],
        headers: idempotencyHeaders,
        body: mintBody,
        response: { 202: requestSchema, ...errorResponses(401, 403, 404, 409, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const playerId = claimsOf(request).sub;
      await options.limiter.hit([{ key: `mints:player:${playerId}`, limit: options.requestsPerMinute, windowSeconds: 60 }]);
      const key = (request.headers as Record<string, string | undefined>)['idempotency-key'];
      if (key === undefined)
        throw new AppError('IDEMPOTENCY_KEY_REQUIRED', 'send an Idempotency-Key header (e.g. a fresh UUID per mint request)');
      const contracts = options.contracts();
      if (!contracts) throw new AppError('MINTING_UNAVAILABLE', `no contracts are deployed for chain ${options.chainId}`);
      const body = request.body;
      const outcome = await withDbRetry(() =>
        runIdempotent(options.db, { playerId, key, requestHash: requestHash(request, body) }, async (tx) => {
          const view = await createMintRequestInTx(tx, {
            playerId,
            chainId: options.chainId,
            walletAddress: body.walletAddress,
            contracts,
            cardIds: body.cardIds,
            landId: body.landId,
          });
          return { status: 202, body: mintRequestBody(view) };
        }),
      );
      if (outcome.status === 202) {
        const id = (outcome.body as RequestBody).id;
        await options.jobs
          .requested(id)
          .catch((error: unknown) =>
            request.log.warn({ err: error, requestId: id }, 'mint job not queued; the minter picks the request up on its next pass'),
          );
      }
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      // A replayed refusal keeps its stored status (404, 409, 422, ...).
      return reply.code(outcome.status as 202).send(outcome.body as RequestBody);
    },
  );

  api.get(
    '/v1/mints/:id',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['mints'],
        summary: 'One of your mint requests, with each token’s status, transaction and failure reason',
        security: [{ bearer: [] }],
        params: z.object({ id: z.string().max(64) }),
        response: { 200: requestSchema, ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      mintRequestBody(await getMintRequest(options.db, { playerId: claimsOf(request).sub, requestId: request.params.id.toLowerCase() })),
  );

  api.get(
    '/v1/mints',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['mints'],
        summary: 'Your mint requests, newest first',
        security: [{ bearer: [] }],
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(200).default(50),
          cursor: z.string().min(1).max(200).optional(),
        }),
        response: { 200: z.object({ requests: z.array(requestSchema), nextCursor: z.string().nullable() }), ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const page = await listMintRequests(options.db, {
        playerId: claimsOf(request).sub,
        limit: request.query.limit,
        cursor: request.query.cursor,
      });
      return { requests: page.requests.map(mintRequestBody), nextCursor: page.nextCursor };
    },
  );

  const deadLetter = z.object({
    id: z.uuid(),
    chainId: z.number().int(),
    contract: z.string(),
    provider: z.string(),
    lastError: z.string().nullable(),
    items: z.number().int().describe('Items still waiting in the batch.'),
    transactions: z.number().int().describe('Transactions journaled for it; 0 means nothing reached the chain.'),
    updatedAt: z.iso.datetime(),
  });

  api.get(
    '/v1/admin/mints/dead-letters',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        tags: ['mints', 'admin'],
        summary: 'Mint batches whose retries ran out (admins)',
        security: [{ bearer: [] }],
        response: { 200: z.object({ deadLetters: z.array(deadLetter) }), ...errorResponses(401, 403) },
      },
    },
    async () => ({
      deadLetters: (await listDeadMintBatches(options.db)).map((d) => ({ ...d, updatedAt: d.updatedAt.toISOString() })),
    }),
  );

  api.post(
    '/v1/admin/mints/dead-letters/:batchId/retry',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        tags: ['mints', 'admin'],
        summary: 'Give a dead-lettered mint batch another round of attempts (admins)',
        security: [{ bearer: [] }],
        params: z.object({ batchId: uuid }),
        response: { 202: z.object({ batchId: z.uuid(), queued: z.literal(true) }), ...errorResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { batchId } = request.params;
      await reviveDeadMintBatch(options.db, batchId);
      await options.jobs.retryBatch(batchId);
      request.log.info({ batchId, admin: claimsOf(request).sub }, 'dead mint batch retried');
      return reply.code(202).send({ batchId, queued: true as const });
    },
  );
}

/** Job ids of admin retries: unique per call, so a retry never collides with the batch's earlier jobs. */
export function retryJobId(batchId: string): string {
  return `${batchId}-retry-${randomUUID()}`;
}
