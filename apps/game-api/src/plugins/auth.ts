/**
 * Authentication and route guards. `app.authenticate` verifies the bearer access token (the same verifier other
 * apps import, fed from the key store without HTTP) and refuses tokens of a revoked session: game-api checks the
 * revocation list in Redis, other apps accept a token until it expires (15 minutes at most).
 * Guards: `app.requireRole('admin')`, `app.requireFullAccount` (guests may farm and play casual, not mint, trade or
 * play ranked).
 */
import { type AccessClaims, bearerToken, hasRole, type Role, type TokenVerifier } from '@harvest/auth';
import { AppError } from '@harvest/shared/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { SessionRevocations } from '../auth/revocations.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access-token claims; set by `app.authenticate`. */
    auth?: AccessClaims;
  }
  interface FastifyInstance {
    /** preHandler: a valid access token of a live session, else 401. */
    authenticate: preHandlerAsyncHookHandler;
    /** preHandler: authenticated and holding `role`, else 403 FORBIDDEN. */
    requireRole(role: Role): preHandlerAsyncHookHandler;
    /** preHandler: authenticated and not a guest, else 403 GUEST_NOT_ALLOWED. */
    requireFullAccount: preHandlerAsyncHookHandler;
  }
}

export interface AuthPluginOptions {
  verifier: TokenVerifier;
  revocations: SessionRevocations;
}

/** The claims of an authenticated request (for handlers behind `app.authenticate`). */
export function claimsOf(request: FastifyRequest): AccessClaims {
  if (!request.auth) throw new AppError('UNAUTHENTICATED', 'sign in first');
  return request.auth;
}

/** Verifies an optional bearer token: undefined without an Authorization header, the claims with a valid one. */
export async function optionalClaims(app: FastifyInstance, request: FastifyRequest): Promise<AccessClaims | undefined> {
  if (request.headers.authorization === undefined) return undefined;
  await app.authenticate.call(app, request, undefined as unknown as FastifyReply);
  return request.auth;
}

async function authPlugin(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  app.decorateRequest('auth', undefined);
  const authenticate: preHandlerAsyncHookHandler = async (request) => {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new AppError('UNAUTHENTICATED', 'an `Authorization: Bearer <access token>` header is required');
    const claims = await options.verifier.verify(token);
    if (await options.revocations.isRevoked(claims.sid)) throw new AppError('SESSION_REVOKED', 'this session was signed out');
    request.auth = claims;
  };
  app.decorate('authenticate', authenticate);
  app.decorate('requireRole', (role: Role): preHandlerAsyncHookHandler => {
    return async function requireRole(this: FastifyInstance, request, reply) {
      await authenticate.call(this, request, reply);
      if (!hasRole(claimsOf(request), role)) throw new AppError('FORBIDDEN', `this needs the ${role} role`);
    };
  });
  app.decorate('requireFullAccount', async function requireFullAccount(this: FastifyInstance, request, reply) {
    await authenticate.call(this, request, reply);
    if (claimsOf(request).guest) throw new AppError('GUEST_NOT_ALLOWED', 'guests cannot do this; sign in with a wallet to upgrade');
  } as preHandlerAsyncHookHandler);
}

/** Registers `authenticate`, `requireRole` and `requireFullAccount` on the app (not encapsulated). */
export const authGuards = fp(authPlugin, { name: 'harvest-auth', fastify: '5.x' });
