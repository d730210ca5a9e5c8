/**
 * Wires one instance-server process: services for the rooms, the realtime server (rooms and HTTP on one port),
 * the matchmaker loop and the match keeper (heartbeats, sweeper). `server.ts` runs it with the process's env;
 * tests run it with theirs.
 */

import { matchMaker } from '@colyseus/core';
import { createJwksCache, createTokenVerifier, REVOKED_SESSIONS_CHANNEL } from '@harvest/auth';
import { createBusTransport, createConsumer } from '@harvest/bus';
import { createDb, type Db } from '@harvest/db';
import { createLogger, type Dependency, type Logger, postgresDependency, redisDependency } from '@harvest/service';
import { Redis } from 'ioredis';
import { Histogram, Registry } from 'prom-client';
import { buildApp } from './app.ts';
import { startRealtime } from './colyseus.ts';
import type { Env } from './env.ts';
import { type MatchKeeper, startMatchKeeper } from './matches/sweeper.ts';
import { createActionWriter } from './matches/writer.ts';
import { createMatchmaker, type Matchmaker } from './matchmaking/matchmaker.ts';
import { notificationHandlers } from './notifications.ts';
import { createWordFilter, type HubNotification, playerChannel, setServices } from './services.ts';
import { createSessionRegistry } from './sessions.ts';

/** Buckets (s) of the battle intent histograms: fine below the 50 ms round-trip target. */
export const INTENT_BUCKETS_SECONDS = [0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2, 5];

export interface InstanceServer {
  port: number;
  db: Db;
  log: Logger;
  matchmaker: Matchmaker;
  keeper: MatchKeeper;
  /** Graceful stop: no new connections, rooms disposed, loops stopped, connections closed. */
  close(): Promise<void>;
}

/** Starts the process; resolves once it listens. */
export async function startInstanceServer(env: Env, options: { log?: Logger; db?: Db } = {}): Promise<InstanceServer> {
  const log = options.log ?? createLogger('instance-server', env.LOG_LEVEL);
  const db = options.db ?? createDb({ databaseUrl: env.DATABASE_URL, maxConnections: 10 });
  const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 3 });
  redis.on('error', (error) => log.warn({ err: error }, 'redis error'));
  const dependencies: Record<string, Dependency> = {
    database: postgresDependency(env.DATABASE_URL),
    redis: redisDependency(env.REDIS_URL),
  };
  const liveMatches = new Set<string>();
  const sessions = createSessionRegistry();
  const verifier = createTokenVerifier({
    jwks: createJwksCache({ url: env.AUTH_JWKS_URL }),
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
  });
  const prefix = env.INSTANCE_REDIS_PREFIX;
  const registry = new Registry();
  // What an intent costs inside this process, apart from the network and clients. Histograms, not summaries: a
  // summary's sliding quantiles cost a t-digest insert per age bucket on every intent (4-5% of the server's CPU in the
  // load test's profile), and histograms add up across processes.
  const buckets = { buckets: INTENT_BUCKETS_SECONDS, registers: [registry] };
  const metrics = {
    intentSeconds: new Histogram({ name: 'battle_intent_seconds', help: 'Battle intent: handler entry to answer', ...buckets }),
    storeSeconds: new Histogram({ name: 'battle_transcript_store_seconds', help: 'Battle intent: transcript row stored', ...buckets }),
  };
  const notify = async (playerId: string, message: HubNotification) => {
    await matchMaker.presence.publish(playerChannel(prefix, playerId), message);
  };
  setServices({
    db,
    log,
    redis,
    verifier,
    writer: createActionWriter(db, log),
    liveMatches,
    sessions,
    chatFilter: createWordFilter(),
    config: {
      region: env.INSTANCE_REGION,
      turnSeconds: env.BATTLE_TURN_SECONDS,
      reconnectSeconds: env.BATTLE_RECONNECT_SECONDS,
      joinSeconds: env.MATCH_JOIN_SECONDS,
      heartbeatMs: env.MATCH_HEARTBEAT_MS,
      messagesPerSecond: env.ROOM_MESSAGES_PER_SECOND,
      chatLinesPer10s: env.CHAT_LINES_PER_10S,
      farmTickHz: env.FARM_TICK_HZ,
      battlePatchMs: env.BATTLE_PATCH_MS,
      redisPrefix: prefix,
      authRedisPrefix: env.AUTH_REDIS_PREFIX,
    },
    notify,
    metrics,
  });
  const http = await buildApp({ log, dependencies, registry });
  const realtime = await startRealtime({
    redisUrl: env.REDIS_URL,
    redisPrefix: prefix,
    host: env.HOST,
    port: env.INSTANCE_SERVER_PORT,
    publicAddress: env.INSTANCE_PUBLIC_ADDRESS,
    http,
    ping: { intervalMs: env.INSTANCE_PING_INTERVAL_MS, maxRetries: env.INSTANCE_PING_MAX_RETRIES },
  });
  // Sessions signed out at game-api lose their open connections here (sessions.ts).
  const onRevoked = (sessionIds: unknown) => {
    const dropped = Array.isArray(sessionIds) ? sessions.drop(sessionIds) : 0;
    if (dropped > 0) log.info({ dropped }, 'connections of signed-out sessions dropped');
  };
  await matchMaker.presence.subscribe(REVOKED_SESSIONS_CHANNEL, onRevoked);
  // Bus events become hub notifications (one consumer group shared by every instance-server process).
  const busTransport = createBusTransport({ env: { ...env, OUTBOX_RELAY: 'off' }, redisUrl: env.REDIS_URL, log });
  const notifications = createConsumer({
    name: 'instance-server-notifications',
    handlers: notificationHandlers(notify),
    transport: busTransport,
    db,
    log,
    registry,
  });
  await notifications.start();
  const matchmaker = createMatchmaker(env.MATCHMAKER_TICK_MS);
  matchmaker.start();
  const keeper = startMatchKeeper({
    db,
    log,
    liveMatches,
    heartbeatMs: env.MATCH_HEARTBEAT_MS,
    abandonAfterMs: env.MATCH_ABANDON_AFTER_MS,
    sweepIntervalMs: env.MATCH_SWEEP_INTERVAL_MS,
  });
  log.info({ port: realtime.port, processId: matchMaker.processId, region: env.INSTANCE_REGION }, 'instance-server listening');
  return {
    port: realtime.port,
    db,
    log,
    matchmaker,
    keeper,
    async close() {
      await matchMaker.presence.unsubscribe(REVOKED_SESSIONS_CHANNEL, onRevoked);
      await notifications.stop();
      await busTransport.close();
      await matchmaker.stop();
      await realtime.close();
      await keeper.stop();
      await http.close();
      await Promise.all(Object.values(dependencies).map((d) => d.close()));
      redis.disconnect();
      if (!options.db) await db.$disconnect();
    },
  };
}
