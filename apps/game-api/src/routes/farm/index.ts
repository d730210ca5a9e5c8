/**
 * `GET /v1/farm` (every plot of my farm, each crop's stage computed now from server time) and
 * `POST /v1/farm/plots/:plotId/{plant,water,harvest,clear}`, checked by the farming rules at server time.
 * Plot ids: `starter-1`..`starter-N`, and `<parcel id>-1`.. for each parcel I hold; any other plot is 404.
 */
import { type FarmActionOutcome, farmActionInTx, getFarm, type PlotView } from '@harvest/db';
import { errorResponses } from '@harvest/service';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { claimsOf } from '../../plugins/auth.ts';
import {
  contentIdSchema,
  type EconomyRouteOptions,
  idempotencyHeaders,
  itemQuantitySchema,
  limitWrites,
  sendIdempotent,
} from '../inventory/economy.ts';

const perkSchema = z.union([
  z.object({ id: z.string(), kind: z.literal('extra_yield'), crop: z.string(), amount: z.number().int() }),
  z.object({ id: z.string(), kind: z.literal('exclusive_recipe'), recipe: z.string() }),
]);

const cropSchema = z.object({
  cropId: z.string(),
  produce: z.string(),
  plantedAt: z.iso.datetime(),
  phase: z.enum(['growing', 'ripe', 'withered']),
  stage: z.number().int().min(0).max(4).describe('0-3 while growing, 4 once ripe or withered.'),
  progress: z.number().min(0).max(1),
  stageEndsAt: z.iso.datetime(),
  ripeAt: z.iso.datetime(),
  witherAt: z.iso.datetime(),
  watered: z.array(z.boolean()).describe('Per growth stage.'),
  canWater: z.boolean(),
  canHarvest: z.boolean(),
});

const plotSchema = z.object({
  id: z.string(),
  source: z.enum(['starter', 'land']),
  landId: z.string().nullable(),
  index: z.number().int(),
  fertility: z.number(),
  perk: perkSchema.nullable(),
  crop: cropSchema.nullable(),
});

const actionSchema = z.object({
  plot: plotSchema,
  harvested: z.object({ itemId: z.string(), quantity: z.number().int(), withered: z.boolean() }).nullable(),
  items: z.array(itemQuantitySchema).describe('New quantities of the items this action moved.'),
  serverTime: z.iso.datetime(),
});

function plotBody(plot: PlotView): z.infer<typeof plotSchema> {
  return {
    ...plot,
    perk: plot.perk ? ({ ...plot.perk } as z.infer<typeof perkSchema>) : null,
    crop: plot.crop
      ? {
          ...plot.crop,
          plantedAt: plot.crop.plantedAt.toISOString(),
          stageEndsAt: plot.crop.stageEndsAt.toISOString(),
          ripeAt: plot.crop.ripeAt.toISOString(),
          witherAt: plot.crop.witherAt.toISOString(),
        }
      : null,
  };
}

function actionBody(outcome: FarmActionOutcome, now: number): z.infer<typeof actionSchema> {
  return { plot: plotBody(outcome.plot), harvested: outcome.harvested, items: outcome.items, serverTime: new Date(now).toISOString() };
}

const plotParams = z.object({
  plotId: z
    .string()
    .max(80)
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*-[1-9][0-9]{0,2}$/, '`starter-<n>` or `<parcel id>-<n>`'),
});

/** The farm routes. */
export async function farmRoutes(app: FastifyInstance, options: EconomyRouteOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/v1/farm',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['farm'],
        summary: 'My farm: starter plots and the plots of land I hold, each crop at its stage now',
        security: [{ bearer: [] }],
        response: {
          200: z.object({ plots: z.array(plotSchema), serverTime: z.iso.datetime(), contentVersion: z.number().int() }),
          ...errorResponses(401, 404, 503),
        },
      },
    },
    async (request) => {
      const playerId = claimsOf(request).sub;
      const content = await options.content();
      const now = options.now();
      const farm = await getFarm(options.db, playerId, content, now);
      return { plots: farm.plots.map(plotBody), serverTime: new Date(now).toISOString(), contentVersion: content.version };
    },
  );

  const action = (name: 'plant' | 'water' | 'harvest' | 'clear', summary: string) => {
    const body = name === 'plant' ? z.object({ seed: contentIdSchema.describe('A seed item, e.g. `wheat-seed`.') }).strict() : undefined;
    api.post(
      `/v1/farm/plots/:plotId/${name}`,
      {
        onRequest: app.authenticate,
        schema: {
          tags: ['farm'],
          summary,
          security: [{ bearer: [] }],
          params: plotParams,
          headers: idempotencyHeaders,
          ...(body ? { body } : {}),
          response: { 200: actionSchema, ...errorResponses(401, 404, 409, 422, 429, 503) },
        },
      },
      async (request, reply) => {
        const playerId = claimsOf(request).sub;
        await limitWrites(options, playerId);
        const content = await options.content();
        const now = options.now();
        const plotId = request.params.plotId;
        const seed = (request.body as { seed?: string } | undefined)?.seed;
        return sendIdempotent(options, request, reply, { playerId, body: { plotId, seed: seed ?? null } }, async (tx) => {
          const outcome =
            name === 'plant'
              ? await farmActionInTx(tx, { playerId, plotId, action: 'plant', seed: seed as string, content, now })
              : await farmActionInTx(tx, { playerId, plotId, action: name, content, now });
          return { status: 200, body: actionBody(outcome, now) };
        });
      },
    );
  };
  action('plant', 'Plant a seed on an empty plot (uses one seed)');
  action('water', 'Water a growing crop (once per growth stage: cuts that stage’s remaining time)');
  action('harvest', 'Harvest a ripe (or withered, half yield) crop into my resources');
  action('clear', 'Clear a plot, destroying its crop');
}
