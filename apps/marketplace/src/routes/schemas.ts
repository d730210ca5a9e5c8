/** zod schemas shared by the marketplace routes (they are also the OpenAPI document's). */
import { z } from 'zod';

export const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an 0x-prefixed 20-byte hex address');
export const orderHashSchema = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'an 0x-prefixed 32-byte hex hash');
/** A decimal uint (checked against 2^256 - 1 by the order checks, so an overflowing price gets its own code). */
export const uintStringSchema = z.string().regex(/^(0|[1-9][0-9]{0,99})$/, 'a decimal unsigned integer');
export const tokenIdSchema = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'a decimal uint256');
export const hexSchema = z
  .string()
  .regex(/^0x([0-9a-fA-F]{2})+$/, '0x-prefixed hex bytes')
  .max(2 + 2 * 2048)
  .transform((value) => value as `0x${string}`);

export const orderSchema = z
  .object({
    maker: addressSchema,
    collection: addressSchema,
    tokenId: uintStringSchema,
    price: uintStringSchema,
    currency: addressSchema,
    startTime: uintStringSchema,
    endTime: uintStringSchema,
    salt: uintStringSchema,
    counter: uintStringSchema,
  })
  .strict()
  .describe('An EIP-712 `Order` of the Marketplace contract; uint256 fields as decimal strings.');

const blockerSchema = z.enum(['expired', 'not_started', 'filled', 'cancelled', 'counter', 'owner', 'approval', 'card']);

export const listingSchema = z.object({
  orderHash: z.string(),
  chainId: z.number().int(),
  marketplace: z.string(),
  asset: z.enum(['card', 'land']),
  collection: z.string(),
  tokenId: z.string(),
  name: z.string(),
  rarity: z.string().nullable(),
  element: z.string().nullable(),
  definitionId: z.string().nullable(),
  biome: z.string().nullable(),
  maker: z.string(),
  price: z.string(),
  currency: z.string(),
  startTime: z.string(),
  endTime: z.string(),
  createdAt: z.iso.datetime(),
  imageUrl: z.string(),
});

export const listingDetailSchema = listingSchema.extend({
  salt: z.string(),
  counter: z.string(),
  signature: z.string(),
  status: z.enum(['active', 'cancelled', 'filled', 'invalid', 'expired']),
  closedReason: z.string().nullable(),
  /** Empty while the listing can be filled. */
  blockers: z.array(blockerSchema),
  /** The order to pass to `fill` as signed. */
  order: orderSchema,
});

export const activitySchema = z.object({
  id: z.string(),
  kind: z.enum(['listed', 'cancelled', 'sale', 'invalidated']),
  orderHash: z.string().nullable(),
  collection: z.string(),
  tokenId: z.string(),
  name: z.string().nullable(),
  maker: z.string().nullable(),
  taker: z.string().nullable(),
  price: z.string().nullable(),
  currency: z.string().nullable(),
  detail: z.string().nullable(),
  txHash: z.string().nullable(),
  blockNumber: z.string().nullable(),
  at: z.iso.datetime(),
});

/** A comma-separated query list of short words (rarity=rare,epic). */
export const wordListSchema = z
  .string()
  .max(200)
  .transform((value) =>
    value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[a-z0-9_-]{1,40}$/, 'lower-case words')).max(10));
