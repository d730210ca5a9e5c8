/**
 * What the marketplace asks the chain: the EIP-712 digest of an order, whether a signature is the maker's (ECDSA
 * exactly as OpenZeppelin's SignatureChecker accepts it, else ERC-1271 when the maker has code), the maker's counter
 * and salt, and how the marketplace is approved for a token. RPC failures become CHAIN_RPC_UNAVAILABLE (retryable).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '@harvest/service';
import {
  type HarvestDeployments,
  harvestDeploymentsSchema,
  MARKETPLACE_DOMAIN_NAME,
  MARKETPLACE_DOMAIN_VERSION,
  MARKETPLACE_ORDER_TYPES,
  marketplaceAbi,
} from '@harvest/shared/abi';
import { AppError } from '@harvest/shared/errors';
import {
  type Address,
  BaseError,
  createPublicClient,
  getAddress,
  type Hex,
  HttpRequestError,
  hashTypedData,
  http,
  isAddressEqual,
  type PublicClient,
  parseAbi,
  recoverAddress,
  TimeoutError,
} from 'viem';

/** A sell order with uint256 fields as bigints (the EIP-712 `Order`). */
export interface Order {
  maker: Address;
  collection: Address;
  tokenId: bigint;
  price: bigint;
  currency: Address;
  startTime: bigint;
  endTime: bigint;
  salt: bigint;
  counter: bigint;
}

/** EIP-712 types of a soft cancel: the maker's signed request to withdraw a listing off chain. */
export const CANCEL_LISTING_TYPES = { CancelListing: [{ name: 'orderHash', type: 'bytes32' }] } as const;

/** The marketplace's view of its chain. */
export interface MarketChain {
  chainId: number;
  marketplace: Address;
  cards: Address;
  land: Address;
  /** The EIP-712 domain orders are signed in. */
  domain: { name: string; version: string; chainId: number; verifyingContract: Address };
  hashOrder(order: Order): Hex;
  hashCancel(orderHash: Hex): Hex;
  /** Whether `signature` is `signer`'s over `digest` as the Marketplace contract decides it. */
  isValidSignature(signer: Address, digest: Hex, signature: Hex): Promise<boolean>;
  /** The maker's counter and whether `salt` is spent. */
  makerState(maker: Address, salt: bigint): Promise<{ counter: bigint; saltUsed: boolean }>;
  /** How the marketplace may move the token: operator for all the maker's tokens, approved for this one, or not. */
  approvalOf(maker: Address, collection: Address, tokenId: bigint): Promise<'all' | 'token' | null>;
  readonly client: PublicClient;
}

/** Reads and validates a deployments file; a problem is a ConfigError naming DEPLOYMENTS_FILE. */
export function readDeployments(path: string, chainId: number): HarvestDeployments {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('DEPLOYMENTS_FILE', `cannot read ${path}: ${(error as Error).message}`);
  }
  const parsed = harvestDeploymentsSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError('DEPLOYMENTS_FILE', `${path} is not a deployments file`);
  if (parsed.data.chainId !== chainId)
    throw new ConfigError('DEPLOYMENTS_FILE', `${path} is for chain ${parsed.data.chainId}, not CHAIN_ID ${chainId}`);
  return parsed.data;
}

const erc721Abi = parseAbi([
  'function isApprovedForAll(address owner, address operator) view returns (bool)',
  'function getApproved(uint256 tokenId) view returns (address)',
]);
const erc1271Abi = parseAbi(['function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)']);
const ERC1271_MAGIC = '0x1626ba7e';
/** secp256k1 n / 2: OpenZeppelin's ECDSA refuses signatures with a larger s (malleable). */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** Whether a viem error is a transport failure (no answer) rather than the contract's answer (a revert, no data). */
function isTransportFailure(error: unknown): boolean {
  if (!(error instanceof BaseError)) return true;
  return error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError) !== null;
}

function rpcFailed(error: unknown): AppError {
  return new AppError('CHAIN_RPC_UNAVAILABLE', 'the chain did not answer; retry shortly', {
    cause: String((error as Error)?.message ?? error).slice(0, 200),
  });
}

/** The ECDSA signer of a 65-byte signature with low s and v 27/28, or null (as OpenZeppelin's tryRecover). */
async function ecdsaSigner(digest: Hex, signature: Hex): Promise<Address | null> {
  if (signature.length !== 132) return null;
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130, 132), 16);
  if (s > HALF_N || (v !== 27 && v !== 28)) return null;
  try {
    return await recoverAddress({ hash: digest, signature });
  } catch {
    return null;
  }
}

/** The chain client and contract addresses of one chain. */
export function createMarketChain(input: {
  rpcUrl: string;
  chainId: number;
  deployments: HarvestDeployments;
  client?: PublicClient;
}): MarketChain {
  const client =
    input.client ??
    (createPublicClient({ transport: http(input.rpcUrl, { timeout: 5000, retryCount: 1, batch: { wait: 0 } }) }) as PublicClient);
  const marketplace = getAddress(input.deployments.contracts.Marketplace.address);
  const domain = {
    name: MARKETPLACE_DOMAIN_NAME,
    version: MARKETPLACE_DOMAIN_VERSION,
    chainId: input.chainId,
    verifyingContract: marketplace,
  };
  const call = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw rpcFailed(error);
    }
  };
  return {
    chainId: input.chainId,
    marketplace,
    cards: getAddress(input.deployments.contracts.HarvestCards.address),
    land: getAddress(input.deployments.contracts.HarvestLand.address),
    domain,
    client,
    hashOrder: (order) => hashTypedData({ domain, types: MARKETPLACE_ORDER_TYPES, primaryType: 'Order', message: order }),
    hashCancel: (orderHash) => hashTypedData({ domain, types: CANCEL_LISTING_TYPES, primaryType: 'CancelListing', message: { orderHash } }),
    async isValidSignature(signer, digest, signature) {
      const recovered = await ecdsaSigner(digest, signature);
      if (recovered && isAddressEqual(recovered, signer)) return true;
      const code = await call(() => client.getCode({ address: signer }));
      if (!code || code === '0x') return false;
      try {
        const result = await client.readContract({
          address: signer,
          abi: erc1271Abi,
          functionName: 'isValidSignature',
          args: [digest, signature],
        });
        return result.toLowerCase() === ERC1271_MAGIC;
      } catch (error) {
        // A revert (or no return data) is the wallet's "no"; a transport failure is not an answer.
        if (isTransportFailure(error)) throw rpcFailed(error);
        return false;
      }
    },
    async makerState(maker, salt) {
      const [counter, saltUsed] = await call(() =>
        Promise.all([
          client.readContract({ address: marketplace, abi: marketplaceAbi, functionName: 'counterOf', args: [maker] }),
          client.readContract({ address: marketplace, abi: marketplaceAbi, functionName: 'isSaltUsed', args: [maker, salt] }),
        ]),
      );
      return { counter: counter as bigint, saltUsed: saltUsed as boolean };
    },
    async approvalOf(maker, collection, tokenId) {
      const [all, approved] = await call(() =>
        Promise.all([
          client.readContract({ address: collection, abi: erc721Abi, functionName: 'isApprovedForAll', args: [maker, marketplace] }),
          // getApproved reverts for a token that does not exist.
          client
            .readContract({ address: collection, abi: erc721Abi, functionName: 'getApproved', args: [tokenId] })
            .catch((error: unknown) => {
              if (isTransportFailure(error)) throw error;
              return null;
            }),
        ]),
      );
      if (all) return 'all';
      if (approved && isAddressEqual(approved, marketplace)) return 'token';
      return null;
    },
  };
}
