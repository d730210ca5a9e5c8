/**
 * `GET /v1/recipes`: every recipe of the published game data with what I can craft now. Exclusive recipes are
 * unlocked by the perk of a land parcel I hold (`unlockedBy` names it); `missing` lists what I lack.
 */
import { listRecipesFor } from '@harvest/db';
import { errorResponses } from '@harvest/service';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { claimsOf } from '../../plugins/auth.ts';
import { type EconomyRouteOptions, itemQuantitySchema } from '../inventory/economy.ts';

const recipeSchema = z.object({
  id: z.string(),
  name: z.string(),
  inputs: z.object({
    gold: z.number().int(),
    items: z.array(itemQuantitySchema),
    cards: z.array(z.object({ def: z.string().optional(), rarity: z.string().optional(), count: z.number().int() })),
  }),
  outcomes: z.array(z.object({ definitionId: z.string(), name: z.string().nullable(), probability: z.number() })),
  exclusive: z.boolean(),
  perks: z.array(z.string()).describe('Land perks that unlock this exclusive recipe.'),
  unlocked: z.boolean(),
  unlockedBy: z.string().nullable().describe('The parcel I hold whose perk unlocks it.'),
  missing: z.object({
    gold: z.number().int(),
    items: z.array(itemQuantitySchema),
    cards: z.array(z.object({ input: z.string(), count: z.number().int() })),
  }),
  craftable: z.boolean(),
});

/** The recipes route. */
export async function recipeRoutes(app: FastifyInstance, options: EconomyRouteOptions): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/recipes',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['crafting'],
        summary: 'Recipes, with the land-perk recipes I unlocked and what I can craft now',
        security: [{ bearer: [] }],
        querystring: z
          .object({ craftable: z.enum(['true', 'false']).optional().describe('`true`: only recipes I can craft right now.') })
          .strict(),
        response: {
          200: z.object({ recipes: z.array(recipeSchema), contentVersion: z.number().int() }),
          ...errorResponses(401, 404, 422, 503),
        },
      },
    },
    async (request) => {
      const content = await options.content();
      const names = new Map(content.data.cards.map((c) => [c.id, c.name]));
      const views = await listRecipesFor(options.db, claimsOf(request).sub, content);
      return {
        recipes: views
          .filter((v) => request.query.craftable !== 'true' || v.craftable)
          .map((v) => ({
            id: v.recipe.id,
            name: v.recipe.name,
            inputs: {
              gold: v.recipe.inputs.gold,
              items: v.recipe.inputs.items.map((i) => ({ itemId: i.item, quantity: i.quantity })),
              cards: v.recipe.inputs.cards.map((c) => ({ ...c })),
            },
            outcomes: v.outcomes.map((o) => ({ definitionId: o.def, name: names.get(o.def) ?? null, probability: o.probability })),
            exclusive: v.recipe.exclusive,
            perks: [...v.perks],
            unlocked: v.unlocked,
            unlockedBy: v.unlockedBy,
            missing: v.missing,
            craftable: v.craftable,
          })),
        contentVersion: content.version,
      };
    },
  );
}
