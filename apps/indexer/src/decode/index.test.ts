import type { ChainContracts } from '@harvest/db';
import { harvestCardsAbi, harvestLandAbi, marketplaceAbi } from '@harvest/shared/abi';
import { encodeAbiParameters, encodeEventTopics, type Hex, pad, toHex } from 'viem';
import { describe, expect, it } from 'vitest';
import { DecodeError, decodeLog, decodeLogs, findLogContradiction, type RpcLog, TOPICS } from './index.ts';

const contracts: ChainContracts = {
  cards: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
  land: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512',
  marketplace: '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0',
};
const alice = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const bob = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc';
const zero = '0x0000000000000000000000000000000000000000';
const blockHash = `0x${'ab'.repeat(32)}`;
const txHash = `0x${'cd'.repeat(32)}`;

/** A log as an endpoint sends it (viem's topic encoder types optional topics as nullable). */
function log(address: string, topics: readonly unknown[], data: string = '0x', extra: Partial<RpcLog> = {}): RpcLog {
  return {
    address,
    topics: topics as string[],
    data,
    blockNumber: '0x10',
    blockHash,
    transactionHash: txHash,
    logIndex: '0x2',
    removed: false,
    ...extra,
  };
}

function transfer(address: string, from: string, to: string, tokenId: bigint): RpcLog {
  return log(
    address,
    encodeEventTopics({ abi: harvestCardsAbi, eventName: 'Transfer', args: { from: from as Hex, to: to as Hex, tokenId } }),
  );
}

describe('decodeLog', () => {
  it('decodes card mints, transfers and burns with their position', () => {
    const tokenId = (123n << 96n) | 7n;
    expect(decodeLog(transfer(contracts.cards, zero, alice, tokenId), contracts)).toEqual({
      kind: 'transfer',
      collection: 'cards',
      contract: contracts.cards,
      from: zero,
      to: alice,
      tokenId,
      blockNumber: 16n,
      blockHash,
      txHash,
      logIndex: 2,
    });
    expect(decodeLog(transfer(contracts.cards, alice, bob, 1n), contracts)).toMatchObject({ from: alice, to: bob, tokenId: 1n });
    expect(decodeLog(transfer(contracts.cards, bob, zero, 1n), contracts)).toMatchObject({ from: bob, to: zero });
  });

  it('tells land transfers from card transfers by the emitting contract', () => {
    expect(decodeLog(transfer(contracts.land, alice, bob, 2n ** 255n), contracts)).toMatchObject({
      kind: 'transfer',
      collection: 'land',
      tokenId: 2n ** 255n,
    });
  });

  it('lower-cases checksummed addresses from the endpoint', () => {
    const event = decodeLog(
      { ...transfer(contracts.cards, alice, bob, 5n), address: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
      contracts,
    );
    expect(event).toMatchObject({ contract: contracts.cards });
  });

  it('decodes ERC-4907 UpdateUser of land', () => {
    const topics = encodeEventTopics({ abi: harvestLandAbi, eventName: 'UpdateUser', args: { tokenId: 9n, user: bob as Hex } });
    const data = encodeAbiParameters([{ type: 'uint64' }], [1_900_000_000n]);
    expect(decodeLog(log(contracts.land, topics, data), contracts)).toMatchObject({
      kind: 'land_user',
      tokenId: 9n,
      user: bob,
      expires: 1_900_000_000n,
    });
    // The card collection has no rentals: an UpdateUser there is not followed.
    expect(decodeLog(log(contracts.cards, topics, data), contracts)).toBeNull();
  });

  it('decodes ApprovalForAll on either collection', () => {
    const topics = encodeEventTopics({
      abi: harvestCardsAbi,
      eventName: 'ApprovalForAll',
      args: { owner: alice as Hex, operator: contracts.marketplace as Hex },
    });
    const data = encodeAbiParameters([{ type: 'bool' }], [false]);
    expect(decodeLog(log(contracts.land, topics, data), contracts)).toMatchObject({
      kind: 'approval_for_all',
      contract: contracts.land,
      owner: alice,
      operator: contracts.marketplace,
      approved: false,
    });
  });

  it('decodes marketplace fills, cancels, counter increments and fee sweeps', () => {
    const orderHash = `0x${'11'.repeat(32)}` as Hex;
    const filled = log(
      contracts.marketplace,
      encodeEventTopics({ abi: marketplaceAbi, eventName: 'OrderFilled', args: { orderHash, maker: alice as Hex, taker: bob as Hex } }),
      encodeAbiParameters(
        [{ type: 'address' }, { type: 'uint256' }, { type: 'address' }, { type: 'uint256' }],
        [contracts.cards as Hex, 42n, zero as Hex, 10n ** 18n],
      ),
    );
    expect(decodeLog(filled, contracts)).toMatchObject({
      kind: 'sale',
      orderHash,
      maker: alice,
      taker: bob,
      collection: contracts.cards,
      tokenId: 42n,
      currency: zero,
      price: 10n ** 18n,
    });
    const cancelled = log(
      contracts.marketplace,
      encodeEventTopics({ abi: marketplaceAbi, eventName: 'OrderCancelled', args: { maker: alice as Hex } }),
      encodeAbiParameters([{ type: 'uint256' }], [191n]),
    );
    expect(decodeLog(cancelled, contracts)).toMatchObject({ kind: 'order_cancelled', maker: alice, salt: 191n });
    const counter = log(
      contracts.marketplace,
      encodeEventTopics({ abi: marketplaceAbi, eventName: 'CounterIncremented', args: { maker: bob as Hex } }),
      encodeAbiParameters([{ type: 'uint256' }], [3n]),
    );
    expect(decodeLog(counter, contracts)).toMatchObject({ kind: 'counter_incremented', maker: bob, newCounter: 3n });
    const swept = log(
      contracts.marketplace,
      encodeEventTopics({ abi: marketplaceAbi, eventName: 'FeesSwept', args: { currency: zero as Hex, recipient: alice as Hex } }),
      encodeAbiParameters([{ type: 'uint256' }], [500n]),
    );
    expect(decodeLog(swept, contracts)).toMatchObject({ kind: 'fees_swept', currency: zero, recipient: alice, amount: 500n });
  });

  it('ignores other contracts and events it does not follow', () => {
    expect(decodeLog(transfer('0x1111111111111111111111111111111111111111', alice, bob, 1n), contracts)).toBeNull();
    const approval = encodeEventTopics({
      abi: harvestCardsAbi,
      eventName: 'Approval',
      args: { owner: alice as Hex, approved: bob as Hex, tokenId: 1n },
    });
    expect(decodeLog(log(contracts.cards, approval), contracts)).toBeNull();
    // A marketplace log with a collection's Transfer topic is not a marketplace event.
    expect(decodeLog(transfer(contracts.marketplace, alice, bob, 1n), contracts)).toBeNull();
    expect(decodeLog(log(contracts.cards, []), contracts)).toBeNull();
  });

  it('refuses followed events that do not fit their ABI', () => {
    const good = transfer(contracts.cards, alice, bob, 1n);
    // An ERC-20 style Transfer (value in data, 3 topics).
    expect(() => decodeLog({ ...good, topics: good.topics.slice(0, 3), data: pad(toHex(5n)) }, contracts)).toThrow(DecodeError);
    // Dirty upper bytes in an address topic.
    const dirty = [
      good.topics[0] as string,
      `0xff${(good.topics[1] as string).slice(4)}`,
      good.topics[2] as string,
      good.topics[3] as string,
    ];
    expect(() => decodeLog({ ...good, topics: dirty }, contracts)).toThrow(/not an address/);
    const cancelled = log(
      contracts.marketplace,
      encodeEventTopics({ abi: marketplaceAbi, eventName: 'OrderCancelled', args: { maker: alice as Hex } }),
      '0x12',
    );
    expect(() => decodeLog(cancelled, contracts)).toThrow(DecodeError);
    expect(() => decodeLog({ ...good, removed: true }, contracts)).toThrow(/removed/);
    expect(() => decodeLog({ ...good, blockNumber: null }, contracts)).toThrow(/blockNumber/);
    expect(() => decodeLog({ ...good, blockHash: '0x12' }, contracts)).toThrow(/blockHash/);
  });

  it('decodeLogs keeps the order and drops what is not followed', () => {
    const logs = [
      transfer(contracts.cards, zero, alice, 1n),
      transfer('0x1111111111111111111111111111111111111111', alice, bob, 1n),
      transfer(contracts.land, zero, bob, 2n),
    ];
    expect(decodeLogs(logs, contracts).map((e) => e.kind === 'transfer' && e.collection)).toEqual(['cards', 'land']);
  });

  it('exports the topics of every followed event', () => {
    expect(TOPICS.Transfer).toBe('0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef');
    expect(new Set(Object.values(TOPICS)).size).toBe(7);
  });
});

describe('findLogContradiction', () => {
  const range = { from: 10n, to: 20n, addresses: [contracts.cards, contracts.land] };
  const at = (number: number, hashByte: string, index: number, address = contracts.cards): RpcLog => ({
    ...transfer(address, alice, bob, 1n),
    blockNumber: toHex(number),
    blockHash: `0x${hashByte.repeat(32)}`,
    logIndex: toHex(index),
    transactionHash: `0x${toHex(number * 1000 + index)
      .slice(2)
      .padStart(64, '0')}`,
  });

  it('accepts a consistent answer', () => {
    expect(findLogContradiction([at(10, 'aa', 0), at(10, 'aa', 1), at(20, 'bb', 0)], range)).toBeNull();
    expect(findLogContradiction([], range)).toBeNull();
  });

  it('refuses logs outside the range, of other addresses, removed, pending, or repeated', () => {
    expect(findLogContradiction([at(21, 'aa', 0)], range)).toMatch(/outside/);
    expect(findLogContradiction([at(12, 'aa', 0, contracts.marketplace)], range)).toMatch(/not asked for/);
    expect(findLogContradiction([{ ...at(12, 'aa', 0), removed: true }], range)).toMatch(/removed/);
    expect(findLogContradiction([{ ...at(12, 'aa', 0), blockHash: null }], range)).toMatch(/pending/);
    expect(findLogContradiction([at(12, 'aa', 0), at(12, 'aa', 0)], range)).toMatch(/twice/);
  });

  it('refuses two hashes for one block number, and logs of another block than the one asked for', () => {
    expect(findLogContradiction([at(12, 'aa', 0), at(12, 'bb', 1)], range)).toMatch(/two hashes/);
    expect(findLogContradiction([at(12, 'aa', 0)], { ...range, from: 12n, to: 12n, blockHash: `0x${'cc'.repeat(32)}` })).toMatch(
      /asked for/,
    );
  });
});
