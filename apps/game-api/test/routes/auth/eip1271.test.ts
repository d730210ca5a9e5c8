/**
 * A smart-contract wallet (EIP-1271) signs in. The chain is Hardhat's in-process network (EDR) from the contracts
 * workspace, built with its own config; the wallet is contracts/contracts/mocks/MockWallet.sol, whose
 * `isValidSignature` accepts its owner's signatures. game-api reaches the chain through a viem public client.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { useTestDatabase } from '@harvest/db/testing';
import { createHardhatRuntimeEnvironment, importUserConfig } from 'hardhat/hre';
import type { NetworkConnection } from 'hardhat/types/network';
import { type Abi, type Address, createPublicClient, createWalletClient, custom, type Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectError, newWallet, postSiwe, requestNonce, siweMessage, type TestApp } from '../../helpers.ts';

const CONTRACTS_DIR = fileURLToPath(new URL('../../../../../contracts', import.meta.url));
const database = useTestDatabase();
let connection: NetworkConnection;
let t: TestApp;
let deployWallet: (owner: Address) => Promise<Address>;

beforeAll(async () => {
  const hre = await createHardhatRuntimeEnvironment(await importUserConfig(`${CONTRACTS_DIR}/hardhat.config.ts`), {}, CONTRACTS_DIR);
  // Compiles only when sources changed since the last build (CI's typecheck step has usually built already).
  await hre.tasks.getTask('build').run({ quiet: true, noTests: true });
  connection = await hre.network.connect();
  const transport = custom(connection.provider);
  const publicClient = createPublicClient({ transport });
  const [deployer] = (await connection.provider.request({ method: 'eth_accounts' })) as Address[];
  if (!deployer) throw new Error('the in-process network has no dev account');
  const artifact = JSON.parse(readFileSync(`${CONTRACTS_DIR}/artifacts/contracts/mocks/MockWallet.sol/MockWallet.json`, 'utf8')) as {
    abi: Abi;
    bytecode: Hex;
  };
  const deployerClient = createWalletClient({ transport, account: deployer });
  deployWallet = async (owner) => {
    const hash = await deployerClient.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args: [owner], chain: null });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (!receipt.contractAddress) throw new Error('no contract deployed');
    return receipt.contractAddress;
  };
  expect(await publicClient.getChainId()).toBe(31337);
  t = await createTestApp(database.db, { chainClients: new Map([[31337, publicClient]]) });
});

afterAll(async () => {
  await t?.close();
  await connection?.close();
});

describe('EIP-1271 contract wallets', () => {
  it('a contract wallet deployed on the in-process chain signs in with its owner key', async () => {
    const owner = newWallet();
    const contract = await deployWallet(owner.address);
    const { nonce, nonceSession } = await requestNonce(t.app);
    const message = siweMessage(contract, nonce);
    const response = await postSiwe(t.app, { message, signature: await owner.signMessage({ message }), nonceSession });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ created: true, player: { guest: false } });
    const wallet = await database.db.wallet.findUniqueOrThrow({ where: { address: contract.toLowerCase() } });
    expect(wallet.playerId).toBe(body.player.id);
    // The owner's own address did not become an account: the contract is the identity.
    expect(await database.db.wallet.count({ where: { address: owner.address.toLowerCase() } })).toBe(0);
  });

  it('a contract wallet refuses a signature by someone other than its owner: SIWE_SIGNATURE_INVALID', async () => {
    const owner = newWallet();
    const contract = await deployWallet(owner.address);
    const { nonce, nonceSession } = await requestNonce(t.app);
    const message = siweMessage(contract, nonce);
    const response = await postSiwe(t.app, { message, signature: await newWallet().signMessage({ message }), nonceSession });
    expectError(response, 401, 'SIWE_SIGNATURE_INVALID');
  });

  it('an address without code and a wrong signature is refused: SIWE_SIGNATURE_INVALID', async () => {
    const { nonce, nonceSession } = await requestNonce(t.app);
    const message = siweMessage(newWallet().address, nonce);
    expectError(
      await postSiwe(t.app, { message, signature: await newWallet().signMessage({ message }), nonceSession }),
      401,
      'SIWE_SIGNATURE_INVALID',
    );
  });
});
