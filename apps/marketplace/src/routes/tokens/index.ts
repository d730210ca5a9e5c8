/**
 * Token detail (metadata drawn from the game data, holder from the ownership mirror, provenance and chain history,
 * sale history, live listing) and the token's SVG image. Only tokens of the two Harvest collections that the game
 * knows are served; anything else is TOKEN_NOT_FOUND.
 */
import {
  cardMetadata,
  getCardArt,
  getLandArt,
  getLiveListingOfToken,
  getTokenChainView,
  landMetadata,
  renderCardSvg,
  renderLandSvg,
} from '@harvest/db';
import { errorResponses } from '@harvest/service';
import { AppError } from '@harvest/shared/errors';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { collectionsOf, type MarketDeps, nowSeconds } from '../deps.ts';
import { addressSchema, listingDetailSchema, tokenIdSchema } from '../schemas.ts';
import { imageUrlOf, listingDetailBody } from '../views.ts';

const historySchema = z.object({
  kind: z.enum(['mint', 'transfer', 'burn', 'sale']),
  from: z.string().nullable(),
  to: z.string().nullable(),
  price: z.string().nullable(),
  currency: z.string().nullable(),
  orderHash: z.string().nullable(),
  txHash: z.string(),
  blockNumber: z.string(),
});

const tokenSchema = z.object({
  asset: z.enum(['card', 'land']),
  collection: z.string(),
  tokenId: z.string(),
  name: z.string(),
  description: z.string(),
  imageUrl: z.string(),
  attributes: z.array(z.object({ trait_type: z.string(), value: z.union([z.string(), z.number()]), display_type: z.string().optional() })),
  owner: z.object({ address: z.string(), playerId: z.string().nullable(), displayName: z.string().nullable() }).nullable(),
  provenance: z.object({
    origin: z.string().nullable(),
    craftedBy: z.string().nullable(),
    recipe: z.string().nullable(),
    craftedAt: z.iso.datetime().nullable(),
  }),
  history: z.array(historySchema),
  sales: z.array(historySchema),
  listing: listingDetailSchema.nullable(),
});

const params = z.object({ collection: addressSchema, tokenId: tokenIdSchema });

/** Which of the two collections a path names (TOKEN_NOT_FOUND for any other contract). */
function assetOf(deps: MarketDeps, collection: string): 'card' | 'land' {
  const c = collection.toLowerCase();
  const collections = collectionsOf(deps);
  if (c === collections.cards) return 'card';
  if (c === collections.land) return 'land';
  throw new AppError('TOKEN_NOT_FOUND', `no token of ${collection} is traded here`);
}

const strip = ({
  txHash,
  blockNumber,
  kind,
  from,
  to,
  price,
  currency,
  orderHash,
}: z.infer<typeof historySchema> & { logIndex: number }) => ({
  kind,
  from,
  to,
  price,
  currency,
  orderHash,
  txHash,
  blockNumber,
});

/** The token routes under /api/tokens. */
export async function tokenRoutes(app: FastifyInstance, deps: MarketDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/api/tokens/:collection/:tokenId',
    {
      schema: {
        tags: ['tokens'],
        summary: 'A card or parcel token: attributes, holder, provenance (crafted by, history), sales and live listing',
        params,
        response: { 200: tokenSchema, ...errorResponses(404, 422, 429) },
      },
    },
    async (request) => {
      const { tokenId } = request.params;
      const asset = assetOf(deps, request.params.collection);
      const collection = request.params.collection.toLowerCase();
      const chainId = deps.chain.chainId;
      const [art, chain, listing] = await Promise.all([
        asset === 'card' ? getCardArt(deps.db, { tokenId, chainId }) : getLandArt(deps.db, { tokenId, chainId }),
        getTokenChainView(deps.db, { chainId, collection, tokenId }),
        getLiveListingOfToken(deps.db, { chainId, collection, tokenId, now: nowSeconds(deps) }),
      ]);
      const metadata = 'definitionId' in art ? cardMetadata(art) : landMetadata(art);
      const card = 'definitionId' in art ? art : null;
      return {
        asset,
        collection,
        tokenId,
        name: metadata.name,
        description: metadata.description,
        imageUrl: imageUrlOf(collection, tokenId),
        attributes: metadata.attributes,
        owner: chain.owner ? { address: chain.owner.address, playerId: chain.owner.playerId, displayName: chain.owner.displayName } : null,
        provenance: {
          origin: card?.origin ?? null,
          craftedBy: card?.craftedBy ?? null,
          recipe: card?.recipe ?? null,
          craftedAt: card?.craftedAt ? card.craftedAt.toISOString() : null,
        },
        history: chain.history.map(strip),
        sales: chain.sales.map(strip),
        listing: listing ? listingDetailBody(listing) : null,
      };
    },
  );

  api.get(
    '/api/tokens/:collection/:tokenId/image.svg',
    {
      schema: {
        tags: ['tokens'],
        summary: "The token's image (SVG drawn from the game data)",
        params,
        response: { 200: z.string(), ...errorResponses(404, 422, 429) },
      },
    },
    async (request, reply) => {
      const { tokenId } = request.params;
      const asset = assetOf(deps, request.params.collection);
      const chainId = deps.chain.chainId;
      const svg =
        asset === 'card'
          ? renderCardSvg(await getCardArt(deps.db, { tokenId, chainId }))
          : renderLandSvg(await getLandArt(deps.db, { tokenId, chainId }));
      reply.header('content-type', 'image/svg+xml; charset=utf-8');
      reply.header('cache-control', 'public, max-age=300');
      // The SVG is drawn from escaped game data; a strict policy keeps it inert if opened directly.
      reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
      return svg;
    },
  );
}
