/**
 * Dead letters and lag from the command line (the transport EVENT_BUS selects, same variables as the relay):
 *
 *   node packages/bus/src/cli.ts dlq list <consumer> [--limit N] [--json]
 *   node packages/bus/src/cli.ts dlq replay <consumer> <id>... | --all
 *   node packages/bus/src/cli.ts dlq discard <consumer> <id>...
 *   node packages/bus/src/cli.ts lag <consumer> <topic>[,<topic>...]
 *
 * Replay publishes the dead letter again on its topic (same event id: a consumer that already applied it skips
 * it) and removes it from the dead letters. Exit codes: 0 done, 1 usage or configuration, 2 a dead letter not found,
 * 3 the broker failed.
 */
import { createLogger } from '@harvest/service';
import { AppError } from '@harvest/shared/errors';
import { z } from 'zod';
import { createBusTransport } from './config.ts';
import { readCliEnv } from './env.ts';
import { busName } from './names.ts';
import type { DeadLetter, Transport } from './transport.ts';

const USAGE = `usage:
  cli.ts dlq list <consumer> [--limit N] [--json]
  cli.ts dlq replay <consumer> <id>... | --all
  cli.ts dlq discard <consumer> <id>...
  cli.ts lag <consumer> <topic>[,<topic>...]
`;

const letterId = z.string().regex(/^\d{1,20}[-:]\d{1,20}$/, 'is not a dead-letter id');

/** A usage problem: printed with the usage text, exit 1. */
class UsageError extends Error {}

function parseArgs(argv: readonly string[]) {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--json' || arg === '--all') flags.set(arg, true);
    else if (arg === '--limit') flags.set(arg, argv[++i] ?? '');
    else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  return { flags, positional };
}

function field<T>(schema: z.ZodType<T>, name: string, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new UsageError(`${name}: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return result.data;
}

function summary(letter: DeadLetter): string {
  let type = '?';
  try {
    const envelope = JSON.parse(letter.value) as { type?: string; version?: number; id?: string };
    type = `${envelope.type ?? '?'} v${envelope.version ?? '?'} ${envelope.id ?? ''}`;
  } catch {
    type = 'not JSON';
  }
  return [
    letter.id,
    letter.failedAt,
    `${letter.topic}/${letter.partition}`,
    `key=${letter.key}`,
    type,
    `deliveries=${letter.deliveries}`,
    letter.reason,
  ].join('  ');
}

async function run(transport: Transport, argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { flags, positional } = parseArgs(argv);
  const [command, sub, ...rest] = positional;
  if (command === 'lag') {
    const group = field(busName, 'consumer', sub);
    const topics = field(z.array(busName).min(1), 'topics', (rest[0] ?? '').split(',').filter(Boolean));
    let total = 0;
    for (const entry of await transport.lag(group, topics)) {
      total += entry.lag;
      out(`${entry.topic}/${entry.partition}  ${entry.lag}`);
    }
    out(`total  ${total}`);
    return 0;
  }
  if (command !== 'dlq') throw new UsageError(command ? `unknown command ${command}` : 'missing command');
  const group = field(busName, 'consumer', rest[0]);
  const ids = rest.slice(1).map((id) => field(letterId, 'id', id));
  if (sub === 'list') {
    const limit = field(z.coerce.number().int().min(1).max(10_000), '--limit', flags.get('--limit') ?? 100);
    const letters = await transport.listDeadLetters(group, limit);
    for (const letter of letters) out(flags.has('--json') ? JSON.stringify(letter) : summary(letter));
    if (!flags.has('--json')) out(`${letters.length} dead letter(s) for ${group}`);
    return 0;
  }
  if (sub === 'replay' || sub === 'discard') {
    const targets =
      sub === 'replay' && flags.has('--all') ? (await transport.listDeadLetters(group, 10_000)).map((letter) => letter.id) : ids;
    if (targets.length === 0) throw new UsageError(`dlq ${sub}: give at least one id${sub === 'replay' ? ' or --all' : ''}`);
    let missing = 0;
    for (const id of targets) {
      const done = sub === 'replay' ? await transport.replayDeadLetter(group, id) : await transport.discardDeadLetter(group, id);
      if (!done) {
        missing++;
        const error = new AppError('DEAD_LETTER_NOT_FOUND', `no dead letter ${id} for ${group}`);
        out(`${error.code}: ${error.message}`);
      } else out(`${sub === 'replay' ? 'replayed' : 'discarded'} ${id}`);
    }
    return missing > 0 ? 2 : 0;
  }
  throw new UsageError(sub ? `unknown dlq command ${sub}` : 'missing dlq command');
}

const env = readCliEnv();
const log = createLogger('bus-cli', env.LOG_LEVEL);
const transport = createBusTransport({ env, redisUrl: env.REDIS_URL, log });
let code = 1;
try {
  code = await run(transport, process.argv.slice(2), (line) => process.stdout.write(`${line}\n`));
} catch (error) {
  if (error instanceof UsageError) process.stderr.write(`${error.message}\n${USAGE}`);
  else process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  code = error instanceof UsageError ? 1 : 3;
} finally {
  await transport.close();
}
process.exit(code);
