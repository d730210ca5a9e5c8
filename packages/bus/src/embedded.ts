/**
 * The relay inside another server process (game-api runs one by default): every replica starts one, the advisory
 * lock makes one of them publish and keeps the others on standby. `OUTBOX_RELAY=off` opts a process out, for
 * deployments that run the standalone relay (`node packages/bus/src/relay-main.ts`) instead.
 */
import { ConfigError } from '@harvest/service';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type BusEnv, createBusTransport } from './config.ts';
import { createRelay, type Relay } from './relay.ts';

/** Options of {@link startOutboxRelay}. */
export interface OutboxRelayOptions {
  /** The process' validated environment (it spreads `busEnv`). */
  env: BusEnv & { DATABASE_URL: string; REDIS_URL: string };
  log: Logger;
  /** Registry of the process' `/metrics`. */
  registry?: Registry;
  exit?: (code: number) => never;
}

/** A relay running in this process, with its transport. */
export interface OutboxRelay {
  relay: Relay;
  /** Stops the relay (releasing the lock for another replica) and closes its transport. */
  stop(): Promise<void>;
}

/**
 * Starts the in-process relay unless OUTBOX_RELAY=off. A configuration problem exits with one line naming the
 * variable, like the app's own env check.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay | undefined {
  const { env } = options;
  if (env.OUTBOX_RELAY === 'off') return undefined;
  const log = options.log.child({ component: 'outbox-relay' });
  try {
    const transport = createBusTransport({ env, redisUrl: env.REDIS_URL, log });
    const relay = createRelay({
      databaseUrl: env.DATABASE_URL,
      transport,
      log,
      ...(options.registry ? { registry: options.registry } : {}),
    });
    return {
      relay,
      async stop() {
        // Closing the transport also interrupts a publish waiting on an unreachable broker.
        const stopped = relay.stop();
        await transport.close();
        await stopped;
      },
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`config error: ${error.message}\n`);
    return (options.exit ?? process.exit)(1);
  }
}
