// The local chain for the start command: CHAIN_RPC_URL when given, else a Hardhat node on 127.0.0.1:8545
// (chain 31337) started from the contracts workspace, with the contracts deployed to it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StackError, say } from './log.ts';
import { portInUse } from './ports.ts';

export interface ChainHandle {
  rpcUrl: string;
  chainId: number;
  owned: boolean;
  stop(): Promise<void>;
}

/** eth_chainId of an RPC endpoint, or undefined when it does not answer as an EVM node. */
export async function rpcChainId(rpcUrl: string, timeoutMs = 1000): Promise<number | undefined> {
  try {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as { result?: string };
    return body.result ? Number(body.result) : undefined;
  } catch {
    return undefined;
  }
}

export async function ensureChain(root: string, rpcUrl: string | undefined, chainId: number, port: number): Promise<ChainHandle> {
  if (rpcUrl) {
    const seen = await rpcChainId(rpcUrl, 5000);
    if (seen === undefined) throw new StackError('CHAIN_RPC_URL', `no EVM JSON-RPC answers at ${rpcUrl}`);
    if (seen !== chainId) throw new StackError('CHAIN_ID', `is ${chainId} but ${rpcUrl} serves chain ${seen}`);
    return { rpcUrl, chainId, owned: false, async stop() {} };
  }
  const localUrl = `http://127.0.0.1:${port}`;
  if (chainId !== 31337)
    throw new StackError('CHAIN_ID', `is ${chainId}: the local Hardhat node is chain 31337; set CHAIN_RPC_URL to use another chain`);
  if (await portInUse(port)) {
    const seen = await rpcChainId(localUrl);
    if (seen === 31337) {
      say(`using the Hardhat node already answering on ${localUrl}`);
      return { rpcUrl: localUrl, chainId, owned: false, async stop() {} };
    }
    throw new StackError(
      'CHAIN_RPC_PORT',
      `port ${port} is taken by something that is not a Hardhat node; set CHAIN_RPC_PORT or CHAIN_RPC_URL`,
    );
  }
  const hardhat = join(root, 'node_modules', '.bin', 'hardhat');
  const contracts = join(root, 'contracts');
  if (!existsSync(hardhat) || !existsSync(join(contracts, 'hardhat.config.ts'))) {
    throw new StackError('CHAIN_RPC_URL', 'the contracts workspace is missing (no hardhat.config.ts); set CHAIN_RPC_URL to a chain');
  }
  // Started as the binary itself, not through npx, so the PID we hold is the node and stopping it leaves nothing.
  const child: ChildProcess = spawn(process.execPath, [hardhat, 'node', '--hostname', '127.0.0.1', '--port', String(port)], {
    cwd: contracts,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) break;
    if ((await rpcChainId(localUrl, 300)) === 31337) {
      return {
        rpcUrl: localUrl,
        chainId,
        owned: true,
        async stop() {
          if (child.exitCode !== null) return;
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
          if (child.exitCode === null) child.kill('SIGKILL');
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new StackError('CHAIN_RPC_URL', `the Hardhat node did not start: ${stderr.trim().split('\n').slice(-2).join(' | ')}`);
}

/** Deploys the contracts (idempotently) when the contracts workspace has a deploy script. */
export function deployContracts(root: string, rpcUrl: string): boolean {
  const script = join(root, 'contracts', 'scripts', 'deploy-local.ts');
  if (!existsSync(script)) return false;
  const result = spawnSync(process.execPath, [script], {
    cwd: join(root, 'contracts'),
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CHAIN_RPC_URL: rpcUrl },
  });
  if (result.status !== 0) throw new StackError('CHAIN_RPC_URL', `deploying the contracts failed (exit ${result.status})`);
  return true;
}
