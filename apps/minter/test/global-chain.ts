/**
 * One Hardhat node for the minter project's chain tests (direct.test.ts, crash.test.ts run one file at a time):
 * started on a free loopback port, contracts deployed by contracts/scripts/deploy-local.ts, stopped after the run.
 * Starting and deploying takes ~15 s on two cores, so the files share it instead of each starting its own.
 */
import type { TestProject } from 'vitest/node';
import { type LocalChain, startLocalChain } from './support/chain.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    chain: Pick<LocalChain, 'rpcUrl' | 'deploymentsFile' | 'deployments'>;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const chain = await startLocalChain();
  project.provide('chain', { rpcUrl: chain.rpcUrl, deploymentsFile: chain.deploymentsFile, deployments: chain.deployments });
  return () => chain.stop();
}
