/** Building blocks shared by the game-data schemas. */

import { z } from 'zod';

/** Content ids: lower-case kebab-case (`sunpetal-sprite`), stable forever once published. */
export const idSchema = z
  .string()
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'ids are lower-case kebab-case, e.g. "sunpetal-sprite"')
  .max(64);

/** A display name. */
export const nameSchema = z.string().trim().min(1).max(60);

/** An item and a positive quantity. */
export const itemQuantitySchema = z.strictObject({ item: idSchema, quantity: z.int().min(1).max(10_000) });
/** An item and a quantity, as validated. */
export type ItemQuantity = z.output<typeof itemQuantitySchema>;

/** Gold and items handed to a player (rewards, starter grant). */
export const grantSchema = z.strictObject({
  gold: z.int().min(0).max(1_000_000).default(0),
  items: z.array(itemQuantitySchema).default([]),
});
/** A grant, as validated. */
export type Grant = z.output<typeof grantSchema>;
