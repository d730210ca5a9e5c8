/** Checking content before it is stored, and reading it back. */
import { AppError } from '@harvest/shared/errors';
import { crossCheck, type GameData, verifyRelease } from '@harvest/shared/gamedata';
import { gameDataSchema, LIST_SECTIONS } from '@harvest/shared/schemas';

/** Most problems listed in a `GAMEDATA_INVALID` error's details. */
const MAX_PROBLEMS = 20;

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Validates content handed to a publish the way the loader does (schema, then the cross-reference checks) and puts
 * it in canonical form (every list sorted by id, as `loadGameData` returns it), so the same data always hashes the
 * same whoever built the object. Only errors refuse; warnings are the designer's call and `validate` shows them.
 * @throws AppError `GAMEDATA_INVALID` with up to 20 problems (`path: message`) in its details.
 */
export function checkPublishableContent(content: unknown): GameData {
  const parsed = gameDataSchema.safeParse(content);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, MAX_PROBLEMS).map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new AppError('GAMEDATA_INVALID', `game data does not validate: ${problems[0] ?? 'invalid'}`, { problems });
  }
  const data = { ...parsed.data } as Record<string, unknown>;
  for (const section of LIST_SECTIONS) data[section] = (parsed.data[section] as { id: string }[]).slice().sort(byId);
  const canonical = data as GameData;
  const errors = crossCheck(canonical).filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    const problems = errors.slice(0, MAX_PROBLEMS).map((f) => `${f.at.section}${f.at.id ? `/${f.at.id}` : ''}: ${f.message} [${f.code}]`);
    throw new AppError('GAMEDATA_INVALID', `game data has ${errors.length} cross-reference error(s): ${problems[0]}`, { problems });
  }
  return canonical;
}

/**
 * Re-checks a stored version: its content must still validate and hash to its recorded hash. A failure means the
 * row was edited by hand or the schema changed incompatibly (deploy a migration of the stored content first).
 * @throws AppError `GAMEDATA_CORRUPT`.
 */
export function verifyStoredContent(row: { version: number; contentHash: string; content: unknown }): GameData {
  const verified = verifyRelease({ contentHash: row.contentHash, content: row.content });
  if (!verified.ok) throw new AppError('GAMEDATA_CORRUPT', `game data version ${row.version}: ${verified.reason}`);
  return verified.content;
}
