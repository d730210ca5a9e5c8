/**
 * Match-seed commitment: the server publishes `commitSeed(seed)` when a match starts and reveals the seed when it
 * ends; anyone can then check `verifySeedCommitment(seed, commitment)` and replay the transcript.
 */

import { MIN_SEED_BYTES } from './rng.ts';
import { hexToBytes, isHex, sha256Hex } from './sha256.ts';

/**
 * The public commitment to a match seed: SHA-256 of the seed's bytes (not of its hex text), lower-case hex.
 * @throws RangeError when the seed is not hex of at least {@link MIN_SEED_BYTES} bytes.
 */
export function commitSeed(seedHex: string): string {
  if (!isHex(seedHex) || seedHex.length / 2 < MIN_SEED_BYTES) {
    throw new RangeError(`match seed must be hex of at least ${MIN_SEED_BYTES} bytes`);
  }
  return sha256Hex(hexToBytes(seedHex));
}

/** True when `seedHex` is a valid seed whose commitment equals `commitment` (hex, any case). */
export function verifySeedCommitment(seedHex: string, commitment: string): boolean {
  if (!isHex(seedHex) || seedHex.length / 2 < MIN_SEED_BYTES) return false;
  return commitSeed(seedHex) === commitment.toLowerCase();
}
