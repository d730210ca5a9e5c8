/**
 * One game-data file and the merged game data. Any file may hold any sections; list sections (`cards`, `items`,
 * ...) are concatenated across files, singleton sections (`battle`, `farm`, `rewards`) must appear exactly once.
 */

import { z } from 'zod';
import { cardDefinitionSchema } from './cards.ts';
import { cropSchema, itemSchema, recipeSchema } from './economy.ts';
import { biomeSchema, landParcelSchema, landPerkSchema } from './land.ts';
import { avatarSchema, battleSettingsSchema, farmSettingsSchema, rewardsSchema } from './settings.ts';

/** Sections that are lists of things with ids, merged across files. */
export const LIST_SECTIONS = ['cards', 'items', 'crops', 'recipes', 'biomes', 'perks', 'parcels', 'avatars'] as const;
/** A list section name. */
export type ListSection = (typeof LIST_SECTIONS)[number];
/** Sections that must appear exactly once across all files. */
export const SINGLETON_SECTIONS = ['battle', 'farm', 'rewards'] as const;
/** A singleton section name. */
export type SingletonSection = (typeof SINGLETON_SECTIONS)[number];

/** The schema of one game-data file: any subset of the sections, nothing else. */
export const gameDataFileSchema = z.strictObject({
  battle: battleSettingsSchema.optional(),
  farm: farmSettingsSchema.optional(),
  rewards: rewardsSchema.optional(),
  cards: z.array(cardDefinitionSchema).optional(),
  items: z.array(itemSchema).optional(),
  crops: z.array(cropSchema).optional(),
  recipes: z.array(recipeSchema).optional(),
  biomes: z.array(biomeSchema).optional(),
  perks: z.array(landPerkSchema).optional(),
  parcels: z.array(landParcelSchema).optional(),
  avatars: z.array(avatarSchema).optional(),
});
/** One validated file. */
export type GameDataFile = z.output<typeof gameDataFileSchema>;

/**
 * All game data, merged and sorted by id within each list: the canonical form that is hashed and published.
 * Content read back from a release or snapshot is re-validated with this schema.
 */
export const gameDataSchema = z.strictObject({
  battle: battleSettingsSchema,
  farm: farmSettingsSchema,
  rewards: rewardsSchema,
  cards: z.array(cardDefinitionSchema),
  items: z.array(itemSchema),
  crops: z.array(cropSchema),
  recipes: z.array(recipeSchema),
  biomes: z.array(biomeSchema),
  perks: z.array(landPerkSchema),
  parcels: z.array(landParcelSchema),
  avatars: z.array(avatarSchema),
});
/** Merged, validated game data. */
export type GameData = z.output<typeof gameDataSchema>;
