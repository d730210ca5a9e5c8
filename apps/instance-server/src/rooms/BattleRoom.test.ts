import type { CardDef } from '@harvest/shared/rules';
import { describe, expect, it } from 'vitest';
import { sharedDefinitions } from './BattleRoom.ts';

const def = (id: string, attack: number): CardDef =>
  ({
    id,
    name: id,
    kind: 'unit',
    cost: 1,
    rarity: 'common',
    element: 'sun',
    attack,
    health: 2,
    keywords: { guard: true },
  }) as unknown as CardDef;

describe('sharedDefinitions', () => {
  it("uses the version's object for a definition equal to it (key order aside) and keeps the match's own otherwise", () => {
    const version = { a: def('a', 1), b: def('b', 2) };
    // A match's setup comes back from JSONB with its keys in another order.
    const reordered = JSON.parse(JSON.stringify({ keywords: { guard: true }, ...def('a', 1) })) as CardDef;
    const changed = def('b', 3);
    const own = { a: reordered, b: changed, c: def('c', 1) };
    const out = sharedDefinitions(own, version);
    expect(out.a).toBe(version.a);
    expect(out.b).toBe(changed);
    expect(out.c).toBe(own.c);
    expect(Object.keys(out)).toEqual(['a', 'b', 'c']);
  });
});
