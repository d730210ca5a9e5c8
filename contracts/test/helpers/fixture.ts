// Shared deployment for the TypeScript tests: the three contracts wired as the game deploys them, plus signing helpers.
import type { NetworkConnection } from 'hardhat/types/network';
import { type Address, type Hex, keccak256, toBytes, zeroAddress } from 'viem';
import { CO_SIGNATURE_TYPES, marketplaceDomain, ORDER_TYPES, type Order } from '../../scripts/lib/eip712.ts';

export const CARD_ROYALTY_BPS = 500n;
export const LAND_ROYALTY_BPS = 300n;
export const PROTOCOL_FEE_BPS = 250;
export const CARDS_BASE_URI = 'https://game.example/metadata/cards/';
export const LAND_BASE_URI = 'https://game.example/metadata/land/';
export const CARDS_CONTRACT_URI = 'https://game.example/metadata/cards/contract.json';
export const LAND_CONTRACT_URI = 'https://game.example/metadata/land/contract.json';

/** Token id of a card, computed off-chain the way the minter does (see HarvestCards' id scheme). */
export function cardTokenId(definitionId: string, serial: bigint): bigint {
  const key = BigInt(keccak256(toBytes(definitionId)).slice(0, 42));
  return (key << 96n) | serial;
}

export async function deployHarvest(connection: NetworkConnection) {
  const { viem } = connection;
  const publicClient = await viem.getPublicClient();
  const [admin, minter, seller, buyer, treasury, artist, stranger, coSigner] = await viem.getWalletClients();
  if (!admin || !minter || !seller || !buyer || !treasury || !artist || !stranger || !coSigner) throw new Error('need 8 accounts');
  const cards = await viem.deployContract('HarvestCards', [
    admin.account.address,
    treasury.account.address,
    CARD_ROYALTY_BPS,
    CARDS_BASE_URI,
    CARDS_CONTRACT_URI,
  ]);
  const land = await viem.deployContract('HarvestLand', [
    admin.account.address,
    treasury.account.address,
    LAND_ROYALTY_BPS,
    LAND_BASE_URI,
    LAND_CONTRACT_URI,
  ]);
  const market = await viem.deployContract('Marketplace', [admin.account.address, treasury.account.address, PROTOCOL_FEE_BPS, zeroAddress]);
  const minterRole = await cards.read.MINTER_ROLE();
  await cards.write.grantRole([minterRole, minter.account.address]);
  await land.write.grantRole([minterRole, minter.account.address]);
  const gold = await viem.deployContract('MockERC20');
  const chainId = await publicClient.getChainId();
  return { admin, minter, seller, buyer, treasury, artist, stranger, coSigner, cards, land, market, gold, chainId, publicClient };
}

export type Harvest = Awaited<ReturnType<typeof deployHarvest>>;

interface Signer {
  signTypedData: (args: {
    domain: ReturnType<typeof marketplaceDomain>;
    types: typeof ORDER_TYPES;
    primaryType: 'Order';
    message: Order;
  }) => Promise<Hex>;
}

interface CoSigner {
  signTypedData: (args: {
    domain: ReturnType<typeof marketplaceDomain>;
    types: typeof CO_SIGNATURE_TYPES;
    primaryType: 'CoSignature';
    message: { orderHash: Hex; taker: Address; deadline: bigint };
  }) => Promise<Hex>;
}

export async function signOrder(h: Pick<Harvest, 'chainId' | 'market'>, signer: Signer, order: Order): Promise<Hex> {
  return signer.signTypedData({
    domain: marketplaceDomain(h.chainId, h.market.address),
    types: ORDER_TYPES,
    primaryType: 'Order',
    message: order,
  });
}

export async function coSign(
  h: Pick<Harvest, 'chainId' | 'market'>,
  signer: CoSigner,
  orderHash: Hex,
  taker: Address,
  deadline: bigint,
): Promise<Hex> {
  return signer.signTypedData({
    domain: marketplaceDomain(h.chainId, h.market.address),
    types: CO_SIGNATURE_TYPES,
    primaryType: 'CoSignature',
    message: { orderHash, taker, deadline },
  });
}
