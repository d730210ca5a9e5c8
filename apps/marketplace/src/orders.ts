/**
 * Accepting a signed order: the checks only the chain can answer (chain, collection, currency, price, time window,
 * signature, counter, salt, approval), cheapest first, then the listing transaction in packages/db (mirror owner,
 * game card state, no other live listing). Each refusal is an AppError with its own MARKET_* code.
 */
import { createListing, type Db, type ListingView } from '@harvest/db';
import { AppError } from '@harvest/shared/errors';
import { type Address, getAddress, type Hex, isAddressEqual, zeroAddress } from 'viem';
import type { MarketChain, Order } from './chain.ts';

/** The largest uint256. */
export const MAX_UINT256 = (1n << 256n) - 1n;
/** Seconds of clock difference tolerated between a wallet and this server. */
export const CLOCK_SKEW_SECONDS = 60n;

/** An order as the API receives it: uint256 fields as decimal strings. */
export interface OrderInput {
  maker: string;
  collection: string;
  tokenId: string;
  price: string;
  currency: string;
  startTime: string;
  endTime: string;
  salt: string;
  counter: string;
}

/** What the order checks need besides the chain. */
export interface OrderPolicy {
  currencies: readonly Address[];
  maxOrderSeconds: number;
}

/** The order's fields as bigints and checksummed addresses (VALIDATION_FAILED when a field is not a uint256). */
export function parseOrder(input: OrderInput): Order {
  const uint = (name: string, value: string) => {
    const n = BigInt(value);
    if (n > MAX_UINT256) throw new AppError('VALIDATION_FAILED', `${name} is above the largest uint256`, { field: name });
    return n;
  };
  const price = BigInt(input.price);
  if (price === 0n || price > MAX_UINT256) {
    throw new AppError('MARKET_PRICE_INVALID', price === 0n ? 'the price is zero' : 'the price is above the largest uint256');
  }
  return {
    maker: getAddress(input.maker),
    collection: getAddress(input.collection),
    tokenId: uint('tokenId', input.tokenId),
    price,
    currency: getAddress(input.currency),
    startTime: uint('startTime', input.startTime),
    endTime: uint('endTime', input.endTime),
    salt: uint('salt', input.salt),
    counter: uint('counter', input.counter),
  };
}

/** Checks an order against the chain and lists it; returns the listing and whether it is new. */
export async function acceptOrder(
  deps: { db: Db; chain: MarketChain; policy: OrderPolicy; now: () => number },
  input: { chainId: number; order: OrderInput; signature: Hex },
): Promise<{ listing: ListingView; created: boolean }> {
  const { chain, policy } = deps;
  if (input.chainId !== chain.chainId) {
    throw new AppError('MARKET_WRONG_CHAIN', `this marketplace settles on chain ${chain.chainId}, not ${input.chainId}`, {
      chainId: chain.chainId,
    });
  }
  const order = parseOrder(input.order);
  if (!isAddressEqual(order.collection, chain.cards) && !isAddressEqual(order.collection, chain.land)) {
    throw new AppError('MARKET_COLLECTION_UNSUPPORTED', `${order.collection} is not traded here`);
  }
  if (!isAddressEqual(order.currency, zeroAddress) && !policy.currencies.some((c) => isAddressEqual(c, order.currency))) {
    throw new AppError('MARKET_CURRENCY_UNSUPPORTED', `${order.currency} is not an accepted currency`);
  }
  const now = BigInt(Math.floor(deps.now() / 1000));
  if (order.startTime > now + CLOCK_SKEW_SECONDS) {
    throw new AppError('MARKET_ORDER_NOT_STARTED', 'the order starts in the future', { startTime: order.startTime.toString() });
  }
  if (order.endTime <= now + CLOCK_SKEW_SECONDS)
    throw new AppError('MARKET_ORDER_EXPIRED', 'the order has ended', { endTime: order.endTime.toString() });
  if (order.endTime > now + BigInt(policy.maxOrderSeconds)) {
    throw new AppError('MARKET_ORDER_WINDOW_TOO_LONG', 'the order ends too far ahead', { maxSeconds: policy.maxOrderSeconds });
  }

  const orderHash = chain.hashOrder(order);
  if (!(await chain.isValidSignature(order.maker, orderHash, input.signature))) {
    throw new AppError('MARKET_SIGNATURE_INVALID', "the signature is not the maker's signature of this order");
  }
  const [state, approval] = await Promise.all([
    chain.makerState(order.maker, order.salt),
    chain.approvalOf(order.maker, order.collection, order.tokenId),
  ]);
  if (state.counter !== order.counter) {
    throw new AppError('MARKET_COUNTER_STALE', `the maker's counter is ${state.counter}`, { current: state.counter.toString() });
  }
  if (state.saltUsed) throw new AppError('MARKET_ORDER_CLOSED', 'the order was already filled or cancelled on chain');
  if (!approval) throw new AppError('MARKET_NOT_APPROVED', 'the marketplace is not approved to move this token');

  return createListing(deps.db, {
    chainId: chain.chainId,
    marketplace: chain.marketplace.toLowerCase(),
    collections: { cards: chain.cards.toLowerCase(), land: chain.land.toLowerCase() },
    order,
    orderHash,
    signature: input.signature,
    approval,
    now,
  });
}
