/**
 * A player's farm, live: one room per farm (`joinOrCreate('farm', { ownerId })`), open to its owner and the
 * owner's friends. The room ticks at FARM_TICK_HZ (5-10 Hz): growth is a pure function of timestamps, so each tick
 * moves every crop's progress and stage from the server clock, and the plot rows are re-read from the database
 * every few seconds (and after every action) to pick up changes made elsewhere (the REST routes). The owner acts
 * with `plant` { plotId, seed }, `water` / `harvest` / `clear` { plotId }: the same packages/db farm service as
 * the REST routes, so the rules, the ledger and the events are the same. Everyone in the room sees each action
 * (`action` messages) and the visitors list.
 */
import { type AuthContext, type Client, type MessageContext, Room } from '@colyseus/core';
import { type SchemaType, schema, t } from '@colyseus/schema';
import type { AccessClaims } from '@harvest/auth';
import { areFriends, farmAction, getActiveGameData, getFarm, type PlotView } from '@harvest/db';
import { AppError, isAppError } from '@harvest/shared/errors';
import { z } from 'zod';
import { createTokenBucket, type TokenBucket } from '../rate-limit.ts';
import { authenticate, services } from '../services.ts';

const PlotSchema = schema(
  {
    id: t.string(),
    cropId: t.string().default(''),
    phase: t.string().default('empty'),
    stage: t.int8().default(0),
    /** 0..1 growth towards ripe. */
    progress: t.float32().default(0),
    canWater: t.boolean().default(false),
    canHarvest: t.boolean().default(false),
  },
  'Plot',
);
type PlotSchema = SchemaType<typeof PlotSchema>;

const FarmSchema = schema(
  { ownerId: t.string(), serverTime: t.float64().default(0), plots: t.array(PlotSchema), visitors: t.array('string') },
  'Farm',
);
type FarmSchema = SchemaType<typeof FarmSchema>;

const plotAction = z.strictObject({ plotId: z.string().min(1).max(80) });
const plantAction = z.strictObject({ plotId: z.string().min(1).max(80), seed: z.string().min(1).max(80) });

/** How often plot rows are re-read (ms). */
const REFRESH_MS = 3_000;

export class FarmRoom extends Room<{ state: FarmSchema }> {
  override maxClients = 200;
  override maxMessagesPerSecond = 60;
  private ownerId = '';
  private plots: PlotView[] = [];
  private buckets = new Map<string, TokenBucket>();
  private sinceRefresh = 0;

  static override async onAuth(token: string, _options: unknown, _context: AuthContext): Promise<AccessClaims> {
    return authenticate(token);
  }

  override async onCreate(options: { ownerId?: unknown }): Promise<void> {
    this.ownerId = z.uuid().parse(options?.ownerId);
    this.state = new FarmSchema({ ownerId: this.ownerId });
    await this.reload();
    const hz = services().config.farmTickHz;
    this.setPatchRate(1000 / hz);
    this.setTimestep((delta) => this.tick(delta), 1000 / hz);
    for (const type of ['water', 'harvest', 'clear'] as const) {
      this.onMessage(type, (client, message, ctx) => this.act(client, ctx, () => ({ action: type, ...plotAction.parse(message) })));
    }
    this.onMessage('plant', (client, message, ctx) =>
      this.act(client, ctx, () => ({ action: 'plant' as const, ...plantAction.parse(message) })),
    );
  }

  override async onJoin(client: Client, _options: unknown, auth: AccessClaims): Promise<void> {
    if (auth.sub !== this.ownerId && !(await areFriends(services().db, auth.sub, this.ownerId))) {
      throw new AppError('FARM_NOT_VISIBLE', 'only the owner and their friends may visit');
    }
    const { messagesPerSecond } = services().config;
    this.buckets.set(client.sessionId, createTokenBucket(messagesPerSecond, messagesPerSecond * 2));
    this.state.visitors.push(auth.sub);
  }

  override onLeave(client: Client): void {
    this.buckets.delete(client.sessionId);
    const who = (client.auth as AccessClaims | undefined)?.sub;
    const index = who ? this.state.visitors.indexOf(who) : -1;
    if (index >= 0) this.state.visitors.splice(index, 1);
  }

  private async reload(): Promise<void> {
    const svc = services();
    const content = await getActiveGameData(svc.db);
    this.plots = (await getFarm(svc.db, this.ownerId, content, Date.now())).plots;
    if (this.state.plots.length !== this.plots.length) {
      this.state.plots.splice(0, this.state.plots.length);
      for (const p of this.plots) this.state.plots.push(new PlotSchema({ id: p.id }));
    }
    this.sinceRefresh = 0;
    this.project(Date.now());
  }

  /** Moves every crop along from the clock (no database work). */
  private project(now: number): void {
    this.state.serverTime = now;
    this.plots.forEach((plot, i) => {
      const s = this.state.plots[i] as PlotSchema | undefined;
      if (!s) return;
      const crop = plot.crop;
      if (!crop) {
        s.cropId = '';
        s.phase = 'empty';
        s.stage = 0;
        s.progress = 0;
        s.canWater = false;
        s.canHarvest = false;
        return;
      }
      const planted = crop.plantedAt.getTime();
      const ripe = crop.ripeAt.getTime();
      const progress = ripe > planted ? Math.min(1, Math.max(0, (now - planted) / (ripe - planted))) : 1;
      s.cropId = crop.cropId;
      s.phase = now >= crop.witherAt.getTime() ? 'withered' : now >= ripe ? 'ripe' : 'growing';
      s.stage = s.phase === 'growing' ? Math.min(3, Math.floor(progress * 4)) : 4;
      s.progress = Math.round(progress * 1000) / 1000;
      s.canHarvest = s.phase !== 'growing';
      s.canWater = s.phase === 'growing' && crop.canWater;
    });
  }

  private tick(delta: number): void {
    this.sinceRefresh += delta;
    if (this.sinceRefresh >= REFRESH_MS) {
      this.sinceRefresh = 0;
      void this.reload().catch((error: unknown) => services().log.warn({ err: error, ownerId: this.ownerId }, 'farm refresh failed'));
      return;
    }
    this.project(Date.now());
  }

  private async act(
    client: Client,
    ctx: MessageContext,
    parse: () => { action: 'plant' | 'water' | 'harvest' | 'clear'; plotId: string; seed?: string },
  ) {
    const who = (client.auth as AccessClaims | undefined)?.sub;
    if (!this.buckets.get(client.sessionId)?.take()) return ctx.reject({ code: 'RATE_LIMITED', message: 'slow down' });
    if (who !== this.ownerId) return ctx.reject({ code: 'FORBIDDEN', message: 'only the owner acts on the farm' });
    let input: ReturnType<typeof parse>;
    try {
      input = parse();
    } catch {
      return ctx.reject({ code: 'VALIDATION_FAILED', message: 'the message does not match its schema' });
    }
    const svc = services();
    try {
      const content = await getActiveGameData(svc.db);
      const base = { playerId: who, plotId: input.plotId, content, now: Date.now() };
      const outcome = await farmAction(
        svc.db,
        input.action === 'plant' ? { ...base, action: 'plant', seed: input.seed ?? '' } : { ...base, action: input.action },
      );
      await this.reload();
      this.broadcast('action', { by: who, action: input.action, plotId: input.plotId, harvested: outcome.harvested, at: Date.now() });
      return ctx.resolve({ plot: outcome.plot.id, harvested: outcome.harvested, items: outcome.items });
    } catch (error) {
      if (isAppError(error)) return ctx.reject({ code: error.code, message: error.message });
      svc.log.error({ err: error }, 'farm action failed');
      return ctx.reject({ code: 'INTERNAL', message: 'internal error' });
    }
  }
}
