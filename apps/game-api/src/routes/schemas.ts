/** zod schemas shared by the identity routes. */
import { ROLES } from '@harvest/auth';
import { z } from 'zod';
import { SIWE_MESSAGE_MAX_LENGTH } from '../auth/siwe.ts';

/** A SIWE proof as clients send it. */
export const siweProofSchema = z.object({
  message: z.string().min(1).max(SIWE_MESSAGE_MAX_LENGTH),
  signature: z
    .string()
    .regex(/^0x[0-9a-fA-F]+$/, 'a 0x-prefixed hex signature')
    .max(2 + 2 * 4096)
    .transform((value) => value as `0x${string}`),
  /** The `nonceSession` returned with the nonce. */
  nonceSession: z.string().min(16).max(128),
});

/** The player part of a token response. */
export const tokenPlayerSchema = z.object({ id: z.uuid(), guest: z.boolean(), roles: z.array(z.enum(ROLES)) });

/** Tokens after a sign-in or refresh. */
export const tokensSchema = z.object({
  tokenType: z.literal('Bearer'),
  accessToken: z.string(),
  accessTokenExpiresAt: z.iso.datetime(),
  refreshToken: z.string(),
  refreshTokenExpiresAt: z.iso.datetime(),
  sessionId: z.uuid(),
  player: tokenPlayerSchema,
});

/** Dates as ISO strings for the wire. */
export function tokensBody<T extends { accessTokenExpiresAt: Date; refreshTokenExpiresAt: Date }>(tokens: T) {
  return {
    ...tokens,
    accessTokenExpiresAt: tokens.accessTokenExpiresAt.toISOString(),
    refreshTokenExpiresAt: tokens.refreshTokenExpiresAt.toISOString(),
  };
}
