import { describe, expect, it } from 'vitest';
import { DEFAULT_PAIRING, pairTickets, ratingWindow, type Ticket } from './pairing.ts';

const t = (playerId: string, rating: number, enqueuedAt: number, region = 'eu'): Ticket => ({ playerId, rating, enqueuedAt, region });
const ranked = { ...DEFAULT_PAIRING, ranked: true };
const casual = { ...DEFAULT_PAIRING, ranked: false };

describe('pairing', () => {
  it('widens the ranked window from 100 to 400 over 30 s', () => {
    expect(ratingWindow(t('a', 1500, 0), 0, DEFAULT_PAIRING)).toBe(100);
    expect(ratingWindow(t('a', 1500, 0), 15_000, DEFAULT_PAIRING)).toBe(250);
    expect(ratingWindow(t('a', 1500, 0), 90_000, DEFAULT_PAIRING)).toBe(400);
  });

  it('pairs ranked players only when each window holds the other, closest rating first', () => {
    const queue = [t('a', 1500, 0), t('b', 1750, 0), t('c', 1560, 1000)];
    expect(pairTickets(queue, 1000, ranked).map(([x, y]) => [x.playerId, y.playerId])).toEqual([['a', 'c']]);
    // 250 apart: not at once, but after both waited long enough.
    expect(pairTickets([t('a', 1500, 0), t('b', 1750, 0)], 1000, ranked)).toEqual([]);
    expect(pairTickets([t('a', 1500, 0), t('b', 1750, 0)], 26_000, ranked)).toHaveLength(1);
  });

  it('prefers the same region and relaxes it after a wait', () => {
    const queue = [t('a', 1500, 0, 'eu'), t('b', 1500, 0, 'us'), t('c', 1520, 500, 'eu')];
    expect(pairTickets(queue, 1000, ranked).map(([x, y]) => [x.playerId, y.playerId])).toEqual([['a', 'c']]);
    expect(pairTickets([t('a', 1500, 0, 'eu'), t('b', 1500, 0, 'us')], 5000, casual)).toEqual([]);
    expect(pairTickets([t('a', 1500, 0, 'eu'), t('b', 1500, 0, 'us')], 11_000, casual)).toHaveLength(1);
  });

  it('casual pairs first come first served, whatever the ratings', () => {
    const queue = [t('a', 100, 0), t('b', 2900, 1), t('c', 1500, 2), t('d', 1500, 3), t('e', 1500, 4)];
    expect(pairTickets(queue, 10, casual).map(([x, y]) => [x.playerId, y.playerId])).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });
});
