/**
 * Open connections by the session (`sid`) their access token was issued for, so that a session signed out
 * elsewhere loses them at once. game-api publishes the ids it revokes (logout, refresh-token reuse, guest upgrade)
 * on REVOKED_SESSIONS_CHANNEL; each process drops the connections it holds for them: the client first gets a
 * `signedOut` message with the code SESSION_REVOKED, then the connection closes as a consented leave, so no
 * reconnection seat is kept for it (a battle seat's player may come back through the hub, with a new sign-in). A
 * token of a revoked session is refused at join (`authenticate`).
 *
 * The channel is Redis pub/sub, at most once: a revocation published while this process is cut off from Redis is
 * not seen here, and that session's open connections stay until they close; its tokens are still refused at join.
 */
import { type Client, CloseCode } from '@colyseus/core';
import type { AccessClaims } from '@harvest/auth';

/** What a dropped client receives before its connection closes. */
export interface SignedOut {
  code: 'SESSION_REVOKED';
  message: string;
}

export interface SessionRegistry {
  /** Remembers a joined client under its token's session (every room's onJoin). */
  hold(client: Client, claims: AccessClaims): void;
  /** Forgets a client that left (every room's onLeave). */
  release(client: Client): void;
  /** Drops every connection of these sessions; returns how many were dropped. */
  drop(sessionIds: readonly unknown[]): number;
  /** Connections held (for tests and metrics). */
  size(): number;
}

export function createSessionRegistry(): SessionRegistry {
  const bySession = new Map<string, Set<Client>>();
  const sessionOf = new WeakMap<Client, string>();
  let held = 0;
  return {
    hold(client, claims) {
      if (sessionOf.has(client)) return;
      let clients = bySession.get(claims.sid);
      if (!clients) {
        clients = new Set();
        bySession.set(claims.sid, clients);
      }
      clients.add(client);
      sessionOf.set(client, claims.sid);
      held++;
    },
    release(client) {
      const sid = sessionOf.get(client);
      if (sid === undefined) return;
      sessionOf.delete(client);
      const clients = bySession.get(sid);
      if (clients?.delete(client)) held--;
      if (clients?.size === 0) bySession.delete(sid);
    },
    drop(sessionIds) {
      let dropped = 0;
      for (const sid of sessionIds) {
        if (typeof sid !== 'string') continue;
        const clients = bySession.get(sid);
        if (!clients) continue;
        for (const client of [...clients]) {
          this.release(client);
          client.send('signedOut', { code: 'SESSION_REVOKED', message: 'this session was signed out' } satisfies SignedOut);
          client.leave(CloseCode.CONSENTED);
          dropped++;
        }
      }
      return dropped;
    },
    size: () => held,
  };
}
