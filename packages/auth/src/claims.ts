/**
 * What an access token says. game-api signs these; every other process verifies them with the JWKS and reads the
 * claims below, nothing else.
 */
import { z } from 'zod';

/** Roles a player can hold. Every account has `player`; `designer` and `admin` are granted by the roles CLI. */
export const ROLES = ['player', 'designer', 'admin'] as const;

/** A role in an access token. */
export type Role = (typeof ROLES)[number];

/** Algorithms an access token may be signed with. Anything else (`none`, HMAC, RSA) is refused. */
export const ACCESS_TOKEN_ALGORITHMS = ['EdDSA', 'ES256'] as const;

/** A signing algorithm accepted for access tokens. */
export type AccessTokenAlgorithm = (typeof ACCESS_TOKEN_ALGORITHMS)[number];

/** The JOSE `typ` of an access token (RFC 9068), so an ID token or another JWT cannot pass for one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Lifetime of an access token: 15 minutes. */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

/** The claims of a verified access token. */
export const accessClaimsSchema = z.object({
  /** The player id. */
  sub: z.uuid(),
  /** The session (refresh-token family) the token was issued for; logout and reuse detection revoke it. */
  sid: z.uuid(),
  roles: z.array(z.enum(ROLES)).min(1),
  /** A device-bound guest: may farm and play casual, may not mint, trade or play ranked. */
  guest: z.boolean(),
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  iat: z.number().int(),
  exp: z.number().int(),
  jti: z.string().min(1),
});

/** The claims of a verified access token. */
export type AccessClaims = z.infer<typeof accessClaimsSchema>;

/** What the issuer decides about a token; the registered claims (iss, aud, iat, exp, jti) are added when signing. */
export interface AccessGrant {
  sub: string;
  sid: string;
  roles: readonly Role[];
  guest: boolean;
}

/** Whether the claims carry a role. */
export function hasRole(claims: Pick<AccessClaims, 'roles'>, role: Role): boolean {
  return claims.roles.includes(role);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined when the header is absent or not a bearer. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(header);
  return match?.[1];
}
