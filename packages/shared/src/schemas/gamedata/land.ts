/** Land: biomes, perks and the parcels that exist (GAME.md: 4-16 plots, fertility 0.8-1.0, optional perk). */

import { z } from 'zod';
import { idSchema, nameSchema } from './common.ts';

const plots = z.int().min(4).max(16);
const fertility = z.number().min(0.8).max(1);

/** A land perk: extra yield for one crop, or a recipe only the land's holder can craft. */
export const landPerkSchema = z.discriminatedUnion('kind', [
  z.strictObject({ id: idSchema, name: nameSchema, kind: z.literal('extra_yield'), crop: idSchema, amount: z.int().min(1).max(10) }),
  z.strictObject({ id: idSchema, name: nameSchema, kind: z.literal('exclusive_recipe'), recipe: idSchema }),
]);
/** A validated perk (assignable to the rules' `LandPerk`). */
export type LandPerkDefinition = z.output<typeof landPerkSchema>;

/** A biome: the ranges its parcels are drawn from and the perks they may carry. */
export const biomeSchema = z.strictObject({
  id: z.enum(['meadow', 'orchard', 'marsh', 'highland']),
  name: nameSchema,
  plots: z
    .strictObject({ min: plots, max: plots })
    .refine((r) => r.max >= r.min, { message: 'plots.max must be at least plots.min', path: ['max'] }),
  fertility: z
    .strictObject({ min: fertility, max: fertility })
    .refine((r) => r.max >= r.min, { message: 'fertility.max must be at least fertility.min', path: ['max'] }),
  perks: z.array(idSchema).default([]),
});
/** A validated biome. */
export type BiomeDefinition = z.output<typeof biomeSchema>;

/** A land parcel (an NFT once minted). */
export const landParcelSchema = z.strictObject({
  id: idSchema,
  biome: z.enum(['meadow', 'orchard', 'marsh', 'highland']),
  plots,
  fertility,
  perk: idSchema.nullable().default(null),
});
/** A validated parcel. */
export type LandParcelDefinition = z.output<typeof landParcelSchema>;
