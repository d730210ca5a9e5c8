/**
 * Public NFT metadata (no authentication; the contracts' tokenURI points here): `GET /metadata/cards/:tokenId`,
 * `/metadata/land/:tokenId`, their `…/image.svg`, and the collections' `contract.json` (contractURI, ERC-7572).
 * The JSON embeds its SVG as a data URI, so it renders without another request; the SVG route serves the same
 * image on its own. Only tokens the mint pipeline knows answer (TOKEN_NOT_FOUND otherwise).
 */
import { cardMetadata, collectionMetadata, type Db, getCardArt, getLandArt, landMetadata, renderCardSvg, renderLandSvg } from '@harvest/db';
import { errorResponses } from '@harvest/service';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

export interface MetadataRouteOptions {
  db: Db;
  chainId: number;
}

const tokenParams = z.object({ tokenId: z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'a decimal uint256') });
const attribute = z.object({
  trait_type: z.string(),
  value: z.union([z.string(), z.number()]),
  display_type: z.enum(['number', 'date', 'boost_number']).optional(),
});
const metadataSchema = z.object({ name: z.string(), description: z.string(), image: z.string(), attributes: z.array(attribute) });
const collectionSchema = z.object({ name: z.string(), description: z.string(), image: z.string() });
const CACHE = 'public, max-age=300';

export async function metadataRoutes(app: FastifyInstance, options: MetadataRouteOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  for (const kind of ['cards', 'land'] as const) {
    api.get(
      `/metadata/${kind}/contract.json`,
      {
        schema: {
          tags: ['metadata'],
          summary: `Collection metadata of the ${kind} contract (contractURI)`,
          response: { 200: collectionSchema },
        },
      },
      async (_request, reply) => reply.header('cache-control', CACHE).send(collectionMetadata(kind)),
    );
    api.get(
      `/metadata/${kind}/:tokenId`,
      {
        schema: {
          tags: ['metadata'],
          summary: `ERC-721 metadata of a ${kind === 'cards' ? 'card' : 'land'} token`,
          params: tokenParams,
          response: { 200: metadataSchema, ...errorResponses(404, 422) },
        },
      },
      async (request, reply) => {
        const input = { tokenId: request.params.tokenId, chainId: options.chainId };
        const body =
          kind === 'cards' ? cardMetadata(await getCardArt(options.db, input)) : landMetadata(await getLandArt(options.db, input));
        return reply.header('cache-control', CACHE).send(body);
      },
    );
    api.get(
      `/metadata/${kind}/:tokenId/image.svg`,
      { schema: { tags: ['metadata'], summary: `The SVG image of a ${kind === 'cards' ? 'card' : 'land'} token`, params: tokenParams } },
      async (request, reply) => {
        const input = { tokenId: request.params.tokenId, chainId: options.chainId };
        const svg =
          kind === 'cards' ? renderCardSvg(await getCardArt(options.db, input)) : renderLandSvg(await getLandArt(options.db, input));
        return reply.header('content-type', 'image/svg+xml; charset=utf-8').header('cache-control', CACHE).send(svg);
      },
    );
  }
}
