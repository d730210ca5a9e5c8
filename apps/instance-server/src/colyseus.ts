/**
 * The realtime server of one process: Colyseus with the WebSocket transport, Redis presence and driver (so several
 * processes share matchmaking, seat reservations and reconnection), the hub, battle and farm rooms, and the
 * Fastify app (/healthz /readyz /metrics) on the same HTTP server and port: Colyseus answers its matchmaking
 * routes and hands every other request to Fastify.
 */
import { createServer } from 'node:http';
import { defineRoom, defineServer, matchMaker, type Server } from '@colyseus/core';
import { RedisDriver } from '@colyseus/redis-driver';
import { RedisPresence } from '@colyseus/redis-presence';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { BattleRoom } from './rooms/BattleRoom.ts';
import { FarmRoom } from './rooms/FarmRoom.ts';
import { HubRoom } from './rooms/HubRoom.ts';
import { StaggeredPingTransport } from './transport.ts';

export interface RealtimeOptions {
  redisUrl: string;
  /** Prefix of the driver's and presence's Redis keys (processes that share matchmaking share it). */
  redisPrefix: string;
  host: string;
  port: number;
  /** host:port put in seat reservations (clients connect there for rooms of this process). */
  publicAddress?: string | undefined;
  /** Answers every HTTP request Colyseus does not (health, readiness, metrics). */
  http: FastifyInstance;
  /** Each client is pinged every `intervalMs`; one that misses `maxRetries` pongs in a row is disconnected. */
  ping?: { intervalMs: number; maxRetries: number };
}

export interface Realtime {
  server: Server;
  /** The port actually bound (when 0 was asked). */
  port: number;
  /** Stops taking connections, disposes the rooms of this process, releases Redis. */
  close(): Promise<void>;
}

/**
 * @colyseus/core loads @pm2/io (for PM2's dashboard) when its matchmaker starts, and loading it starts PM2's agent
 * in this process: it logs and swallows unhandled rejections and uncaught exceptions (Node would end the process, and
 * the match sweeper relies on processes that die), wraps the http module, opens an inspector session, and reads every
 * libuv handle each second (at 3,000 clients a 5-35 ms pause each time, ~1% of the process's time in the load test's
 * profile). This server reports through /metrics and its logs, not PM2. So the agent is loaded here first and
 * stopped (Colyseus gets the same instance; its two metrics are then recorded, never sent), and the process
 * listeners it added are removed: its own `destroy()` misses them (it removes other functions than it added).
 */
async function stopPm2Agent(): Promise<void> {
  const events = ['uncaughtException', 'unhandledRejection'];
  // Through the plain emitter interface: the same calls, without process's per-event overloads.
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: agent } = await import('@pm2/io');
  agent.destroy();
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
}

/** Builds and starts the realtime server; resolves once it listens. */
export async function startRealtime(options: RealtimeOptions): Promise<Realtime> {
  await stopPm2Agent();
  const httpServer = createServer();
  // Liveness pings spread over the interval (./transport.ts), not all clients in one turn of the event loop.
  const transport = new StaggeredPingTransport({
    server: httpServer,
    pingInterval: options.ping?.intervalMs ?? 10_000,
    pingMaxRetries: options.ping?.maxRetries ?? 2,
    maxPayload: 8 * 1024,
  });
  const presenceRedis = new Redis(options.redisUrl, { keyPrefix: options.redisPrefix });
  const driverRedis = new Redis(options.redisUrl, { keyPrefix: options.redisPrefix });
  const presence = new RedisPresence(presenceRedis);
  const driver = new RedisDriver(driverRedis);
  const leastLoaded = matchMaker.selectProcessIdToCreateRoom;
  await options.http.ready();
  const server = defineServer({
    rooms: {
      hub: defineRoom(HubRoom),
      battle: defineRoom(BattleRoom),
      farm: defineRoom(FarmRoom).filterBy(['ownerId']),
    },
    transport,
    presence,
    driver,
    greet: false,
    gracefullyShutdown: false,
    ...(options.publicAddress ? { publicAddress: options.publicAddress } : {}),
    // A hub lives where its client's request landed (the load balancer spreads players); battles go to the least
    // loaded process; a farm where its owner (or first visitor) asked.
    selectProcessIdToCreateRoom: async (roomName, clientOptions) =>
      roomName === 'battle' ? leastLoaded(roomName, clientOptions) : matchMaker.processId,
    express: (app) => {
      app.use((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => options.http.routing(req, res));
    },
  });
  await server.listen(options.port, options.host);
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    server,
    port,
    async close() {
      await server.gracefullyShutdown(false);
      presenceRedis.disconnect();
      driverRedis.disconnect();
    },
  };
}
