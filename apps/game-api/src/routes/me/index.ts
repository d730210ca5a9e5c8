/**
 * The signed-in player's own profile and wallets: `GET/PATCH /v1/me`, `GET/POST /v1/me/wallets`,
 * `DELETE /v1/me/wallets/:address`. Everything here acts on the token's subject only, so another player's
 * wallet answers 404 like an unknown one.
 */
import { type Db, getProfile, listWallets, type Profile, unlinkWallet, updateProfile } from '@harvest/db';
import { errorResponses } from '@harvest/service';
import { AppError } from '@harvest/shared/errors';
import type { AvatarDefinition } from '@harvest/shared/schemas';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { getAddress } from 'viem';
import { z } from 'zod';
import type { Identity } from '../../auth/identity.ts';
import type { RateLimiter } from '../../auth/rate-limit.ts';
import type { SiweVerifier } from '../../auth/siwe.ts';
import type { AuthConfig } from '../../env.ts';
import { claimsOf } from '../../plugins/auth.ts';
import { siweProofSchema } from '../schemas.ts';

/** Names nobody may take, whatever the case. */
const RESERVED_NAMES = new Set(['admin', 'administrator', 'moderator', 'system', 'harvest', 'support', 'guest']);

/**
 * A display name: 3 to 20 characters, ASCII letters, digits, `_` and `-`, words separated by single spaces,
 * starting with a letter or digit. Unique regardless of case (checked by the database).
 */
export const displayNameSchema = z
  .string()
  .min(3, 'at least 3 characters')
  .max(20, 'at most 20 characters')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]*(?: [A-Za-z0-9_-]+)*$/,
    'letters, digits, _ and -, single spaces between words, starting with a letter or digit',
  )
  .refine((name) => !RESERVED_NAMES.has(name.toLowerCase()), 'this name is reserved');

const avatarSchema = z.object({ id: z.string(), name: z.string(), image: z.string() });
const walletSchema = z.object({ address: z.string(), linkedAt: z.iso.datetime() });
const profileSchema = z.object({
  id: z.uuid(),
  displayName: z.string().nullable(),
  avatar: avatarSchema.nullable(),
  guest: z.boolean(),
  roles: z.array(z.string()),
  createdAt: z.iso.datetime(),
  wallets: z.array(walletSchema),
});

export interface MeRoutesOptions {
  db: Db;
  identity: Identity;
  siwe: SiweVerifier;
  limiter: RateLimiter;
  config: AuthConfig;
  avatars: readonly AvatarDefinition[];
}

const walletBody = (wallet: { address: string; linkedAt: Date }) => ({
  address: getAddress(wallet.address),
  linkedAt: wallet.linkedAt.toISOString(),
});

/** The /v1/me routes; every one needs a valid access token. */
export async function meRoutes(app: FastifyInstance, options: MeRoutesOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const avatars = new Map(options.avatars.map((avatar) => [avatar.id, avatar]));
  const db = options.db;
  const profileBody = (profile: Profile) => ({
    id: profile.id,
    displayName: profile.displayName,
    avatar: profile.avatarId ? (avatars.get(profile.avatarId) ?? null) : null,
    guest: profile.isGuest,
    roles: profile.roles,
    createdAt: profile.createdAt.toISOString(),
    wallets: profile.wallets.map(walletBody),
  });

  api.get(
    '/v1/me',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['me'],
        summary: 'My profile',
        security: [{ bearer: [] }],
        response: { 200: profileSchema, ...errorResponses(401, 404) },
      },
    },
    async (request) => profileBody(await getProfile(db, claimsOf(request).sub)),
  );

  api.patch(
    '/v1/me',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['me'],
        summary: 'Change my display name and/or avatar',
        security: [{ bearer: [] }],
        body: z
          .object({ displayName: displayNameSchema.optional(), avatarId: z.string().min(1).max(64).optional() })
          .strict()
          .refine((body) => body.displayName !== undefined || body.avatarId !== undefined, 'give displayName, avatarId or both'),
        response: { 200: profileSchema, ...errorResponses(401, 404, 409, 422, 429) },
      },
    },
    async (request) => {
      const claims = claimsOf(request);
      await options.limiter.hit([
        { key: `profile:player:${claims.sub}`, limit: options.config.rateLimits.perAddressPerMinute, windowSeconds: 60 },
      ]);
      const { displayName, avatarId } = request.body;
      if (avatarId !== undefined && !avatars.has(avatarId)) {
        throw new AppError('AVATAR_UNKNOWN', `no avatar "${avatarId}" in the game data`, { avatarId });
      }
      return profileBody(
        await updateProfile(db, claims.sub, {
          ...(displayName !== undefined ? { displayName } : {}),
          ...(avatarId !== undefined ? { avatarId } : {}),
        }),
      );
    },
  );

  api.get(
    '/v1/me/wallets',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['me'],
        summary: 'My linked wallets',
        security: [{ bearer: [] }],
        response: { 200: z.object({ wallets: z.array(walletSchema) }), ...errorResponses(401) },
      },
    },
    async (request) => ({ wallets: (await listWallets(db, claimsOf(request).sub)).map(walletBody) }),
  );

  api.post(
    '/v1/me/wallets',
    {
      preHandler: app.requireFullAccount,
      schema: {
        tags: ['me'],
        summary: 'Link another wallet, proved by a SIWE message signed with it (nonce from /v1/auth/siwe/nonce)',
        security: [{ bearer: [] }],
        body: siweProofSchema,
        response: { 200: walletSchema, 201: walletSchema, ...errorResponses(401, 403, 409, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const claims = claimsOf(request);
      const address = options.siwe.parseAddress(request.body.message);
      const minute = 60;
      await options.limiter.hit([
        { key: `link:ip:${request.ip}`, limit: options.config.rateLimits.perIpPerMinute, windowSeconds: minute },
        { key: `link:player:${claims.sub}`, limit: options.config.rateLimits.perAddressPerMinute, windowSeconds: minute },
        ...(address
          ? [{ key: `link:address:${address.toLowerCase()}`, limit: options.config.rateLimits.perAddressPerMinute, windowSeconds: minute }]
          : []),
      ]);
      const { wallet, linked } = await options.identity.linkWallet(claims, { ...request.body, ip: request.ip });
      return reply.code(linked ? 201 : 200).send(walletBody(wallet));
    },
  );

  api.delete(
    '/v1/me/wallets/:address',
    {
      preHandler: app.requireFullAccount,
      schema: {
        tags: ['me'],
        summary: 'Unlink one of my wallets (refused for the last one and while on-chain assets are held)',
        security: [{ bearer: [] }],
        params: z.object({ address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed 20-byte address') }),
        response: { 204: z.null(), ...errorResponses(401, 403, 404, 409, 422, 429) },
      },
    },
    async (request, reply) => {
      const claims = claimsOf(request);
      await options.limiter.hit([
        { key: `unlink:player:${claims.sub}`, limit: options.config.rateLimits.perAddressPerMinute, windowSeconds: 60 },
      ]);
      await unlinkWallet(db, { playerId: claims.sub, address: request.params.address });
      return reply.code(204).send(null);
    },
  );
}
