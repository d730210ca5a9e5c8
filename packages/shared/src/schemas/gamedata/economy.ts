/** Items, crops and recipes. */

import { z } from 'zod';
import { ELEMENTS, RARITIES } from '../../rules/cards.ts';
import { idSchema, itemQuantitySchema, nameSchema } from './common.ts';

/**
 * A resource (GAME.md: crops and materials; seeds are resources that can be planted). `value` is what the shop
 * pays per unit in gold: the economy report's measure of a harvest.
 */
export const itemSchema = z.strictObject({
  id: idSchema,
  name: nameSchema,
  kind: z.enum(['crop', 'seed', 'material']),
  value: z.int().min(0).max(100_000),
});
/** A validated item. */
export type ItemDefinition = z.output<typeof itemSchema>;

/** A crop: planted from `seed` (bought for `seedPrice` gold), grows in 4 stages, yields `produce`. */
export const cropSchema = z.strictObject({
  id: idSchema,
  name: nameSchema,
  seed: idSchema,
  seedPrice: z.int().min(0).max(100_000),
  produce: idSchema,
  /** Seconds from planting to ripe on fertility 1.0 without watering. */
  growSeconds: z
    .int()
    .min(60)
    .max(7 * 86_400),
  /** Percent of a stage's remaining time that watering during it removes. */
  waterBonus: z.int().min(0).max(90),
  /** Seconds a ripe crop lasts before it withers (and then yields half). */
  witherSeconds: z
    .int()
    .min(60)
    .max(30 * 86_400),
  yield: z
    .strictObject({ min: z.int().min(1).max(1000), max: z.int().min(1).max(1000) })
    .refine((y) => y.max >= y.min, { message: 'yield.max must be at least yield.min', path: ['max'] }),
});
/** A validated crop. */
export type CropDefinition = z.output<typeof cropSchema>;

/** A card input: `count` instances of one definition (`def`), or of any definition of a `rarity`. */
export const cardInputSchema = z
  .strictObject({ def: idSchema.optional(), rarity: z.enum(RARITIES).optional(), count: z.int().min(1).max(10).default(1) })
  .refine((c) => (c.def === undefined) !== (c.rarity === undefined), { message: 'give either def or rarity, not both' })
  .transform((c): { def: string; count: number } | { rarity: (typeof RARITIES)[number]; count: number } =>
    c.def !== undefined ? { def: c.def, count: c.count } : { rarity: c.rarity as (typeof RARITIES)[number], count: c.count },
  );

/** A weighted output row; missing rarity or element matches any. */
export const outputTableEntrySchema = z.strictObject({
  rarity: z.enum(RARITIES).optional(),
  element: z.enum(ELEMENTS).optional(),
  weight: z.int().min(1).max(1_000_000),
});

/** A crafting recipe. */
export const recipeSchema = z.strictObject({
  id: idSchema,
  name: nameSchema,
  inputs: z
    .strictObject({
      gold: z.int().min(0).max(1_000_000).default(0),
      items: z.array(itemQuantitySchema).default([]),
      cards: z.array(cardInputSchema).default([]),
    })
    .refine((i) => i.gold > 0 || i.items.length > 0 || i.cards.length > 0, { message: 'a recipe needs at least one input' }),
  output: z.union([z.strictObject({ card: idSchema }), z.strictObject({ table: z.array(outputTableEntrySchema).min(1) })]),
  /** Craftable only by holders of land whose perk names this recipe. */
  exclusive: z.boolean().default(false),
});
/** A validated recipe (assignable to the rules' `RecipeSpec`). */
export type RecipeDefinition = z.output<typeof recipeSchema>;
