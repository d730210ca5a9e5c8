/**
 * Test support shared by the indexer, minter and marketplace tests: a Hardhat node of the test's own on a free
 * loopback port, started from contracts/ as the binary itself (never npx, so the PID is the node's), with the
 * Harvest contracts deployed by contracts/scripts/deploy-local.ts.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type HarvestDeployments, harvestDeploymentsSchema } from '@harvest/shared/abi';

export const REPO = join(import.meta.dirname, '..', '..');
export const CONTRACTS = join(REPO, 'contracts');

/** Hardhat's funded dev accounts #2-#9 (public test keys): players' wallets in tests. */
export const HARDHAT_ACCOUNT_0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function hardhatBin(): string {
  for (const candidate of [join(CONTRACTS, 'node_modules', '.bin', 'hardhat'), join(REPO, 'node_modules', '.bin', 'hardhat')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('hardhat is not installed');
}

export interface LocalChain {
  rpcUrl: string;
  deployments: HarvestDeployments;
  /** A deployments file of this chain's own (the shared contracts/deployments/31337.json is left as it was). */
  deploymentsFile: string;
  stop(): Promise<void>;
}

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(2000),
  });
  return ((await response.json()) as { result?: unknown }).result;
}

/** Serialises deployments across test files: deploy-local writes one shared file per chain id. */
async function withDeployLock<T>(run: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), 'harvest-deploy-local.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) rmdirSync(lock);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await run();
  } finally {
    rmdirSync(lock);
  }
}

/** Starts a node, waits until it answers, deploys the contracts, and returns where they are. */
export async function startLocalChain(): Promise<LocalChain> {
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  const node: ChildProcess = spawn(process.execPath, [hardhatBin(), 'node', '--hostname', '127.0.0.1', '--port', String(port)], {
    cwd: CONTRACTS,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  node.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const stop = async () => {
    if (node.exitCode !== null || node.signalCode !== null) return;
    const exited = new Promise((resolve) => node.once('exit', resolve));
    node.kill('SIGTERM');
    const timer = setTimeout(() => node.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (node.exitCode !== null) throw new Error(`hardhat node exited: ${stderr}`);
      if ((await rpc(rpcUrl, 'eth_chainId').catch(() => null)) !== null) break;
      if (Date.now() > deadline) throw new Error(`hardhat node did not answer on ${rpcUrl}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const dir = mkdtempSync(join(tmpdir(), 'harvest-test-chain-'));
    const deploymentsFile = join(dir, '31337.json');
    const shared = join(CONTRACTS, 'deployments', '31337.json');
    const deployments = await withDeployLock(async () => {
      const before = existsSync(shared) ? readFileSync(shared, 'utf8') : null;
      try {
        await promisify(execFile)(process.execPath, ['scripts/deploy-local.ts', '--rpc', rpcUrl], {
          cwd: CONTRACTS,
          env: { ...process.env, METADATA_BASE_URL: 'http://127.0.0.1:3000/metadata' },
          timeout: 120_000,
        });
        return harvestDeploymentsSchema.parse(JSON.parse(readFileSync(shared, 'utf8')));
      } finally {
        if (before === null) rmSync(shared, { force: true });
        else writeFileSync(shared, before);
      }
    });
    writeFileSync(deploymentsFile, JSON.stringify(deployments));
    return {
      rpcUrl,
      deployments,
      deploymentsFile,
      async stop() {
        await stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** One JSON-RPC call to a test chain (hardhat_*, evm_* and eth_* alike); throws the node's error message. */
export async function chainRpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as { result?: T; error?: { message?: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/** Hardhat's unlocked dev accounts (the node's eth_accounts). */
export function devAccounts(url: string): Promise<`0x${string}`[]> {
  return chainRpc<`0x${string}`[]>(url, 'eth_accounts');
}
