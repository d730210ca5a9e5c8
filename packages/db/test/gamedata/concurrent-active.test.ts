/** getActiveGameData under concurrency: a cold cache hit by many callers at once (as at server start). */
import { createDb, getActiveGameData, seedGameData } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { describe, expect, it } from 'vitest';
import { repoGameData } from './helpers.ts';

const database = useTestDatabase();

describe('getActiveGameData', () => {
  it('answers 20 concurrent callers on a cold cache with the one active version', async () => {
    await seedGameData(database.db, { content: repoGameData() });
    const fresh = createDb({ databaseUrl: database.url });
    try {
      const loaded = await Promise.all(Array.from({ length: 20 }, () => getActiveGameData(fresh)));
      expect(new Set(loaded.map((l) => l.version))).toEqual(new Set([1]));
    } finally {
      await fresh.$disconnect();
    }
  });
});
