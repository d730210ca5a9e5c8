/**
 * A player's farm, live: one room per farm (`joinOrCreate('farm', { ownerId })`), open to its owner and the
 * owner's friends. The room ticks at FARM_TICK_HZ (5-10 Hz): growth is a pure function of timestamps, so each tick
 * moves every crop's progress and stage from the server clock, and the plot rows are re-read from the database
 * every few seconds (and after every action) to pick up changes made elsewhere (the REST routes). The owner acts
 * with `plant` { plotId, seed }, `water` / `harvest` / `clear` { plotId }: the same packages/db farm service as
 * the REST routes, so the rules, the ledger and the events are the same. Everyone in the room sees each action
 * (`action` messages) and the visitors list.
 *
 * Refusals. A request is answered `ctx.reject({ code, message })`: RATE_LIMITED (the per-client bucket), FORBIDDEN
 * (a visitor tried to act), VALIDATION_FAILED (the body does not match its schema; a message of an unknown type
 * gets a `refused` message with that code), or the farm service's code (PLOT_EMPTY, CROP_NOT_RIPE...). A refused
 * join cannot carry a string code on Colyseus' wire (its join errors are numeric), so it fails with the HTTP
 * status of the error's category as `code` and a message that starts with the stable code:
 * `UNAUTHENTICATED: ...` / `TOKEN_INVALID: ...` (401), `GUEST_NOT_ALLOWED: ...` (403, guests farm their own farm
 * but visit no one), `FARM_NOT_VISIBLE: ...` (404, not the owner nor a friend), `VALIDATION_FAILED: ...` (422, no
 * or a malformed ownerId). A visitor who stops being a friend is sent `refused` { code: 'FARM_NOT_VISIBLE' } and
 * removed at the next refresh.
 */
import { type AuthContext, type Client, type MessageContext, Room } from '@colyseus/core';
import { type SchemaType, schema, t } from '@colyseus/schema';
import type { AccessClaims } from '@harvest/auth';
import { areFriends, type CropView, farmAction, friendIds, getActiveGameData, getFarm } from '@harvest/db';
import { AppError, isAppError } from '@harvest/shared/errors';
import { z } from 'zod';
import { createTokenBucket, type TokenBucket } from '../rate-limit.ts';
import { authenticate, joinRefusal, services } from '../services.ts';

const PlotSchema = schema(
  {
    id: t.string(),
    cropId: t.string().default(''),
    phase: t.string().default('empty'),
    /** 0-3 while growing, 4 once ripe or withered (as the REST farm view). */
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

const plotId = z.string().min(1).max(80);
const plotAction = z.strictObject({ plotId });
const plantAction = z.strictObject({ plotId, seed: z.string().min(1).max(80) });
const ownerIdSchema = z.uuid();

/** How often plot rows (and the owner's friends) are re-read (ms). */
const REFRESH_MS = 3_000;

/** WebSocket close code for a visitor whose access was withdrawn (4000-4999 are the application's). */
const CLOSE_NOT_VISIBLE = 4404;

/** A crop as last read, and when: what the ticks project forward. */
interface Snapshot {
  crop: CropView | null;
  at: number;
}

/**
 * Who may be in the farm of `ownerId`: its owner, and the owner's friends unless they are guests (visiting is a
 * social feature of signed-in accounts, like ranked). FARM_NOT_VISIBLE / GUEST_NOT_ALLOWED otherwise.
 */
async function checkVisit(claims: AccessClaims, ownerId: string): Promise<void> {
  if (claims.sub === ownerId) return;
  if (claims.guest) throw new AppError('GUEST_NOT_ALLOWED', 'guests may open their own farm only');
  if (!(await areFriends(services().db, claims.sub, ownerId))) {
    throw new AppError('FARM_NOT_VISIBLE', 'only the owner and their friends may visit');
  }
}

/**
 * A crop's plot state at `now`, projected from a snapshot taken at `at` (the farming rules' `cropStatus`, which
 * the snapshot does not carry: it has each crop's numbers at `at`). Within the current stage, progress moves
 * linearly to the stage's end, exactly as the rules do. Stages after it have not been watered (watering applies to
 * the current stage only), so they last their nominal, equal share of the time left to ripe (the rules round each
 * to the millisecond); every one lasts at least 15 s (grow times are at least 60 s) while snapshots are re-read
 * every 3 s, so the projected stage number is the rules' one. Ripe and withered times are exact.
 */
function projectCrop(snapshot: Snapshot, now: number) {
  const crop = snapshot.crop as CropView;
  const ripeAt = crop.ripeAt.getTime();
  const witherAt = crop.witherAt.getTime();
  if (now >= witherAt) return { phase: 'withered', stage: 4, progress: 1, canWater: false, canHarvest: true };
  if (now >= ripeAt || crop.phase !== 'growing') {
    return { phase: crop.phase === 'withered' ? 'withered' : 'ripe', stage: 4, progress: 1, canWater: false, canHarvest: true };
  }
  const stageEnd = crop.stageEndsAt.getTime();
  let stage = crop.stage;
  let within: number;
  if (now < stageEnd) {
    const start = crop.progress * 4 - crop.stage;
    within = stageEnd > snapshot.at ? start + ((1 - start) * Math.max(0, now - snapshot.at)) / (stageEnd - snapshot.at) : 1;
  } else {
    const left = 3 - crop.stage;
    const length = (ripeAt - stageEnd) / left;
    const k = Math.min(left - 1, Math.floor((now - stageEnd) / length));
    stage = crop.stage + 1 + k;
    within = (now - stageEnd - k * length) / length;
  }
  const watered = stage === crop.stage ? crop.watered[stage] === true : false;
  return {
    phase: 'growing',
    stage,
    progress: Math.max(0, Math.min(1, (stage + within) / 4)),
    canWater: !watered && now >= crop.plantedAt.getTime(),
    canHarvest: false,
  };
}

export class FarmRoom extends Room<{ state: FarmSchema }> {
  override maxClients = 200;
  override maxMessagesPerSecond = 60;
  private ownerId = '';
  private snapshots: Snapshot[] = [];
  private buckets = new Map<string, TokenBucket>();
  private sinceRefresh = 0;
  /** Reloads run concurrently (ticks and actions); only one started later than the applied one may replace it. */
  private reloadsStarted = 0;
  private reloadApplied = 0;

  /**
   * Verifies the token, and refuses early (before any room is created for them) anyone who may not see the
   * farm named in the options; `onJoin` checks again against the room's own owner (a join by room id names none).
   */
  static override async onAuth(token: string, options: { ownerId?: unknown } | undefined, _context: AuthContext): Promise<AccessClaims> {
    try {
      const claims = await authenticate(token);
      if (options?.ownerId !== undefined) {
        const owner = ownerIdSchema.safeParse(options.ownerId);
        if (!owner.success) throw new AppError('VALIDATION_FAILED', 'ownerId must be a player id (uuid)');
        await checkVisit(claims, owner.data);
      }
      return claims;
    } catch (error) {
      throw joinRefusal(error);
    }
  }

  override async onCreate(options: { ownerId?: unknown }): Promise<void> {
    const owner = ownerIdSchema.safeParse(options?.ownerId);
    if (!owner.success) throw joinRefusal(new AppError('VALIDATION_FAILED', 'ownerId must be a player id (uuid)'));
    this.ownerId = owner.data;
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
    this.onMessage('*', (client, type) => {
      client.send('refused', { code: 'VALIDATION_FAILED', message: `unknown message ${String(type)}` });
    });
  }

  override async onJoin(client: Client, _options: unknown, auth: AccessClaims): Promise<void> {
    try {
      await checkVisit(auth, this.ownerId);
    } catch (error) {
      throw joinRefusal(error);
    }
    const { messagesPerSecond } = services().config;
    this.buckets.set(client.sessionId, createTokenBucket(messagesPerSecond, messagesPerSecond * 2));
    this.state.visitors.push(auth.sub);
    services().sessions.hold(client, auth);
  }

  override onLeave(client: Client): void {
    services().sessions.release(client);
    this.buckets.delete(client.sessionId);
    const who = (client.auth as AccessClaims | undefined)?.sub;
    const index = who ? this.state.visitors.indexOf(who) : -1;
    if (index >= 0) this.state.visitors.splice(index, 1);
  }

  /** Re-reads the plots (and, on the periodic refresh, who may still visit). */
  private async reload(checkVisitors = false): Promise<void> {
    const ticket = ++this.reloadsStarted;
    const svc = services();
    const content = await getActiveGameData(svc.db);
    const now = Date.now();
    const [farm, friends] = await Promise.all([
      getFarm(svc.db, this.ownerId, content, now),
      checkVisitors ? friendIds(svc.db, this.ownerId) : null,
    ]);
    if (friends) this.removeStrangers(new Set(friends));
    if (ticket < this.reloadApplied) return;
    this.reloadApplied = ticket;
    this.snapshots = farm.plots.map((p) => ({ crop: p.crop, at: now }));
    if (this.state.plots.length !== farm.plots.length || farm.plots.some((p, i) => this.state.plots[i]?.id !== p.id)) {
      this.state.plots.splice(0, this.state.plots.length);
      for (const p of farm.plots) this.state.plots.push(new PlotSchema({ id: p.id }));
    }
    this.sinceRefresh = 0;
    this.project(Date.now());
  }

  /** Visitors who are no longer the owner's friends leave (friendships end elsewhere: the hub, another process). */
  private removeStrangers(friends: ReadonlySet<string>): void {
    for (const client of this.clients) {
      const who = (client.auth as AccessClaims | undefined)?.sub;
      if (!who || who === this.ownerId || friends.has(who)) continue;
      client.send('refused', { code: 'FARM_NOT_VISIBLE', message: 'you are no longer a friend of this farm’s owner' });
      client.leave(CLOSE_NOT_VISIBLE);
    }
  }

  /** Moves every crop along from the clock (no database work). */
  private project(now: number): void {
    this.state.serverTime = now;
    this.snapshots.forEach((snapshot, i) => {
      const s = this.state.plots[i] as PlotSchema | undefined;
      if (!s) return;
      if (!snapshot.crop) {
        s.cropId = '';
        s.phase = 'empty';
        s.stage = 0;
        s.progress = 0;
        s.canWater = false;
        s.canHarvest = false;
        return;
      }
      const p = projectCrop(snapshot, now);
      s.cropId = snapshot.crop.cropId;
      s.phase = p.phase;
      s.stage = p.stage;
      s.progress = Math.round(p.progress * 1000) / 1000;
      s.canWater = p.canWater;
      s.canHarvest = p.canHarvest;
    });
  }

  private tick(delta: number): void {
    this.sinceRefresh += delta;
    if (this.sinceRefresh >= REFRESH_MS) {
      this.sinceRefresh = 0;
      void this.reload(true).catch((error: unknown) => services().log.warn({ err: error, ownerId: this.ownerId }, 'farm refresh failed'));
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
