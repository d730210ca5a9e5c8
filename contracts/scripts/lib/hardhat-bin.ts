// Where the Hardhat binary is: npm workspaces hoist it to the repository root, a standalone install keeps it here.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The contracts workspace directory. */
export const CONTRACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Path of the `hardhat` binary, started directly with `node` (never through npx). */
export function hardhatBin(): string {
  for (const candidate of [
    join(CONTRACTS_DIR, 'node_modules', '.bin', 'hardhat'),
    join(CONTRACTS_DIR, '..', 'node_modules', '.bin', 'hardhat'),
  ]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('hardhat is not installed: run `npm install` at the repository root');
}
