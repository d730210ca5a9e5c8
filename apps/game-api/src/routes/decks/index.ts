/**
 * Decks: `GET/POST /v1/decks`, `GET/PUT/DELETE /v1/decks/:deckId`, `POST /v1/decks/:deckId/validate`. Every deck
 * read reports its legality now (deck rules, ownership, card state) and every problem, so a deck whose card was
 * sold or consumed says why until it is fixed. Another player's deck answers 404 like a missing one.
 */
import { createDeck, type DeckView, deleteDeck, getDeck, listDecks, updateDeck } from '@harvest/db';
import { errorResponses } from '@harvest/service';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { claimsOf } from '../../plugins/auth.ts';
import { type EconomyRouteOptions, limitWrites, uuidSchema, withDbRetry } from '../inventory/economy.ts';

const problemSchema = z.object({ code: z.string(), message: z.string() });
const deckSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  cards: z.array(z.object({ cardId: z.uuid(), definitionId: z.string(), state: z.string(), owned: z.boolean() })),
  legal: z.boolean(),
  problems: z.array(problemSchema).describe('Every reason the deck cannot be played now (empty when legal).'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
const validationSchema = z.object({
  deckId: z.uuid(),
  legal: z.boolean(),
  problems: z.array(problemSchema),
  contentVersion: z.number().int(),
});

const nameSchema = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[^\p{Cc}\p{Cf}]+$/u, 'no control or format characters');
const cardIdsSchema = z
  .array(uuidSchema)
  .max(60)
  .refine((ids) => new Set(ids).size === ids.length, 'a card is listed twice');
const deckParams = z.object({ deckId: uuidSchema });

function deckBody(deck: DeckView): z.infer<typeof deckSchema> {
  return {
    ...deck,
    problems: deck.problems.map((p) => ({ code: p.code, message: p.message })),
    createdAt: deck.createdAt.toISOString(),
    updatedAt: deck.updatedAt.toISOString(),
  };
}

/** The deck routes. */
export async function deckRoutes(app: FastifyInstance, options: EconomyRouteOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const common = { onRequest: app.authenticate };
  const tags = ['decks'];
  const security = [{ bearer: [] }];

  api.get(
    '/v1/decks',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'My decks, each with its legality now',
        response: { 200: z.object({ decks: z.array(deckSchema) }), ...errorResponses(401, 503) },
      },
    },
    async (request) => {
      const content = await options.content();
      return { decks: (await listDecks(options.db, claimsOf(request).sub, content)).map(deckBody) };
    },
  );

  api.post(
    '/v1/decks',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Save a new deck (may be incomplete; cards must be mine)',
        body: z.object({ name: nameSchema, cardIds: cardIdsSchema.default([]) }).strict(),
        response: { 201: deckSchema, ...errorResponses(401, 404, 409, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const playerId = claimsOf(request).sub;
      await limitWrites(options, playerId);
      const content = await options.content();
      const deck = await withDbRetry(() =>
        createDeck(options.db, { playerId, name: request.body.name, cardIds: request.body.cardIds, content }),
      );
      return reply.code(201).send(deckBody(deck));
    },
  );

  api.get(
    '/v1/decks/:deckId',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'One of my decks',
        params: deckParams,
        response: { 200: deckSchema, ...errorResponses(401, 404, 422, 503) },
      },
    },
    async (request) => {
      const content = await options.content();
      return deckBody(await getDeck(options.db, claimsOf(request).sub, request.params.deckId, content));
    },
  );

  api.put(
    '/v1/decks/:deckId',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Rename a deck and/or replace its cards',
        params: deckParams,
        body: z
          .object({ name: nameSchema.optional(), cardIds: cardIdsSchema.optional() })
          .strict()
          .refine((b) => b.name !== undefined || b.cardIds !== undefined, 'give name, cardIds or both'),
        response: { 200: deckSchema, ...errorResponses(401, 404, 422, 429, 503) },
      },
    },
    async (request) => {
      const playerId = claimsOf(request).sub;
      await limitWrites(options, playerId);
      const content = await options.content();
      const deck = await withDbRetry(() => updateDeck(options.db, { playerId, deckId: request.params.deckId, ...request.body, content }));
      return deckBody(deck);
    },
  );

  api.delete(
    '/v1/decks/:deckId',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Delete one of my decks',
        params: deckParams,
        response: { 204: z.null(), ...errorResponses(401, 404, 422, 429) },
      },
    },
    async (request, reply) => {
      const playerId = claimsOf(request).sub;
      await limitWrites(options, playerId);
      await deleteDeck(options.db, { playerId, deckId: request.params.deckId });
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/v1/decks/:deckId/validate',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Check whether a deck can be played now, and why not',
        params: deckParams,
        response: { 200: validationSchema, ...errorResponses(401, 404, 422, 503) },
      },
    },
    async (request) => {
      const content = await options.content();
      const deck = await getDeck(options.db, claimsOf(request).sub, request.params.deckId, content);
      return {
        deckId: deck.id,
        legal: deck.legal,
        problems: deck.problems.map((p) => ({ code: p.code, message: p.message })),
        contentVersion: content.version,
      };
    },
  );
}
