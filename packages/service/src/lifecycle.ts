import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

export interface ServeOptions {
  app: FastifyInstance;
  host: string;
  port: number;
  /** The variable that sets the port, named when the port is taken. */
  portVariable: string;
  log: Logger;
  /** Releases what the app holds (pools, queues, clients) after the server stopped taking requests. */
  onShutdown?: () => Promise<void>;
  /** Milliseconds to wait for in-flight work before exiting anyway. */
  shutdownTimeoutMs?: number;
  exit?: (code: number) => never;
}

/**
 * Listens, then stops gracefully on SIGTERM or SIGINT: stop accepting, finish in-flight requests, release
 * resources, exit 0. A port already taken exits 1 with one line naming the port variable.
 */
export async function serve(options: ServeOptions): Promise<void> {
  const { app, host, port, log } = options;
  const exit = options.exit ?? process.exit;
  try {
    await app.listen({ host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      process.stderr.write(`config error: ${options.portVariable}: cannot listen on ${host}:${port} (${code})\n`);
      await options.onShutdown?.().catch(() => undefined);
      exit(1);
    }
    throw error;
  }
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs: options.shutdownTimeoutMs ?? 10_000 }, 'shutdown timed out');
      exit(1);
    }, options.shutdownTimeoutMs ?? 10_000);
    timer.unref();
    try {
      await app.close();
      await options.onShutdown?.();
      log.info('stopped');
      exit(0);
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      exit(1);
    }
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
