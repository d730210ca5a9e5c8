/** Singleton settings: battle tunables, farm settings, rewards; and the avatar list. */

import { z } from 'zod';
import { grantSchema, idSchema, nameSchema } from './common.ts';

/** Battle tunables (GAME.md starting values in brackets) and deck-building limits. */
export const battleSettingsSchema = z
  .strictObject({
    heroHealth: z.int().min(1).max(100), // 25
    deckSize: z.int().min(5).max(60), // 20
    maxCopies: z.int().min(1).max(10), // 2
    maxLegendaryCopies: z.int().min(1).max(10), // 1
    handLimit: z.int().min(1).max(20), // 8
    boardLimit: z.int().min(1).max(10), // 5
    maxEnergy: z.int().min(1).max(20), // 10
    turnLimit: z.int().min(2).max(200), // 40
    turnSeconds: z.int().min(5).max(600), // 45
    reconnectSeconds: z.int().min(5).max(600), // 60
    timeoutsToForfeit: z.int().min(1).max(10), // 3
    openingHand: z.tuple([z.int().min(0).max(10), z.int().min(0).max(10)]), // [3, 4]
    sproutToken: idSchema, // seedling
  })
  .refine((b) => b.openingHand[0] <= b.handLimit && b.openingHand[1] <= b.handLimit, {
    message: 'opening hands must fit in the hand limit',
    path: ['openingHand'],
  });
/** Validated battle settings (assignable to the rules' `BattleConfig` and `DeckRules`). */
export type BattleSettings = z.output<typeof battleSettingsSchema>;

/** Farm settings. */
export const farmSettingsSchema = z.strictObject({ starterPlots: z.int().min(1).max(24) });
/** Validated farm settings. */
export type FarmSettings = z.output<typeof farmSettingsSchema>;

/**
 * Rewards. Match: winner 50 gold, loser 15, first win of the (UTC) day +100 (GAME.md). A draw pays `draw` to both,
 * which GAME.md leaves open (we pay the loser's amount). Starter grant: a legal starter deck of card definitions
 * (one new instance each), gold, items (seeds) and the avatars every new player gets.
 */
export const rewardsSchema = z.strictObject({
  match: z.strictObject({ winner: grantSchema, loser: grantSchema, draw: grantSchema, firstWinOfDay: grantSchema }),
  starter: z.strictObject({
    gold: z.int().min(0).max(1_000_000),
    deck: z.array(idSchema).min(1),
    items: grantSchema.shape.items,
    avatars: z.array(idSchema).default([]),
  }),
});
/** Validated rewards. */
export type RewardsDefinition = z.output<typeof rewardsSchema>;

/** A profile avatar. `image` is a path under the client's asset root or an https URL. */
export const avatarSchema = z.strictObject({
  id: idSchema,
  name: nameSchema,
  image: z.string().regex(/^(https:\/\/|[a-z0-9][a-z0-9/_.-]*\.(png|webp|svg)$)/, 'an asset path (.png, .webp, .svg) or an https URL'),
});
/** A validated avatar. */
export type AvatarDefinition = z.output<typeof avatarSchema>;
