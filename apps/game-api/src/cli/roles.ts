/**
 * Grants and revokes the designer and admin roles (every account keeps `player`).
 *
 *   node apps/game-api/src/cli/roles.ts grant  designer --player <player id>
 *   node apps/game-api/src/cli/roles.ts revoke admin    --wallet <0x address>
 *   node apps/game-api/src/cli/roles.ts show            --player <player id>
 *
 * Reads DATABASE_URL. Prints the player id and its roles after the change; exit 0 on success, 1 when the player
 * does not exist or the database fails, 2 on a usage error. A change applies to the player's next access token
 * (at its next refresh, within 15 minutes).
 */
import { parseArgs } from 'node:util';
import { createDb, getProfile, type PlayerRef, resolvePlayer, setRole } from '@harvest/db';
import { isAppError } from '@harvest/shared/errors';
import { readCliEnv } from '../env.ts';

const USAGE =
  'usage: roles.ts <grant|revoke> <designer|admin> (--player <id> | --wallet <0x address>)\n       roles.ts show (--player <id> | --wallet <0x address>)';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function usage(problem: string): never {
  process.stderr.write(`${problem}\n${USAGE}\n`);
  process.exit(2);
}

function parse(argv: string[]): { command: 'grant' | 'revoke' | 'show'; role?: 'designer' | 'admin'; ref: PlayerRef } {
  let parsed: ReturnType<typeof parseArgs<{ options: { player: { type: 'string' }; wallet: { type: 'string' } }; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: { player: { type: 'string' }, wallet: { type: 'string' } }, allowPositionals: true });
  } catch (error) {
    usage((error as Error).message);
  }
  const [command, role, ...extra] = parsed.positionals;
  if (command !== 'grant' && command !== 'revoke' && command !== 'show') usage(`unknown command "${command ?? ''}"`);
  if (command === 'show' ? role !== undefined : role !== 'designer' && role !== 'admin') {
    usage(command === 'show' ? 'show takes no role' : `role must be designer or admin (player cannot be changed), not "${role ?? ''}"`);
  }
  if (extra.length > 0) usage(`unexpected argument "${extra[0]}"`);
  const { player, wallet } = parsed.values;
  if ((player === undefined) === (wallet === undefined)) usage('name the player with exactly one of --player or --wallet');
  if (player !== undefined && !UUID.test(player)) usage('--player must be a player id (uuid)');
  if (wallet !== undefined && !ADDRESS.test(wallet)) usage('--wallet must be a 0x-prefixed 20-byte address');
  const ref: PlayerRef = player !== undefined ? { playerId: player } : { address: wallet as string };
  return command === 'show' ? { command, ref } : { command, role: role as 'designer' | 'admin', ref };
}

const args = parse(process.argv.slice(2));
const env = readCliEnv();
const db = createDb({ databaseUrl: env.DATABASE_URL, maxConnections: 1 });
try {
  if (args.command === 'show') {
    const profile = await getProfile(db, await resolvePlayer(db, args.ref));
    process.stdout.write(`${profile.id} ${profile.roles.join(',')}\n`);
  } else {
    const result = await setRole(db, { ref: args.ref, role: args.role as 'designer' | 'admin', grant: args.command === 'grant' });
    process.stdout.write(`${result.playerId} ${result.roles.join(',')}\n`);
  }
  process.exitCode = 0;
} catch (error) {
  process.stderr.write(`${isAppError(error) ? error.message : `failed: ${(error as Error).message}`}\n`);
  process.exitCode = 1;
} finally {
  await db.$disconnect();
}
