import { useTestDatabase } from '@harvest/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceServer } from '../src/main.ts';
import { guestBot, newPrefix, seedRepoGameData, startGameApi, startInProcess, testEnv } from './helpers.ts';

const database = useTestDatabase();
let api: Awaited<ReturnType<typeof startGameApi>>;
let server: InstanceServer;
let serverUrl: string;

beforeAll(async () => {
  await seedRepoGameData(database.db);
  api = await startGameApi(database.db);
  server = await startInProcess(testEnv({ databaseUrl: database.url, jwks: api.jwks, prefix: newPrefix() }));
  serverUrl = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server?.close();
  await api?.close();
});

describe('matchmaking entry', () => {
  it('refuses guests in ranked and lets them play casual', async () => {
    const guest = await guestBot(api.url, serverUrl);
    try {
      const hub = await guest.joinHub();
      const deckId = await guest.ensureDeck();
      const error = await hub.request('queue', { mode: 'ranked', deckId }).catch((e: { reason?: { code: string } }) => e.reason);
      expect(error).toMatchObject({ code: 'GUEST_RANKED_NOT_ALLOWED' });
      await expect(hub.request('queue', { mode: 'casual', deckId })).resolves.toMatchObject({ queued: true });
      await expect(hub.request('queue', { mode: 'casual', deckId }).catch((e: { reason?: unknown }) => e.reason)).resolves.toMatchObject({
        code: 'ALREADY_QUEUED',
      });
    } finally {
      await guest.close();
    }
  });
});
