import { readFileSync } from 'node:fs';
import { type HarvestDeployments, harvestDeploymentsSchema } from '@harvest/shared/abi';

/** Reads and validates the deployments file (contracts/scripts/deploy-local.ts writes it); throws naming the file. */
export function readDeployments(path: string, chainId: number): HarvestDeployments {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the deployments file ${path}: ${(error as Error).message}`);
  }
  const parsed = harvestDeploymentsSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path} is not a deployments file: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  if (parsed.data.chainId !== chainId) throw new Error(`${path} is for chain ${parsed.data.chainId}, not CHAIN_ID ${chainId}`);
  return parsed.data;
}
