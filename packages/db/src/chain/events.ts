/**
 * The domain events the indexer decodes from logs (apps/indexer/src/decode) and this store writes. Addresses and
 * hashes are lower-case hex; amounts and ids are bigints.
 */

/** Where a log sits on the chain: the idempotency key is (chain id, txHash, logIndex). */
export interface LogPosition {
  blockNumber: bigint;
  blockHash: string;
  txHash: string;
  logIndex: number;
}

/** The contracts one chain's indexer follows (lower case). */
export interface ChainContracts {
  cards: string;
  land: string;
  marketplace: string;
}

/** An ERC-721 Transfer of a card or a parcel (a mint comes from, a burn goes to, the zero address). */
export interface TransferEvent extends LogPosition {
  kind: 'transfer';
  collection: 'cards' | 'land';
  contract: string;
  tokenId: bigint;
  from: string;
  to: string;
}

/** ERC-4907 UpdateUser of a parcel: `user` may use it until `expires` (zero user: the rental ended). */
export interface LandUserEvent extends LogPosition {
  kind: 'land_user';
  contract: string;
  tokenId: bigint;
  user: string;
  expires: bigint;
}

/** Marketplace OrderFilled: a sale. */
export interface SaleEvent extends LogPosition {
  kind: 'sale';
  marketplace: string;
  orderHash: string;
  maker: string;
  taker: string;
  collection: string;
  tokenId: bigint;
  currency: string;
  price: bigint;
}

/** Marketplace OrderCancelled: the maker's salt is spent. */
export interface OrderCancelledEvent extends LogPosition {
  kind: 'order_cancelled';
  marketplace: string;
  maker: string;
  salt: bigint;
}

/** Marketplace CounterIncremented: the maker's orders with a lower counter are void. */
export interface CounterIncrementedEvent extends LogPosition {
  kind: 'counter_incremented';
  marketplace: string;
  maker: string;
  newCounter: bigint;
}

/** ApprovalForAll on a collection. */
export interface ApprovalForAllEvent extends LogPosition {
  kind: 'approval_for_all';
  contract: string;
  owner: string;
  operator: string;
  approved: boolean;
}

/** Marketplace FeesSwept. */
export interface FeesSweptEvent extends LogPosition {
  kind: 'fees_swept';
  marketplace: string;
  currency: string;
  recipient: string;
  amount: bigint;
}

/** Every domain event of the indexer. */
export type ChainEvent =
  | TransferEvent
  | LandUserEvent
  | SaleEvent
  | OrderCancelledEvent
  | CounterIncrementedEvent
  | ApprovalForAllEvent
  | FeesSweptEvent;

/** The kinds of {@link ChainEvent}. */
export type ChainEventKind = ChainEvent['kind'];

/** The zero address (mints come from it, burns go to it). */
export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

/** Orders events by chain position (block, then log index). */
export function compareLogPosition(a: LogPosition, b: LogPosition): number {
  if (a.blockNumber !== b.blockNumber) return a.blockNumber < b.blockNumber ? -1 : 1;
  return a.logIndex - b.logIndex;
}
