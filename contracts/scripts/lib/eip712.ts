// EIP-712 shapes of the marketplace, the single source for tests, scripts and the generated `@harvest/shared/abi`.
import type { Address } from 'viem';

/** EIP-712 domain name and version of the Marketplace contract. */
export const MARKETPLACE_DOMAIN_NAME = 'Harvest Marketplace';
export const MARKETPLACE_DOMAIN_VERSION = '1';

/** Typed-data types of a sell order, in the field order of `Marketplace.Order`. */
export const ORDER_TYPES = {
  Order: [
    { name: 'maker', type: 'address' },
    { name: 'collection', type: 'address' },
    { name: 'tokenId', type: 'uint256' },
    { name: 'price', type: 'uint256' },
    { name: 'currency', type: 'address' },
    { name: 'startTime', type: 'uint256' },
    { name: 'endTime', type: 'uint256' },
    { name: 'salt', type: 'uint256' },
    { name: 'counter', type: 'uint256' },
  ],
} as const;

/** Typed-data types of the co-signer's approval of one fill. */
export const CO_SIGNATURE_TYPES = {
  CoSignature: [
    { name: 'orderHash', type: 'bytes32' },
    { name: 'taker', type: 'address' },
    { name: 'deadline', type: 'uint256' },
  ],
} as const;

/** A sell order as the contract takes it (`currency` zero: native). */
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

/** The EIP-712 domain of a Marketplace deployment. */
export function marketplaceDomain(chainId: number, verifyingContract: Address) {
  return { name: MARKETPLACE_DOMAIN_NAME, version: MARKETPLACE_DOMAIN_VERSION, chainId, verifyingContract } as const;
}
