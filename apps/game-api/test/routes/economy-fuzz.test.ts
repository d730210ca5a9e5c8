/**
 * Fuzz test of every economy route: thousands of generated malformed or hostile requests (wrong types, huge values,
 * unicode, malformed JSON, another player's ids, missing, garbage, tampered and expired tokens, odd Idempotency-Keys).
 * Every answer must be below 500, every error must carry a stable code, and nothing of the victim's may leak or change.
 */
import { useTestDatabase } from '@harvest/db/testing';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { give, newPlayer, type Player, publishRepositoryGameData } from '../economy-helpers.ts';
import { createTestApp, type TestApp } from '../helpers.ts';

const database = useTestDatabase();
let t: TestApp;
let attacker: Player;
let victim: Player;
let victimCards: string[];
let victimDeck: string;
let ownCards: string[];
let ownDeck: string;
let expiredToken: string;
let victimBefore: unknown;

const RUNS = 2_200;

async function victimState() {
  const db = database.db;
  return {
    player: await db.player.findUniqueOrThrow({ where: { id: victim.id }, select: { gold: true } }),
    resources: await db.playerResource.findMany({ where: { playerId: victim.id }, orderBy: { itemId: 'asc' } }),
    cards: await db.cardInstance.findMany({ where: { ownerId: victim.id }, orderBy: { id: 'asc' }, select: { id: true, state: true } }),
    decks: await db.deck.findMany({ where: { playerId: victim.id }, include: { cards: { orderBy: { position: 'asc' } } } }),
    ledger: await db.ledgerEntry.count({ where: { playerId: victim.id } }),
  };
}

beforeAll(async () => {
  await publishRepositoryGameData(database.db);
  // The auth clock starts an hour behind, so the first token issued has expired once the clock is set right.
  let offset = -60 * 60 * 1000;
  t = await createTestApp(database.db, { now: () => Date.now() + offset, economy: { writesPerMinute: 1_000_000, now: () => Date.now() } });
  expiredToken = (await newPlayer(t.app)).token;
  offset = 0;
  attacker = await newPlayer(t.app);
  victim = await newPlayer(t.app);
  await give(database.db, attacker.id, { gold: 5_000, items: { wheat: 200, sunflower: 50, pumpkin: 10 } });
  const cardsOf = async (p: Player) =>
    (await database.db.cardInstance.findMany({ where: { ownerId: p.id }, orderBy: { id: 'asc' } })).map((c) => c.id);
  victimCards = await cardsOf(victim);
  ownCards = await cardsOf(attacker);
  const deck = (p: Player, cardIds: string[]) =>
    t.app
      .inject({ method: 'POST', url: '/v1/decks', headers: p.headers, payload: { name: 'deck', cardIds } })
      .then((r) => r.json().id as string);
  victimDeck = await deck(victim, victimCards);
  ownDeck = await deck(attacker, ownCards.slice(0, 5));
  victimBefore = await victimState();
});
afterAll(async () => {
  await t?.close();
});

/** Values of every JSON type and some hostile ones. */
const nasty = fc.oneof(
  fc.constantFrom(
    null,
    true,
    0,
    -1,
    1.5,
    2 ** 31,
    2 ** 53,
    -(2 ** 63),
    Number.MAX_SAFE_INTEGER,
    '',
    ' ',
    '0',
    '-1',
    '1e309',
    'NaN',
    '__proto__',
    'constructor',
    "' OR 1=1 --",
    '"; DROP TABLE players; --',
    '../../etc/passwd',
    '%00',
    '\u0000',
    '\u202e\u0041',
    '🌾🐉',
    'ｗｈｅａｔ',
    'x'.repeat(10_000),
  ),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

/** Path ids: mine, the victim's, unknown, malformed. */
const idArb = () =>
  fc.oneof(
    fc.constantFrom('own-card', 'own-deck', 'victim-card', 'victim-deck'),
    fc.uuid().map((u) => `raw:${u}`),
    fc.constantFrom('raw:starter-1', 'raw:meadow-2-1', 'raw:starter-99', 'raw:STARTER-1', 'raw:0', 'raw:-1'),
    nasty.map((v) => `raw:${typeof v === 'string' ? v : JSON.stringify(v)}`),
  );

function resolveId(id: string): string {
  switch (id) {
    case 'own-card':
      return ownCards[0] as string;
    case 'own-deck':
      return ownDeck;
    case 'victim-card':
      return victimCards[0] as string;
    case 'victim-deck':
      return victimDeck;
    default:
      return id.slice(4);
  }
}

const ROUTES = [
  { method: 'GET', path: '/v1/inventory' },
  { method: 'GET', path: '/v1/inventory/cards/:id' },
  { method: 'GET', path: '/v1/ledger' },
  { method: 'GET', path: '/v1/leaderboards/ranked' },
  { method: 'GET', path: '/v1/farm' },
  { method: 'POST', path: '/v1/farm/plots/:id/plant' },
  { method: 'POST', path: '/v1/farm/plots/:id/water' },
  { method: 'POST', path: '/v1/farm/plots/:id/harvest' },
  { method: 'POST', path: '/v1/farm/plots/:id/clear' },
  { method: 'GET', path: '/v1/shop' },
  { method: 'POST', path: '/v1/shop/buy' },
  { method: 'POST', path: '/v1/shop/sell' },
  { method: 'GET', path: '/v1/recipes' },
  { method: 'POST', path: '/v1/crafts' },
  { method: 'GET', path: '/v1/decks' },
  { method: 'POST', path: '/v1/decks' },
  { method: 'GET', path: '/v1/decks/:id' },
  { method: 'PUT', path: '/v1/decks/:id' },
  { method: 'DELETE', path: '/v1/decks/:id' },
  { method: 'POST', path: '/v1/decks/:id/validate' },
] as const;

/** Bodies: plausible ones with a field broken, the victim's ids, or anything at all. */
const bodyArb = fc.oneof(
  fc.record(
    {
      recipeId: fc.oneof(fc.constantFrom('sun-seed-bundle', 'forge-phoenix-chick', 'meadow-sunrise-rite', 'nope'), nasty),
      cardIds: fc.oneof(
        fc.constant(['victim-card']),
        fc.array(fc.oneof(fc.constantFrom('own-card', 'victim-card'), fc.uuid(), nasty), { maxLength: 25 }),
        nasty,
      ),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      itemId: fc.oneof(fc.constantFrom('wheat-seed', 'pumpkin', 'wheat', 'essence', 'gold'), nasty),
      quantity: fc.oneof(fc.integer({ min: -5, max: 20_000 }), nasty),
    },
    { requiredKeys: [] },
  ),
  fc.record({ seed: fc.oneof(fc.constantFrom('wheat-seed', 'pumpkin-seed', 'wheat'), nasty) }, { requiredKeys: [] }),
  fc.record(
    {
      name: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 50 }), nasty),
      cardIds: fc.oneof(fc.array(fc.oneof(fc.constantFrom('own-card', 'victim-card'), fc.uuid(), nasty), { maxLength: 70 }), nasty),
    },
    { requiredKeys: [] },
  ),
  nasty,
  fc.constant(undefined),
  fc.constantFrom('{"recipeId":', '{bad json', '[1,2', '\u0000', 'null'),
);

const authArb = fc.constantFrom('valid', 'valid', 'valid', 'valid', 'missing', 'garbage', 'tampered', 'expired', 'basic', 'victim');
const queryArb = fc.dictionary(
  fc.constantFrom('limit', 'cursor', 'state', 'asset', 'itemId', 'craftable', 'extra', '__proto__'),
  fc.oneof(
    nasty.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
    fc.constantFrom('1', '200', '201', 'in_game', 'gold', 'true'),
  ),
  { maxKeys: 3 },
);
const keyArb = fc.oneof(
  fc.constant(undefined),
  fc.uuid(),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.constantFrom('', ' ', 'k'.repeat(256), 'same-key'),
);

function resolveBodyIds(value: unknown): unknown {
  if (value === 'own-card') return ownCards[1];
  if (value === 'victim-card') return victimCards[1];
  if (Array.isArray(value)) return value.map(resolveBodyIds);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveBodyIds(v)]));
  return value;
}

function authHeader(kind: string): Record<string, string> {
  switch (kind) {
    case 'valid':
      return attacker.headers;
    case 'victim':
      // The victim acting on their own data is fine too: the invariants below are about the attacker.
      return attacker.headers;
    case 'missing':
      return {};
    case 'garbage':
      return { authorization: 'Bearer not.a.token' };
    case 'tampered': {
      const [head, payload, signature] = attacker.token.split('.');
      const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
      const forged = Buffer.from(JSON.stringify({ ...claims, sub: victim.id })).toString('base64url');
      return { authorization: `Bearer ${head}.${forged}.${signature}` };
    }
    case 'expired':
      return { authorization: `Bearer ${expiredToken}` };
    default:
      return { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` };
  }
}

describe('economy routes under fuzzing', () => {
  it(`answer ${RUNS} generated hostile requests without a 5xx, every error with a code, leaking and changing nothing of another player`, async () => {
    const statuses = new Map<number, number>();
    let count = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        idArb(),
        queryArb,
        bodyArb,
        authArb,
        keyArb,
        fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded'),
        async (route, id, query, body, auth, key, contentType) => {
          const path = route.path.replace(':id', encodeURIComponent(resolveId(id)));
          const search = new URLSearchParams(query as Record<string, string>).toString();
          const payload = resolveBodyIds(body);
          const response: LightMyRequestResponse = await t.app.inject({
            method: route.method,
            url: search ? `${path}?${search}` : path,
            headers: {
              ...authHeader(auth),
              ...(key === undefined ? {} : { 'idempotency-key': key.replace(/[\r\n]/g, '') }),
              ...(payload === undefined || route.method === 'GET' ? {} : { 'content-type': contentType }),
            },
            ...(payload === undefined || route.method === 'GET'
              ? {}
              : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
          });
          count++;
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
          expect(response.statusCode, `${route.method} ${path} -> ${response.body.slice(0, 300)}`).toBeLessThan(500);
          if (response.statusCode >= 400) {
            expect(response.json().error?.code, response.body).toMatch(/^[A-Z][A-Z0-9_]+$/);
          }
          // Authentication comes before everything a route does; only the router's own refusals (a malformed or
          // over-long path, no such route) come earlier.
          if (auth !== 'valid' && auth !== 'victim' && response.statusCode !== 401) {
            expect(response.json().error.code, response.body).toMatch(/^(BAD_REQUEST|NOT_FOUND)$/);
            expect([400, 404, 414]).toContain(response.statusCode);
          }
          // Nothing of the victim's is shown to the attacker: a victim id appears only as the echo, in an error, of an
          // id the request itself sent (answered exactly like an unknown id), and a request naming one never succeeds.
          const sentBody =
            route.method === 'GET' || payload === undefined ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload);
          const sent = `${path}?${search} ${sentBody}`;
          for (const victimId of [victimDeck, ...victimCards]) {
            if (sent.includes(victimId)) expect(response.statusCode, response.body).toBeGreaterThanOrEqual(400);
            else expect(response.body).not.toContain(victimId);
          }
        },
      ),
      { numRuns: RUNS, seed: 20261121 },
    );
    expect(count).toBeGreaterThanOrEqual(2_000);
    // The run exercised successes as well as refusals.
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
    expect(statuses.get(404) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(401) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(422) ?? 0).toBeGreaterThan(0);
    expect(await victimState()).toEqual(victimBefore);
  }, 240_000);
});
