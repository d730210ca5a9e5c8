/**
 * Zod schemas for the actions clients send (battle room messages, farm and crafting requests). Transports validate
 * with these, then call the rules, which still refuse anything illegal with a violation.
 */

import { z } from 'zod';

const seat = z.union([z.literal(0), z.literal(1)]);
const uid = z.string().min(1).max(128);

/** A battle target: a hero by seat or a unit by instance id. */
export const targetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('hero'), seat }),
  z.strictObject({ kind: z.literal('unit'), uid }),
]);

/**
 * Battle actions a player may send. `timeout` and `forfeit` are server-issued and deliberately absent: a room
 * creates them itself and never accepts them from a client. The room sets `seat` from the session, not the client.
 */
export const playerBattleActionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('play'), seat, uid, target: targetSchema.optional(), position: z.int().min(0).max(20).optional() }),
  z.strictObject({ type: z.literal('attack'), seat, attacker: uid, target: targetSchema }),
  z.strictObject({ type: z.literal('end_turn'), seat }),
  z.strictObject({ type: z.literal('concede'), seat }),
]);

/** Every battle action including the server-issued ones, e.g. to validate stored transcripts. */
export const battleActionSchema = z.discriminatedUnion('type', [
  ...playerBattleActionSchema.options,
  z.strictObject({ type: z.literal('timeout'), seat }),
  z.strictObject({ type: z.literal('forfeit'), seat, reason: z.enum(['disconnect', 'abandoned']) }),
]);

const plot = z.string().min(1).max(64);

/** Farming actions. */
export const farmActionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('plant'), plot, seed: z.string().min(1).max(64) }),
  z.strictObject({ type: z.literal('water'), plot }),
  z.strictObject({ type: z.literal('harvest'), plot }),
  z.strictObject({ type: z.literal('clear'), plot }),
]);

/** A craft request. */
export const craftActionSchema = z.strictObject({
  type: z.literal('craft'),
  recipe: z.string().min(1).max(64),
  cards: z.array(uid).max(20).default([]),
});
