// Redis for the start and test commands: REDIS_URL when given; else a Redis already answering on
// 127.0.0.1:6379; else `redis-server` from PATH on a free port, installed from Debian's apt when it is missing and
// apt can be used. BullMQ needs `maxmemory-policy noeviction`, which the servers we start always have.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { StackError, say } from './log.ts';
import { freePort } from './ports.ts';

export interface RedisHandle {
  url: string;
  owned: boolean;
  stop(): Promise<void>;
}

/** Sends PING and resolves with the first reply line, or undefined when nothing answers in time. */
export function pingRedis(host: string, port: number, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (reply: string | undefined) => {
      socket.destroy();
      resolve(reply);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => done(chunk.toString('utf8').split('\r\n')[0]));
  });
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function installRedisWithApt(): boolean {
  if (process.getuid?.() !== 0 || !hasCommand('apt-get')) return false;
  say('redis-server is not installed; installing it with apt-get (Debian package redis-server)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const result = spawnSync('apt-get', ['install', '-y', '-qq', 'redis-server'], { stdio: 'inherit', env });
  return result.status === 0 && hasCommand('redis-server');
}

async function startRedisServer(): Promise<RedisHandle> {
  if (!hasCommand('redis-server') && !installRedisWithApt()) {
    throw new StackError(
      'REDIS_URL',
      'no Redis answers on 127.0.0.1:6379 and redis-server is not installed: install it (sudo apt-get install redis-server), start infra/docker-compose.yml, or set REDIS_URL',
    );
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    if ((await pingRedis('127.0.0.1', port, 200)) === '+PONG') {
      return {
        url: `redis://127.0.0.1:${port}`,
        owned: true,
        async stop() {
          if (child.exitCode !== null) return;
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await exited;
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new StackError('REDIS_URL', `redis-server did not start on port ${port}`);
}

/** Resolves the Redis to use, starting one when needed. */
export async function ensureRedis(url: string | undefined): Promise<RedisHandle> {
  if (url) {
    const parsed = new URL(url);
    const reply = await pingRedis(parsed.hostname, Number(parsed.port || 6379), 3000);
    if (reply === undefined) throw new StackError('REDIS_URL', `nothing answers at ${parsed.host}`);
    return { url, owned: false, async stop() {} };
  }
  if ((await pingRedis('127.0.0.1', 6379)) === '+PONG') {
    say('using the Redis already running on 127.0.0.1:6379');
    return { url: 'redis://127.0.0.1:6379', owned: false, async stop() {} };
  }
  return startRedisServer();
}
