/**
 * The event envelope and the catalogue of every event type and version. Producers append events to the outbox in
 * the transaction of the change they report; a relay publishes them in order per key; consumers apply each event
 * id at most once. Payload schemas are versioned: a breaking change adds a new version next to the old one, and
 * consumers handle both until the old one is drained.
 */
import { z } from 'zod';

/** Topic an event is published on; the topic is the bus stream or Kafka topic name (prefixed per deployment). */
export type Topic = 'player' | 'match' | 'economy' | 'chain' | 'market' | 'gamedata';

const uuid = z.uuid();
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address');
const tokenId = z.string().regex(/^\d{1,78}$/, 'must be a decimal uint256');
const chainId = z.number().int().positive();

/** One catalogue entry: where the event goes, who writes and reads it, and its payload schema. */
export interface EventDefinition<P extends z.ZodType = z.ZodType> {
  type: string;
  version: number;
  topic: Topic;
  /** What the key is: events with the same key are delivered in order. */
  key: string;
  producer: string;
  consumers: readonly string[];
  description: string;
  payload: P;
}

function define<P extends z.ZodType>(definition: EventDefinition<P>): EventDefinition<P> {
  return definition;
}

/** Every event the backend emits. */
export const EVENTS = {
  user_login: define({
    type: 'user_login',
    version: 1,
    topic: 'player',
    key: 'player id',
    producer: 'game-api',
    consumers: ['instance-server (presence)', 'analytics'],
    description: 'A player signed in (wallet, guest or refresh).',
    payload: z.object({ playerId: uuid, method: z.enum(['siwe', 'guest', 'refresh']), address: address.optional(), guest: z.boolean() }),
  }),
  wallet_linked: define({
    type: 'wallet_linked',
    version: 1,
    topic: 'player',
    key: 'player id',
    producer: 'game-api',
    consumers: ['indexer (ownership remap)', 'analytics'],
    description: 'A wallet was proved by SIWE and linked to a player.',
    payload: z.object({ playerId: uuid, address, chainId }),
  }),
  match_found: define({
    type: 'match_found',
    version: 1,
    topic: 'match',
    key: 'match id',
    producer: 'instance-server',
    consumers: ['game-api (notifications)', 'analytics'],
    description: 'Matchmaking paired two players and reserved their seats.',
    payload: z.object({ matchId: uuid, mode: z.enum(['ranked', 'casual', 'private']), playerIds: z.array(uuid).length(2) }),
  }),
  game_started: define({
    type: 'game_started',
    version: 1,
    topic: 'match',
    key: 'match id',
    producer: 'instance-server',
    consumers: ['analytics'],
    description: 'A battle began; the seed commitment is public from here on.',
    payload: z.object({ matchId: uuid, seedCommitment: z.string().regex(/^[0-9a-f]{64}$/), contentVersion: z.number().int() }),
  }),
  game_ended: define({
    type: 'game_ended',
    version: 1,
    topic: 'match',
    key: 'match id',
    producer: 'instance-server',
    consumers: ['game-api (leaderboards, notifications)', 'analytics'],
    description: 'A battle was settled: result, revealed seed, rewards and rating changes.',
    payload: z.object({
      matchId: uuid,
      winnerId: uuid.nullable(),
      reason: z.enum(['hero_died', 'turn_limit', 'concede', 'timeout', 'disconnect', 'abandoned']),
      seed: z.string(),
      turns: z.number().int().nonnegative(),
    }),
  }),
  crafted: define({
    type: 'crafted',
    version: 1,
    topic: 'economy',
    key: 'player id',
    producer: 'game-api',
    consumers: ['analytics'],
    description: 'A recipe consumed its inputs and created a card.',
    payload: z.object({ playerId: uuid, recipeId: z.string(), cardId: uuid, definitionId: z.string(), contentVersion: z.number().int() }),
  }),
  harvested: define({
    type: 'harvested',
    version: 1,
    topic: 'economy',
    key: 'player id',
    producer: 'game-api',
    consumers: ['analytics'],
    description: 'A plot was harvested.',
    payload: z.object({
      playerId: uuid,
      plot: z.number().int().nonnegative(),
      cropId: z.string(),
      quantity: z.number().int().nonnegative(),
      withered: z.boolean(),
    }),
  }),
  gold_changed: define({
    type: 'gold_changed',
    version: 1,
    topic: 'economy',
    key: 'player id',
    producer: 'packages/db ledger',
    consumers: ['analytics'],
    description: 'A player’s gold balance changed (the ledger row id is the reference).',
    payload: z.object({
      playerId: uuid,
      delta: z.number().int(),
      balance: z.number().int().nonnegative(),
      reason: z.string(),
      referenceId: z.string(),
    }),
  }),
  card_minted: define({
    type: 'card_minted',
    version: 1,
    topic: 'chain',
    key: 'token contract + token id',
    producer: 'indexer',
    consumers: ['instance-server (notifications)', 'marketplace'],
    description: 'A game card became a token, confirmed on chain.',
    payload: z.object({ chainId, contract: address, tokenId, cardId: uuid, owner: address, txHash: z.string() }),
  }),
  card_transferred: define({
    type: 'card_transferred',
    version: 1,
    topic: 'chain',
    key: 'token contract + token id',
    producer: 'indexer',
    consumers: ['game-api (decks)', 'marketplace (listings)'],
    description: 'A card token changed hands on chain.',
    payload: z.object({
      chainId,
      contract: address,
      tokenId,
      from: address,
      to: address,
      blockNumber: z.number().int(),
      txHash: z.string(),
    }),
  }),
  land_transferred: define({
    type: 'land_transferred',
    version: 1,
    topic: 'chain',
    key: 'token contract + token id',
    producer: 'indexer',
    consumers: ['game-api (farm plots)', 'marketplace (listings)'],
    description: 'A land token changed hands on chain.',
    payload: z.object({
      chainId,
      contract: address,
      tokenId,
      from: address,
      to: address,
      blockNumber: z.number().int(),
      txHash: z.string(),
    }),
  }),
  sale: define({
    type: 'sale',
    version: 1,
    topic: 'chain',
    key: 'token contract + token id',
    producer: 'indexer',
    consumers: ['marketplace (activity)', 'instance-server (notifications)'],
    description: 'A marketplace order was filled on chain.',
    payload: z.object({
      chainId,
      contract: address,
      tokenId,
      orderHash: z.string(),
      seller: address,
      buyer: address,
      price: z.string(),
      currency: address,
      txHash: z.string(),
    }),
  }),
  listing_created: define({
    type: 'listing_created',
    version: 1,
    topic: 'market',
    key: 'order hash',
    producer: 'marketplace',
    consumers: ['analytics'],
    description: 'A signed order was accepted and listed.',
    payload: z.object({ orderHash: z.string(), contract: address, tokenId, maker: address, price: z.string(), currency: address }),
  }),
  listing_cancelled: define({
    type: 'listing_cancelled',
    version: 1,
    topic: 'market',
    key: 'order hash',
    producer: 'marketplace / indexer',
    consumers: ['analytics'],
    description: 'A listing was cancelled: soft (signed off-chain), hard (on chain) or invalidated (owner, approval, counter).',
    payload: z.object({ orderHash: z.string(), how: z.enum(['soft', 'hard', 'invalidated']) }),
  }),
  listing_filled: define({
    type: 'listing_filled',
    version: 1,
    topic: 'market',
    key: 'order hash',
    producer: 'indexer',
    consumers: ['marketplace'],
    description: 'A listing was bought.',
    payload: z.object({ orderHash: z.string(), buyer: address, txHash: z.string() }),
  }),
  gamedata_published: define({
    type: 'gamedata_published',
    version: 1,
    topic: 'gamedata',
    key: 'constant "gamedata"',
    producer: 'gamedata CLI',
    consumers: ['game-api', 'instance-server'],
    description: 'Designers published (or rolled back to) a game-data version; servers load it.',
    payload: z.object({
      version: z.number().int().positive(),
      contentHash: z.string().regex(/^[0-9a-f]{64}$/),
      author: z.string(),
      message: z.string(),
    }),
  }),
} as const;

export type EventType = keyof typeof EVENTS;

/** The payload type of an event type. */
export type EventPayload<T extends EventType> = z.infer<(typeof EVENTS)[T]['payload']>;

/** What every event looks like on the bus. */
export const envelopeSchema = z.object({
  id: uuid,
  type: z.string().min(1),
  version: z.number().int().positive(),
  key: z.string().min(1).max(200),
  occurredAt: z.iso.datetime(),
  payload: z.unknown(),
});

export type Envelope = z.infer<typeof envelopeSchema>;

/** A typed envelope of one event type. */
export interface TypedEnvelope<T extends EventType> extends Envelope {
  type: T;
  payload: EventPayload<T>;
}

/** An event as a producer describes it, before it has an id and a time. */
export interface NewEvent<T extends EventType = EventType> {
  type: T;
  key: string;
  payload: EventPayload<T>;
}

/** The catalogue entry of a type and version, or undefined when the catalogue does not know it. */
export function getEventDefinition(type: string, version: number): EventDefinition | undefined {
  const definition = (EVENTS as Record<string, EventDefinition>)[type];
  return definition && definition.version === version ? definition : undefined;
}

/**
 * Checks an envelope and its payload against the catalogue. Returns the list of problems (empty when valid), so
 * a consumer can dead-letter a malformed event with a reason instead of crashing on it.
 */
export function validateEnvelope(value: unknown): string[] {
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) return envelope.error.issues.map((issue) => `${issue.path.join('.') || 'envelope'}: ${issue.message}`);
  const definition = getEventDefinition(envelope.data.type, envelope.data.version);
  if (!definition) return [`unknown event ${envelope.data.type} v${envelope.data.version}`];
  const payload = definition.payload.safeParse(envelope.data.payload);
  return payload.success ? [] : payload.error.issues.map((issue) => `payload.${issue.path.join('.')}: ${issue.message}`);
}

/** The catalogue as a Markdown document (docs/events.md is generated from it and checked by a test). */
export function renderEventCatalogue(): string {
  const rows = Object.values(EVENTS as Record<string, EventDefinition>).map(
    (e) => `| \`${e.type}\` | ${e.version} | ${e.topic} | ${e.key} | ${e.producer} | ${e.consumers.join('; ')} | ${e.description} |`,
  );
  return [
    '# Event catalogue',
    '',
    'Generated from `packages/shared/src/events/index.ts` by `node scripts/run.mjs exec node scripts/gen-event-catalogue.ts`; do not edit by hand.',
    'Every event travels in the envelope `{ id, type, version, key, occurredAt, payload }`; events with the same key are delivered in order.',
    '',
    '| type | version | topic | key | producer | consumers | meaning |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
