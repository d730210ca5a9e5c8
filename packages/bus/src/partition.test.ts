import { randomUUID } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionFor } from './partition.ts';

function metadata(count: number): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 1, replicas: [1], isr: [1] }));
}

describe('key -> partition', () => {
  it("matches the Java client's murmur2 test vectors", () => {
    // From Apache Kafka's UtilsTest.testMurmur2.
    expect(murmur2('21')).toBe(-973932308);
    expect(murmur2('foobar')).toBe(-790332482);
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536);
    expect(murmur2('a-little-bit-longer-string')).toBe(-1486304829);
    expect(murmur2('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')).toBe(-58897971);
    expect(murmur2('abc')).toBe(479470107);
  });

  it("agrees with kafkajs' DefaultPartitioner for every key and partition count", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const keys = [
      '',
      'a',
      'ab',
      'player-1',
      'ünïcødé ключ 键',
      '0x5FbDB2315678afecb367f032d93F642f64180aa3:42',
      ...Array.from({ length: 300 }, () => randomUUID()),
    ];
    for (const count of [1, 2, 3, 8, 16, 100]) {
      const partitionMetadata = metadata(count);
      for (const key of keys) {
        expect(partitionFor(key, count)).toBe(partitioner({ topic: 't', partitionMetadata, message: { key, value: 'v' } }));
      }
    }
  });

  it('spreads keys over the partitions', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) {
      const p = partitionFor(`key-${i}`, 16);
      counts[p] = (counts[p] ?? 0) + 1;
    }
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });
});
