/**
 * Identity routes: SIWE nonce and sign-in (with guest upgrade), guest accounts, refresh, logout, and the JWKS.
 * Every route is rate limited in Redis per client IP, and sign-in also per wallet address and guest sign-in per
 * device; a refusal is 429 RATE_LIMITED with Retry-After.
 */
import { errorResponses } from '@harvest/service';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Identity } from '../../auth/identity.ts';
import type { KeyManager } from '../../auth/keys.ts';
import type { NonceStore } from '../../auth/nonces.ts';
import type { RateLimiter } from '../../auth/rate-limit.ts';
import type { SiweVerifier } from '../../auth/siwe.ts';
import type { AuthConfig } from '../../env.ts';
import { claimsOf, optionalClaims } from '../../plugins/auth.ts';
import { siweProofSchema, tokensBody, tokensSchema } from '../schemas.ts';

export interface AuthRoutesOptions {
  identity: Identity;
  keys: KeyManager;
  nonces: NonceStore;
  siwe: SiweVerifier;
  limiter: RateLimiter;
  config: AuthConfig;
}

const MINUTE = 60;

/** The identity routes under /v1/auth and /.well-known/jwks.json. */
export async function authRoutes(app: FastifyInstance, options: AuthRoutesOptions): Promise<void> {
  const { identity, limiter, config } = options;
  const api = app.withTypeProvider<ZodTypeProvider>();
  const perIp = (route: string, ip: string) => ({
    key: `${route}:ip:${ip}`,
    limit: config.rateLimits.perIpPerMinute,
    windowSeconds: MINUTE,
  });

  api.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['auth'],
        summary: 'Public keys that verify access tokens (current, next and previous during a rotation)',
        response: { 200: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }), ...errorResponses(429) },
      },
    },
    async (request, reply) => {
      await limiter.hit([{ key: `jwks:ip:${request.ip}`, limit: config.rateLimits.perIpPerMinute * 10, windowSeconds: MINUTE }]);
      // Short enough that a key pre-published for two minutes reaches every cache before it signs.
      reply.header('cache-control', 'public, max-age=60');
      return (await options.keys.jwks()) as { keys: Array<Record<string, unknown>> };
    },
  );

  api.post(
    '/v1/auth/siwe/nonce',
    {
      schema: {
        tags: ['auth'],
        summary: 'A single-use SIWE nonce (5 minutes), bound to the returned nonceSession',
        response: {
          201: z.object({ nonce: z.string(), nonceSession: z.string(), expiresAt: z.iso.datetime() }),
          ...errorResponses(429),
        },
      },
    },
    async (request, reply) => {
      await limiter.hit([perIp('siwe-nonce', request.ip)]);
      const issued = await options.nonces.issue(request.ip);
      return reply.code(201).send({ ...issued, expiresAt: issued.expiresAt.toISOString() });
    },
  );

  api.post(
    '/v1/auth/siwe/verify',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in with a signed SIWE message; a guest access token in Authorization upgrades that guest in place',
        body: siweProofSchema,
        response: {
          200: tokensSchema.extend({ created: z.boolean(), upgraded: z.boolean() }),
          ...errorResponses(401, 409, 422, 429, 503),
        },
      },
    },
    async (request) => {
      const address = options.siwe.parseAddress(request.body.message);
      await limiter.hit([
        perIp('siwe-verify', request.ip),
        ...(address
          ? [{ key: `siwe-verify:address:${address.toLowerCase()}`, limit: config.rateLimits.perAddressPerMinute, windowSeconds: MINUTE }]
          : []),
      ]);
      const carried = await optionalClaims(app, request);
      const signedIn = await identity.signInWithSiwe({ ...request.body, ip: request.ip }, carried);
      request.log.info({ playerId: signedIn.player.id, created: signedIn.created, upgraded: signedIn.upgraded }, 'wallet sign-in');
      return tokensBody(signedIn);
    },
  );

  api.post(
    '/v1/auth/guest',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create a device-bound guest account; keep deviceId and deviceSecret to sign in again',
        response: { 201: tokensSchema.extend({ deviceId: z.uuid(), deviceSecret: z.string() }), ...errorResponses(429) },
      },
    },
    async (request, reply) => {
      await limiter.hit([
        perIp('guest', request.ip),
        { key: `guest-create:ip:${request.ip}`, limit: config.rateLimits.guestCreationsPerHour, windowSeconds: 60 * MINUTE },
      ]);
      const guest = await identity.createGuest();
      request.log.info({ playerId: guest.player.id }, 'guest created');
      return reply.code(201).send(tokensBody(guest));
    },
  );

  api.post(
    '/v1/auth/guest/session',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign a guest in again with its device credential',
        body: z.object({ deviceId: z.uuid(), deviceSecret: z.string().min(16).max(128) }),
        response: { 200: tokensSchema, ...errorResponses(401, 422, 429) },
      },
    },
    async (request) => {
      await limiter.hit([
        perIp('guest-session', request.ip),
        { key: `guest-session:device:${request.body.deviceId}`, limit: config.rateLimits.perAddressPerMinute, windowSeconds: MINUTE },
      ]);
      return tokensBody(await identity.signInGuest(request.body.deviceId, request.body.deviceSecret));
    },
  );

  api.post(
    '/v1/auth/refresh',
    {
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token for new tokens (the old one is spent; presenting it again revokes the session)',
        body: z.object({ refreshToken: z.string().min(16).max(128) }),
        response: { 200: tokensSchema, ...errorResponses(401, 422, 429) },
      },
    },
    async (request) => {
      await limiter.hit([perIp('refresh', request.ip)]);
      return tokensBody(await identity.refresh(request.body.refreshToken));
    },
  );

  api.post(
    '/v1/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign the session out (its whole refresh-token family), by access token or by refresh token',
        body: z.object({ refreshToken: z.string().min(16).max(128).optional() }).nullish(),
        response: { 204: z.null(), ...errorResponses(401, 422, 429) },
      },
    },
    async (request, reply) => {
      await limiter.hit([perIp('logout', request.ip)]);
      const refreshToken = request.body?.refreshToken;
      if (refreshToken) {
        await identity.logout({ refreshToken });
      } else {
        await app.authenticate.call(app, request, reply);
        await identity.logout({ claims: claimsOf(request) });
      }
      return reply.code(204).send(null);
    },
  );
}
