/**
 * Pure decoding: JSON-RPC logs -> the indexer's domain events (`ChainEvent` of @harvest/db). No I/O. A log of a
 * contract the chain's config does not name, or an event the indexer does not follow (Approval, metadata updates,
 * role changes...), decodes to null; a log that claims to be a followed event but does not fit its ABI is refused
 * with a DecodeError (an endpoint that answers garbage must not reach the database).
 */
import type { ChainContracts, ChainEvent } from '@harvest/db';
import { harvestCardsAbi, harvestLandAbi, marketplaceAbi } from '@harvest/shared/abi';
import { decodeEventLog, type Hex, toEventSelector } from 'viem';

/** A log as eth_getLogs returns it (hex quantities). */
export interface RpcLog {
  address: string;
  topics: readonly string[];
  data: string;
  blockNumber: string | null;
  blockHash: string | null;
  transactionHash: string | null;
  logIndex: string | null;
  removed?: boolean;
}

/** A log that claims to be a followed event but cannot be decoded as one. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

const selector = (abi: readonly unknown[], name: string): string => {
  const item = (abi as ReadonlyArray<{ type: string; name?: string }>).find((entry) => entry.type === 'event' && entry.name === name);
  if (!item) throw new Error(`event ${name} is not in the ABI`);
  return toEventSelector(item as Parameters<typeof toEventSelector>[0]);
};

/** topic0 of every event the indexer follows. */
export const TOPICS = {
  Transfer: selector(harvestCardsAbi, 'Transfer'),
  ApprovalForAll: selector(harvestCardsAbi, 'ApprovalForAll'),
  UpdateUser: selector(harvestLandAbi, 'UpdateUser'),
  OrderFilled: selector(marketplaceAbi, 'OrderFilled'),
  OrderCancelled: selector(marketplaceAbi, 'OrderCancelled'),
  CounterIncremented: selector(marketplaceAbi, 'CounterIncremented'),
  FeesSwept: selector(marketplaceAbi, 'FeesSwept'),
} as const;

/** The topic0 filter of eth_getLogs: one OR-list of every followed event. */
export const FOLLOWED_TOPICS: readonly string[] = Object.values(TOPICS);

const HASH = /^0x[0-9a-f]{64}$/;
const QUANTITY = /^0x[0-9a-f]+$/;

function quantity(value: string | null, what: string): bigint {
  if (value === null || !QUANTITY.test(value.toLowerCase())) throw new DecodeError(`log ${what} is not a hex quantity: ${String(value)}`);
  return BigInt(value);
}

function hash(value: string | null, what: string): string {
  const lower = value?.toLowerCase() ?? '';
  if (!HASH.test(lower)) throw new DecodeError(`log ${what} is not a 32-byte hash: ${String(value)}`);
  return lower;
}

/** An address held in an indexed 32-byte topic; its upper 12 bytes must be zero. */
function topicAddress(topic: string | undefined, what: string): string {
  const lower = topic?.toLowerCase() ?? '';
  if (!HASH.test(lower) || !lower.startsWith('0x000000000000000000000000')) throw new DecodeError(`topic ${what} is not an address`);
  return `0x${lower.slice(26)}`;
}

function topicUint(topic: string | undefined, what: string): bigint {
  const lower = topic?.toLowerCase() ?? '';
  if (!HASH.test(lower)) throw new DecodeError(`topic ${what} is not a 32-byte word`);
  return BigInt(lower);
}

const lowerArgs = (value: unknown): string => String(value).toLowerCase();

function viemDecode(abi: readonly unknown[], log: RpcLog): Record<string, unknown> {
  try {
    const decoded = decodeEventLog({
      abi: abi as Parameters<typeof decodeEventLog>[0]['abi'],
      data: log.data as Hex,
      topics: log.topics as [Hex, ...Hex[]],
      strict: true,
    });
    return decoded.args as unknown as Record<string, unknown>;
  } catch (error) {
    throw new DecodeError(`cannot decode log of ${log.address}: ${(error as Error).message.split('\n')[0]}`);
  }
}

/**
 * Decodes one log into a domain event, or null when the indexer does not follow it. Refuses a removed log (a
 * node's reorg notice is never applied as data) and positions that are not hex.
 */
export function decodeLog(log: RpcLog, contracts: ChainContracts): ChainEvent | null {
  const address = log.address.toLowerCase();
  const topic0 = log.topics[0]?.toLowerCase();
  const collection = address === contracts.cards ? 'cards' : address === contracts.land ? 'land' : null;
  const isMarket = address === contracts.marketplace;
  if ((!collection && !isMarket) || topic0 === undefined) return null;
  if (!FOLLOWED_TOPICS.includes(topic0)) return null;
  if (log.removed === true) throw new DecodeError('a removed log cannot be applied');
  const position = {
    blockNumber: quantity(log.blockNumber, 'blockNumber'),
    blockHash: hash(log.blockHash, 'blockHash'),
    txHash: hash(log.transactionHash, 'transactionHash'),
    logIndex: Number(quantity(log.logIndex, 'logIndex')),
  };
  if (collection) {
    if (topic0 === TOPICS.Transfer) {
      // ERC-721 Transfer: from, to and tokenId are all indexed, the data is empty (an ERC-20 Transfer has 3 topics).
      if (log.topics.length !== 4 || (log.data !== '0x' && log.data !== '')) throw new DecodeError('Transfer is not an ERC-721 Transfer');
      return {
        kind: 'transfer',
        collection,
        contract: address,
        from: topicAddress(log.topics[1], 'from'),
        to: topicAddress(log.topics[2], 'to'),
        tokenId: topicUint(log.topics[3], 'tokenId'),
        ...position,
      };
    }
    if (topic0 === TOPICS.ApprovalForAll) {
      const args = viemDecode(harvestCardsAbi, log);
      return {
        kind: 'approval_for_all',
        contract: address,
        owner: lowerArgs(args.owner),
        operator: lowerArgs(args.operator),
        approved: args.approved === true,
        ...position,
      };
    }
    if (topic0 === TOPICS.UpdateUser && collection === 'land') {
      const args = viemDecode(harvestLandAbi, log);
      return {
        kind: 'land_user',
        contract: address,
        tokenId: args.tokenId as bigint,
        user: lowerArgs(args.user),
        expires: BigInt(args.expires as bigint),
        ...position,
      };
    }
    return null;
  }
  if (topic0 === TOPICS.OrderFilled) {
    const args = viemDecode(marketplaceAbi, log);
    return {
      kind: 'sale',
      marketplace: address,
      orderHash: lowerArgs(args.orderHash),
      maker: lowerArgs(args.maker),
      taker: lowerArgs(args.taker),
      collection: lowerArgs(args.collection),
      tokenId: args.tokenId as bigint,
      currency: lowerArgs(args.currency),
      price: args.price as bigint,
      ...position,
    };
  }
  if (topic0 === TOPICS.OrderCancelled) {
    const args = viemDecode(marketplaceAbi, log);
    return { kind: 'order_cancelled', marketplace: address, maker: lowerArgs(args.maker), salt: args.salt as bigint, ...position };
  }
  if (topic0 === TOPICS.CounterIncremented) {
    const args = viemDecode(marketplaceAbi, log);
    return {
      kind: 'counter_incremented',
      marketplace: address,
      maker: lowerArgs(args.maker),
      newCounter: args.newCounter as bigint,
      ...position,
    };
  }
  if (topic0 === TOPICS.FeesSwept) {
    const args = viemDecode(marketplaceAbi, log);
    return {
      kind: 'fees_swept',
      marketplace: address,
      currency: lowerArgs(args.currency),
      recipient: lowerArgs(args.recipient),
      amount: args.amount as bigint,
      ...position,
    };
  }
  return null;
}

/** Decodes logs in order, dropping the ones the indexer does not follow. */
export function decodeLogs(logs: readonly RpcLog[], contracts: ChainContracts): ChainEvent[] {
  const events: ChainEvent[] = [];
  for (const log of logs) {
    const event = decodeLog(log, contracts);
    if (event) events.push(event);
  }
  return events;
}

/**
 * Checks what an endpoint answered for eth_getLogs over [from, to] against itself: every log inside the range and
 * of a followed address, never removed, and one block hash per block number. Returns a description of the first
 * contradiction, or null. (Pure: the sync layer refuses the answer and asks again, another endpoint if it has one.)
 */
export function findLogContradiction(
  logs: readonly RpcLog[],
  range: { from: bigint; to: bigint; addresses: readonly string[]; blockHash?: string },
): string | null {
  const hashes = new Map<string, string>();
  const seen = new Set<string>();
  for (const log of logs) {
    if (log.removed === true) return `removed log in ${log.blockHash}`;
    if (log.blockNumber === null || log.blockHash === null || log.logIndex === null || log.transactionHash === null)
      return 'a pending log (no block)';
    const number = BigInt(log.blockNumber);
    if (number < range.from || number > range.to) return `log of block ${number} outside ${range.from}-${range.to}`;
    if (!range.addresses.includes(log.address.toLowerCase())) return `log of ${log.address}, which was not asked for`;
    const blockHash = log.blockHash.toLowerCase();
    if (range.blockHash !== undefined && blockHash !== range.blockHash)
      return `log of block hash ${blockHash}, asked for ${range.blockHash}`;
    const known = hashes.get(number.toString());
    if (known !== undefined && known !== blockHash) return `block ${number} answered with two hashes (${known}, ${blockHash})`;
    hashes.set(number.toString(), blockHash);
    const key = `${log.transactionHash.toLowerCase()}:${BigInt(log.logIndex)}`;
    if (seen.has(key)) return `log ${key} answered twice`;
    seen.add(key);
  }
  return null;
}
