/** Listing rows as the API shows them. */
import type { ListingView } from '@harvest/db';

/** Where a token's image is served (relative to the marketplace origin). */
export function imageUrlOf(collection: string, tokenId: string): string {
  return `/api/tokens/${collection}/${tokenId}/image.svg`;
}

/** A listing in search results. */
export function listingBody(l: ListingView) {
  return {
    orderHash: l.orderHash,
    chainId: l.chainId,
    marketplace: l.marketplace,
    asset: l.asset,
    collection: l.collection,
    tokenId: l.tokenId,
    name: l.name,
    rarity: l.rarity,
    element: l.element,
    definitionId: l.definitionId,
    biome: l.biome,
    maker: l.maker,
    price: l.price,
    currency: l.currency,
    startTime: l.startTime,
    endTime: l.endTime,
    createdAt: l.createdAt.toISOString(),
    imageUrl: imageUrlOf(l.collection, l.tokenId),
  };
}

/** A listing with everything a buyer needs to fill it. */
export function listingDetailBody(l: ListingView) {
  return {
    ...listingBody(l),
    salt: l.salt,
    counter: l.counter,
    signature: l.signature,
    status: l.status as 'active' | 'cancelled' | 'filled' | 'invalid' | 'expired',
    closedReason: l.closedReason,
    blockers: l.blockers,
    order: {
      maker: l.maker,
      collection: l.collection,
      tokenId: l.tokenId,
      price: l.price,
      currency: l.currency,
      startTime: l.startTime,
      endTime: l.endTime,
      salt: l.salt,
      counter: l.counter,
    },
  };
}
