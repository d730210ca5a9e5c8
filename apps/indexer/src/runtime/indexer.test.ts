import type { ChainEvent } from '@harvest/db';
import { describe, expect, it } from 'vitest';
import { splitAtBlocks } from './indexer.ts';

const at = (block: number, logIndex: number): ChainEvent => ({
  kind: 'order_cancelled',
  marketplace: '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0',
  maker: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
  salt: 1n,
  blockNumber: BigInt(block),
  blockHash: `0x${block.toString(16).padStart(64, '0')}`,
  txHash: `0x${(block * 100 + logIndex).toString(16).padStart(64, '0')}`,
  logIndex,
});

describe('splitAtBlocks', () => {
  it('cuts only between blocks, once a batch has reached the size', () => {
    const events = [at(1, 0), at(1, 1), at(1, 2), at(2, 0), at(3, 0), at(3, 1), at(4, 0)];
    const batches = splitAtBlocks(events, 2);
    expect(batches.map((b) => b.map((e) => Number(e.blockNumber)))).toEqual([[1, 1, 1], [2, 3, 3], [4]]);
    expect(batches.flat()).toEqual(events);
  });

  it('keeps a block larger than the size whole, and returns nothing for nothing', () => {
    const block = Array.from({ length: 5 }, (_, i) => at(7, i));
    expect(splitAtBlocks(block, 2)).toEqual([block]);
    expect(splitAtBlocks([], 10)).toEqual([]);
  });
});
