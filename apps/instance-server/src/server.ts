import { readEnv } from './env.ts';
import { startInstanceServer } from './main.ts';

const env = readEnv();
let server: Awaited<ReturnType<typeof startInstanceServer>>;
try {
  server = await startInstanceServer(env);
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    process.stderr.write(`config error: INSTANCE_SERVER_PORT: cannot listen on ${env.HOST}:${env.INSTANCE_SERVER_PORT} (${code})\n`);
    process.exit(1);
  }
  throw error;
}

let stopping = false;
const stop = async (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  server.log.info({ signal }, 'shutting down');
  const timer = setTimeout(() => {
    server.log.error('shutdown timed out');
    process.exit(1);
  }, 15_000);
  timer.unref();
  try {
    await server.close();
    server.log.info('stopped');
    process.exit(0);
  } catch (error) {
    server.log.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
