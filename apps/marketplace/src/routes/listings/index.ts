/**
 * Listings: accept a signed order (POST), search live listings (GET), one listing with its order and signature (for
 * the buyer's `fill`), and the maker's signed soft cancel.
 */
import { cancelListing, getListing, searchListings } from '@harvest/db';
import { errorResponses } from '@harvest/service';
import { AppError } from '@harvest/shared/errors';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { getAddress } from 'viem';
import { z } from 'zod';
import { acceptOrder } from '../../orders.ts';
import { type MarketDeps, nowSeconds } from '../deps.ts';
import {
  addressSchema,
  hexSchema,
  listingDetailSchema,
  listingSchema,
  orderHashSchema,
  orderSchema,
  uintStringSchema,
  wordListSchema,
} from '../schemas.ts';
import { listingBody, listingDetailBody } from '../views.ts';

const MINUTE = '1 minute';

/** The listing routes under /api/listings. */
export async function listingRoutes(app: FastifyInstance, deps: MarketDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const write = { rateLimit: { max: deps.rateLimits.write, timeWindow: MINUTE } };

  api.post(
    '/api/listings',
    {
      config: write,
      schema: {
        tags: ['listings'],
        summary: 'List a token: a signed sell order, accepted only if it can be filled now',
        description:
          'Refusals, each with its code: MARKET_WRONG_CHAIN, MARKET_COLLECTION_UNSUPPORTED, MARKET_CURRENCY_UNSUPPORTED, MARKET_PRICE_INVALID, ' +
          'MARKET_ORDER_NOT_STARTED, MARKET_ORDER_EXPIRED, MARKET_ORDER_WINDOW_TOO_LONG, MARKET_SIGNATURE_INVALID, MARKET_COUNTER_STALE, ' +
          'MARKET_ORDER_CLOSED, MARKET_NOT_APPROVED, MARKET_NOT_OWNER, TOKEN_NOT_FOUND, MARKET_CARD_LOCKED, MARKET_TOKEN_UNAVAILABLE, ' +
          'MARKET_ALREADY_LISTED. The same order again answers 200 with the existing listing.',
        body: z.object({ chainId: z.number().int().positive(), order: orderSchema, signature: hexSchema }).strict(),
        response: { 200: listingDetailSchema, 201: listingDetailSchema, ...errorResponses(404, 409, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const { listing, created } = await acceptOrder(deps, request.body);
      if (created) deps.searchCache?.invalidate();
      if (created) request.log.info({ orderHash: listing.orderHash, maker: listing.maker, tokenId: listing.tokenId }, 'listing created');
      return reply.code(created ? 201 : 200).send(listingDetailBody(listing));
    },
  );

  api.get(
    '/api/listings',
    {
      schema: {
        tags: ['listings'],
        summary: 'Live listings (fillable now), filtered, sorted by price or newest, a page at a time',
        querystring: z
          .object({
            asset: z.enum(['card', 'land']).optional(),
            rarity: wordListSchema.optional().describe('Comma-separated rarities.'),
            element: wordListSchema.optional().describe('Comma-separated elements.'),
            biome: wordListSchema.optional().describe('Comma-separated land biomes.'),
            definition: z
              .string()
              .regex(/^[a-z0-9_-]{1,80}$/)
              .optional()
              .describe('A card definition id.'),
            seller: addressSchema.optional(),
            currency: addressSchema.optional(),
            minPrice: uintStringSchema.optional(),
            maxPrice: uintStringSchema.optional(),
            sort: z.enum(['price_asc', 'price_desc', 'newest']).default('newest'),
            limit: z.coerce.number().int().min(1).max(100).default(24),
            cursor: z.string().max(300).optional(),
          })
          .strict(),
        response: { 200: z.object({ items: z.array(listingSchema), nextCursor: z.string().nullable() }), ...errorResponses(422, 429) },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const search = async () => {
        const page = await searchListings(deps.db, {
          chainId: deps.chain.chainId,
          now: nowSeconds(deps),
          asset: q.asset,
          rarity: q.rarity,
          element: q.element,
          biome: q.biome,
          definitionId: q.definition,
          seller: q.seller,
          currency: q.currency,
          minPrice: q.minPrice === undefined ? undefined : BigInt(q.minPrice),
          maxPrice: q.maxPrice === undefined ? undefined : BigInt(q.maxPrice),
          sort: q.sort,
          limit: q.limit,
          cursor: q.cursor,
        });
        return JSON.stringify({ items: page.items.map(listingBody), nextCursor: page.nextCursor });
      };
      // The answer is built field by field above, so it is sent as text (the cache keeps the text).
      const body = deps.searchCache ? await deps.searchCache.get(JSON.stringify(q), search) : await search();
      return reply.type('application/json; charset=utf-8').send(body as never);
    },
  );

  api.get(
    '/api/listings/:orderHash',
    {
      schema: {
        tags: ['listings'],
        summary: 'One listing with its signed order (what `fill` takes) and why it cannot be filled, if so',
        params: z.object({ orderHash: orderHashSchema }),
        response: { 200: listingDetailSchema, ...errorResponses(404, 422, 429) },
      },
    },
    async (request) => {
      const listing = await getListing(deps.db, { orderHash: request.params.orderHash, now: nowSeconds(deps) });
      if (!listing) throw new AppError('LISTING_NOT_FOUND', 'no such listing');
      return listingDetailBody(listing);
    },
  );

  api.post(
    '/api/listings/:orderHash/cancel',
    {
      config: write,
      schema: {
        tags: ['listings'],
        summary: "Soft cancel: the maker's EIP-712 `CancelListing(bytes32 orderHash)` signature withdraws the listing off chain",
        description:
          'The order stays fillable on chain by anyone who kept its signature; `cancel(salt)` on the Marketplace contract closes it for good ' +
          '(the indexer sees it and the listing disappears).',
        params: z.object({ orderHash: orderHashSchema }),
        body: z.object({ signature: hexSchema }).strict(),
        response: { 200: listingDetailSchema, ...errorResponses(404, 422, 429, 503) },
      },
    },
    async (request) => {
      const now = nowSeconds(deps);
      const listing = await getListing(deps.db, { orderHash: request.params.orderHash, now });
      if (!listing) throw new AppError('LISTING_NOT_FOUND', 'no such listing');
      const digest = deps.chain.hashCancel(listing.orderHash as `0x${string}`);
      if (!(await deps.chain.isValidSignature(getAddress(listing.maker), digest, request.body.signature))) {
        throw new AppError('MARKET_SIGNATURE_INVALID', "the signature is not the maker's CancelListing signature");
      }
      const cancelled = await cancelListing(deps.db, { orderHash: listing.orderHash, maker: listing.maker, now });
      deps.searchCache?.invalidate();
      request.log.info({ orderHash: listing.orderHash }, 'listing soft-cancelled');
      return listingDetailBody(cancelled);
    },
  );
}
