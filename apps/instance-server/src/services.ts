/**
 * What the rooms of this process share. Colyseus instantiates rooms itself (possibly for a matchmaker running on
 * another process), so rooms cannot take constructor arguments: the process registers its services once at start
 * and rooms read them with {@link services}.
 */

import { type Client, ServerError } from '@colyseus/core';
import { type AccessClaims, revokedSessionKey, type TokenVerifier } from '@harvest/auth';
import type { Db } from '@harvest/db';
import type { Logger } from '@harvest/service';
import { AppError, toErrorResponse } from '@harvest/shared/errors';
import type { Redis } from 'ioredis';
import type { Histogram } from 'prom-client';
import type { ActionWriter } from './matches/writer.ts';
import type { SessionRegistry } from './sessions.ts';

/** Tunables the rooms and the matchmaker read (from env.ts). */
export interface RoomConfig {
  region: string;
  turnSeconds: number | undefined;
  reconnectSeconds: number | undefined;
  joinSeconds: number;
  heartbeatMs: number;
  messagesPerSecond: number;
  chatLinesPer10s: number;
  farmTickHz: number;
  /** Battle rooms' automatic patch and room-clock period (ms): their timers fire within this of their time. */
  battlePatchMs: number;
  /** Prefix of Redis keys and channels. */
  redisPrefix: string;
  /** Key prefix of game-api's Redis connection (where signed-out sessions are recorded). */
  authRedisPrefix: string;
}

/** A word filter hook: returns the text to send (possibly masked), or null to refuse the line. */
export type ChatFilter = (text: string) => string | null;

/** Process-wide services. */
export interface Services {
  db: Db;
  log: Logger;
  /** A Redis client for queues and presence keys (keys are prefixed by the caller). */
  redis: Redis;
  verifier: TokenVerifier;
  writer: ActionWriter;
  config: RoomConfig;
  chatFilter: ChatFilter;
  /** Open connections by session, dropped when their session is signed out (sessions.ts). */
  sessions: SessionRegistry;
  /** Match ids of the live battle rooms of this process (their heartbeat is refreshed). */
  liveMatches: Set<string>;
  /** Publishes to a player wherever their hub connection is. */
  notify(playerId: string, message: HubNotification): Promise<void>;
  /** Battle intents as the server sees them (in /metrics): handler entry to answer, and the transcript write. */
  metrics: { intentSeconds: Histogram; storeSeconds: Histogram };
}

/** What the hub pushes to a player (match found, friend online, a bus event...). */
export interface HubNotification {
  type: string;
  [key: string]: unknown;
}

let current: Services | undefined;

/** Registers the process's services (once at start; tests register theirs). */
export function setServices(value: Services): void {
  current = value;
}

/** The process's services. */
export function services(): Services {
  if (!current) throw new Error('instance-server services are not registered');
  return current;
}

/**
 * The error a refused join fails with. Colyseus carries only a number and a message to the client (an error with a
 * string code arrives as code 0, or as a bogus "seat reservation expired"), so the HTTP status of the error's
 * category goes in the number and the stable code leads the message: `UNAUTHENTICATED: ...`.
 */
export function joinRefusal(error: unknown): ServerError {
  if (error instanceof ServerError) return error;
  const { status, body } = toErrorResponse(error);
  return new ServerError(status, `${body.error.code}: ${body.error.message}`);
}

/**
 * Verifies the bearer token a client sent to join a room, and refuses it when its session was signed out (the key
 * game-api writes when it revokes a session); every room's static onAuth uses it.
 */
export async function authenticate(token: string | undefined): Promise<AccessClaims> {
  try {
    if (!token) throw new AppError('UNAUTHENTICATED', 'send the access token (client.auth.token)');
    const svc = services();
    const claims = await svc.verifier.verify(token);
    if (await isRevoked(claims.sid)) throw new AppError('SESSION_REVOKED', 'this session was signed out');
    return claims;
  } catch (error) {
    throw joinRefusal(error);
  }
}

/** Whether game-api signed this session out (the key it writes when it revokes a session). */
async function isRevoked(sessionId: string): Promise<boolean> {
  const svc = services();
  return (await svc.redis.exists(`${svc.config.authRedisPrefix}${revokedSessionKey(sessionId)}`)) === 1;
}

/** Holds a reconnected client under its session, or drops it at once when that session was signed out meanwhile. */
export async function holdUnlessRevoked(client: Client, claims: AccessClaims): Promise<void> {
  const svc = services();
  svc.sessions.hold(client, claims);
  try {
    if (await isRevoked(claims.sid)) svc.sessions.drop([claims.sid]);
  } catch (error) {
    svc.log.warn({ err: error }, 'could not check a reconnected session');
  }
}

/** The Redis channel a player's notifications travel on. */
export function playerChannel(prefix: string, playerId: string): string {
  return `${prefix}player:${playerId}`;
}

/** A small default word filter: masks a few words; replace the hook for a real list or service. */
export function createWordFilter(words: readonly string[] = ['idiot', 'noob', 'scam']): ChatFilter {
  const pattern = words.length > 0 ? new RegExp(`\\b(${words.map((w) => w.replace(/[^a-z0-9]/gi, '')).join('|')})\\b`, 'gi') : null;
  return (text) => {
    const trimmed = text.trim();
    if (trimmed.length === 0) return null;
    return pattern ? trimmed.replace(pattern, (w) => '*'.repeat(w.length)) : trimmed;
  };
}
