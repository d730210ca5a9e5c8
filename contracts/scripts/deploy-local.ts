// Deploys the Harvest contracts with Ignition to a JSON-RPC chain (the local Hardhat node by default), grants the
// minter role, and writes deployments/<chainId>.json for the apps. Idempotent: when that file exists and every
// contract in it still has code on the chain, the deployment is reused (only the minter grant is checked again).
//
//   node scripts/deploy-local.ts [--rpc URL] [--minter ADDRESS]
//
// Environment (flags win): CHAIN_RPC_URL (default http://127.0.0.1:8545), MINTER_ADDRESS (default Hardhat account
// #1), DEPLOYER_PRIVATE_KEY (default: the node's first unlocked account), TREASURY_ADDRESS (default: deployer),
// METADATA_BASE_URL (default http://127.0.0.1:3000/metadata).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import hre from 'hardhat';
import { type Address, getAddress, type Hex, isAddress } from 'viem';
import HarvestModule from '../ignition/modules/Harvest.ts';
import { CONTRACTS_DIR } from './lib/hardhat-bin.ts';

const HARDHAT_ACCOUNT_1: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const CONTRACT_NAMES = ['HarvestCards', 'HarvestLand', 'Marketplace'] as const;
type ContractName = (typeof CONTRACT_NAMES)[number];

/** The file apps read: where each contract lives and from which block to index it. */
export interface DeploymentsFile {
  chainId: number;
  contracts: Record<ContractName, { address: Address; blockNumber: number }>;
  minter: Address;
  admin: Address;
  treasury: Address;
}

function fail(message: string): never {
  process.stderr.write(`deploy-local: ${message}\n`);
  process.exit(1);
}

const { values } = parseArgs({ options: { rpc: { type: 'string' }, minter: { type: 'string' } } });
const rpcUrl = values.rpc ?? process.env.CHAIN_RPC_URL ?? 'http://127.0.0.1:8545';
const minterInput = values.minter ?? process.env.MINTER_ADDRESS ?? HARDHAT_ACCOUNT_1;
if (!isAddress(minterInput)) fail(`MINTER_ADDRESS is not an address: ${minterInput}`);
const minter = getAddress(minterInput);
const deployerKey = process.env.DEPLOYER_PRIVATE_KEY as Hex | undefined;
const metadataBaseUrl = (process.env.METADATA_BASE_URL ?? 'http://127.0.0.1:3000/metadata').replace(/\/$/, '');

/** eth_chainId of the endpoint, so an unreachable chain ends in one clear line rather than a stack trace. */
async function probeChainId(url: string): Promise<number> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(5000),
    });
    const body = (await response.json()) as { result?: string };
    if (!body.result) throw new Error('no result');
    return Number(body.result);
  } catch {
    return fail(`no EVM JSON-RPC answers at ${url} (set CHAIN_RPC_URL or --rpc)`);
  }
}

await probeChainId(rpcUrl);
await hre.tasks.getTask('build').run({ quiet: true, noTests: true });

const connection = await hre.network.create({
  network: 'rpc',
  override: { url: rpcUrl, ...(deployerKey ? { accounts: [deployerKey] } : {}) },
});
const { viem, ignition } = connection;
const publicClient = await viem.getPublicClient();
const chainId = await publicClient.getChainId();
const [deployer] = await viem.getWalletClients();
if (!deployer) fail('the chain has no unlocked account and DEPLOYER_PRIVATE_KEY is not set');
const admin = getAddress(deployer.account.address);
const treasury = getAddress(process.env.TREASURY_ADDRESS ?? admin);

const deploymentsDir = join(CONTRACTS_DIR, 'deployments');
const deploymentsPath = join(deploymentsDir, `${chainId}.json`);

async function stillDeployed(file: DeploymentsFile): Promise<boolean> {
  if (file.chainId !== chainId) return false;
  for (const name of CONTRACT_NAMES) {
    const entry = file.contracts[name];
    if (!entry) return false;
    const code = await publicClient.getCode({ address: entry.address });
    if (!code || code === '0x') return false;
  }
  return true;
}

/** First block at which `address` has code, by bisection over [low, high] (needs state at those blocks). */
async function deployBlock(address: Address, low: bigint, high: bigint): Promise<number> {
  while (low < high) {
    const mid = (low + high) / 2n;
    const code = await publicClient.getCode({ address, blockNumber: mid });
    if (code && code !== '0x') high = mid;
    else low = mid + 1n;
  }
  return Number(low);
}

async function deploy(): Promise<DeploymentsFile> {
  // The local node forgets everything when it stops, so an old Ignition journal for it describes contracts that
  // are gone; on other chains the journal is what makes a re-run resume instead of deploying twice.
  if (chainId === 31337) rmSync(join(CONTRACTS_DIR, 'ignition', 'deployments', `chain-${chainId}`), { recursive: true, force: true });
  const fromBlock = await publicClient.getBlockNumber();
  const { cards, land, marketplace } = await ignition.deploy(HarvestModule, {
    parameters: {
      Harvest: {
        admin,
        treasury,
        cardsBaseUri: `${metadataBaseUrl}/cards/`,
        cardsContractUri: `${metadataBaseUrl}/cards/contract.json`,
        landBaseUri: `${metadataBaseUrl}/land/`,
        landContractUri: `${metadataBaseUrl}/land/contract.json`,
      },
    },
    displayUi: false,
  });
  const toBlock = await publicClient.getBlockNumber();
  const entry = async (address: Address) => ({ address: getAddress(address), blockNumber: await deployBlock(address, fromBlock, toBlock) });
  return {
    chainId,
    contracts: {
      HarvestCards: await entry(cards.address),
      HarvestLand: await entry(land.address),
      Marketplace: await entry(marketplace.address),
    },
    minter,
    admin,
    treasury,
  };
}

const existing = existsSync(deploymentsPath) ? (JSON.parse(readFileSync(deploymentsPath, 'utf8')) as DeploymentsFile) : undefined;
const reused = existing !== undefined && (await stillDeployed(existing));
const deployment = reused ? { ...existing, minter } : await deploy();

for (const name of ['HarvestCards', 'HarvestLand'] as const) {
  // Both collections take the minter role from their shared base contract.
  const token = await viem.getContractAt('HarvestERC721', deployment.contracts[name].address);
  const role = await token.read.MINTER_ROLE();
  if (!(await token.read.hasRole([role, minter]))) {
    const hash = await token.write.grantRole([role, minter], { account: deployer.account });
    await publicClient.waitForTransactionReceipt({ hash });
  }
}

mkdirSync(deploymentsDir, { recursive: true });
writeFileSync(deploymentsPath, `${JSON.stringify(deployment, null, 2)}\n`);
const summary = CONTRACT_NAMES.map((name) => `${name} ${deployment.contracts[name].address}`).join(', ');
process.stdout.write(`contracts ${reused ? 'already deployed' : 'deployed'} on chain ${chainId}: ${summary}; minter ${minter}\n`);
process.stdout.write(`wrote ${deploymentsPath}\n`);
await connection.close();
