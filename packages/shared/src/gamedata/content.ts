/** Canonical JSON and the content hash that identifies a game-data version. */

import { sha256Hex } from '../rules/core/sha256.ts';
import type { GameData } from '../schemas/gamedata/file.ts';

/**
 * Canonical JSON: object keys sorted by UTF-16 code units (as `Array.prototype.sort` does), no whitespace,
 * `undefined` properties dropped, arrays in order, numbers as `JSON.stringify` writes them. Two structurally equal
 * values always give the same text.
 * @throws TypeError for values JSON cannot represent (non-finite numbers, bigint, functions, symbols).
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot encode ${value} as JSON`);
      return JSON.stringify(value);
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      const keys = Object.keys(value).sort();
      const parts: string[] = [];
      for (const k of keys) {
        const v = (value as Record<string, unknown>)[k];
        if (v !== undefined) parts.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`cannot encode a ${typeof value} as JSON`);
  }
}

/**
 * The content hash of game data: SHA-256 (hex) of its canonical JSON. Lists are already sorted by id by the loader,
 * so moving an entry between files or reformatting YAML does not change the hash; changing any value does.
 */
export function contentHash(data: GameData): string {
  return sha256Hex(canonicalJson(data));
}
