import { busEnv } from '@harvest/bus';
import { baseEnv, databaseUrl, httpUrl, loadEnv, portVar, redisUrl } from '@harvest/service';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
// The event bus (hub notifications consume it). This process publishes no outbox: the game-api's relay does.
const { OUTBOX_RELAY: _relayNotHere, ...consumerBusEnv } = busEnv;

/** Everything this process reads from its environment, validated once at start-up. */
export const envSchema = z.object({
  ...baseEnv,
  ...consumerBusEnv,
  /** One port for the WebSocket rooms, Colyseus' matchmaking routes and /healthz /readyz /metrics. */
  INSTANCE_SERVER_PORT: portVar(2567),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key and channel of the instance servers (processes sharing matchmaking share it). */
  INSTANCE_REDIS_PREFIX: z.string().min(1).max(64).default('harvest:is:'),
  /** host:port clients reach this process at, put in seat reservations (needed with several processes). */
  INSTANCE_PUBLIC_ADDRESS: z.string().min(1).optional(),
  /** Region of this process: matchmaking prefers pairing players of the same region. */
  INSTANCE_REGION: z.string().min(1).max(32).default('local'),
  /** game-api's key set; tokens are verified locally against it (cached, refreshed on unknown key ids). */
  AUTH_JWKS_URL: httpUrl.default('http://127.0.0.1:3000/.well-known/jwks.json'),
  /** Must equal game-api's AUTH_ISSUER. */
  AUTH_ISSUER: z.string().min(1).default('http://127.0.0.1:3000'),
  AUTH_AUDIENCE: z.string().min(1).default('harvest'),
  /** Key prefix of game-api's Redis connection, under which it records signed-out sessions (game-api uses none). */
  AUTH_REDIS_PREFIX: z.string().max(100).default(''),
  /** Turn timer in seconds; default: the game data's (45). Stored in each match's setup, so replays agree. */
  BATTLE_TURN_SECONDS: z.coerce.number().int().min(1).max(600).optional(),
  /** Seconds a disconnected player has to come back before forfeiting; default: the game data's (60). */
  BATTLE_RECONNECT_SECONDS: z.coerce.number().int().min(1).max(600).optional(),
  /** Seconds both players have to reach a new battle room before it starts with whoever is there. */
  MATCH_JOIN_SECONDS: positiveInt(30),
  /** How often a live battle room refreshes its match's heartbeat (ms). */
  MATCH_HEARTBEAT_MS: positiveInt(5_000),
  /** A match whose heartbeat is older than this is abandoned and the sweeper finishes it (ms). */
  MATCH_ABANDON_AFTER_MS: positiveInt(30_000),
  /** How often the sweeper looks for abandoned matches (ms). */
  MATCH_SWEEP_INTERVAL_MS: positiveInt(10_000),
  /** How often the matchmaker pairs queued players (ms). */
  MATCHMAKER_TICK_MS: positiveInt(500),
  /** Room messages a client may send per second, sustained (a burst of twice as many is allowed). */
  ROOM_MESSAGES_PER_SECOND: positiveInt(10),
  /** Chat lines a player may send per 10 seconds. */
  CHAT_LINES_PER_10S: positiveInt(5),
  /**
   * Every client is pinged this often (ms), a slice of them every 100 ms... Each ping is a socket write and a pong
   * to read: at 5 s, 3,000 players (6,000 sockets) cost 1,200 of each a second, more than their battle intents
   * (about 700 a second in the load test). Nakama pings every 15 s.
   */
  INSTANCE_PING_INTERVAL_MS: z.coerce.number().int().min(200).max(60_000).default(10_000),
  /** ...and disconnected after this many unanswered pings in a row (a dead link is dropped in about interval x (n+1)). */
  INSTANCE_PING_MAX_RETRIES: z.coerce.number().int().min(1).max(10).default(2),
  /**
   * Battle rooms' automatic patch and room clock (ms). Intents are sent at once whatever this is; it bounds how late
   * a turn timer or reconnection window fires and how soon a seat's connection flag is seen.
   */
  BATTLE_PATCH_MS: z.coerce.number().int().min(50).max(5_000).default(1_000),
  /** Farm rooms' tick and patch rate (5-10 Hz). */
  FARM_TICK_HZ: z.coerce.number().int().min(1).max(30).default(10),
});

export type Env = z.infer<typeof envSchema>;

/** Reads and validates `process.env`; exits with one line naming the variable when it is wrong. */
export function readEnv(): Env {
  return loadEnv(envSchema);
}
