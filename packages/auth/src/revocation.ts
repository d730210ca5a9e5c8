/**
 * Where a signed-out session is recorded, for every process that holds connections. game-api writes the key (it
 * lives as long as an access token can) and publishes the ids on the channel when it revokes sessions (logout,
 * refresh-token reuse, guest upgrade); a process that verifies tokens by signature alone refuses a token whose
 * session has the key, and drops the open connections of the ids published.
 */

/** Redis key that exists while a revoked session's access tokens could still be unexpired. */
export function revokedSessionKey(sessionId: string): string {
  return `auth:revoked-session:${sessionId}`;
}

/** Redis channel of revoked session ids, published as a JSON array of strings. */
export const REVOKED_SESSIONS_CHANNEL = 'auth:revoked-sessions';
