import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENTS, renderEventCatalogue, validateEnvelope } from './index.ts';

const base = { id: '0b0e1d3c-54a3-4f63-9d38-4b8f0f0f8c11', key: 'k', occurredAt: '2026-11-21T12:00:00.000Z' };

describe('event envelope', () => {
  it('accepts a catalogued event with a valid payload', () => {
    const problems = validateEnvelope({
      ...base,
      type: 'user_login',
      version: 1,
      payload: { playerId: base.id, method: 'guest', guest: true },
    });
    expect(problems).toEqual([]);
  });

  it('names what is wrong', () => {
    expect(validateEnvelope({ ...base, type: 'user_login', version: 9, payload: {} })).toEqual(['unknown event user_login v9']);
    expect(validateEnvelope({ ...base, id: 'nope', type: 'user_login', version: 1, payload: {} })[0]).toMatch(/^id: /);
    const payload = validateEnvelope({
      ...base,
      type: 'harvested',
      version: 1,
      payload: { playerId: base.id, plot: -1, cropId: 'wheat', quantity: 2, withered: false },
    });
    expect(payload).toHaveLength(1);
    expect(payload[0]).toMatch(/^payload\.plot: /);
  });

  it('has the topics ARCHITECTURE.md promises', () => {
    for (const type of [
      'user_login',
      'wallet_linked',
      'match_found',
      'game_started',
      'game_ended',
      'crafted',
      'harvested',
      'gold_changed',
      'card_minted',
      'card_transferred',
      'land_transferred',
      'sale',
      'listing_created',
      'listing_cancelled',
      'listing_filled',
    ]) {
      expect(Object.keys(EVENTS)).toContain(type);
    }
  });

  it('keeps the committed catalogue document in step with the code', () => {
    const committed = readFileSync(new URL('../../../../docs/events.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderEventCatalogue());
  });
});
