import { AppError } from '@harvest/shared/errors';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHttpApp, errorResponses, registerApi } from '../src/index.ts';

async function build() {
  const app = createHttpApp({ name: 'probe', log: pino({ level: 'silent' }), dependencies: {} });
  await registerApi(app, { title: 'Probe', version: '1' });
  app.withTypeProvider<ZodTypeProvider>().post(
    '/things/:id',
    {
      schema: {
        params: z.object({ id: z.uuid() }),
        body: z.object({ count: z.number().int().min(1).max(10) }),
        response: { 200: z.object({ id: z.string(), count: z.number() }), ...errorResponses(404, 409, 422) },
      },
    },
    async (request) => {
      if (request.body.count === 7) throw new AppError('INSUFFICIENT_GOLD', 'seven costs too much', { missing: 3 });
      if (request.body.count === 8) throw new Error('db password is hunter2');
      return { id: request.params.id, count: request.body.count };
    },
  );
  await app.ready();
  return app;
}

const id = '6f1e2d3c-54a3-4f63-9d38-4b8f0f0f8c11';

describe('registerApi', () => {
  it('validates with zod and answers 422 VALIDATION_FAILED naming the field', async () => {
    const app = await build();
    const response = await app.inject({ method: 'POST', url: `/things/${id}`, payload: { count: 11 } });
    expect(response.statusCode).toBe(422);
    expect(response.json().error.code).toBe('VALIDATION_FAILED');
    expect(response.json().error.details.issues[0]).toMatchObject({ where: 'body', path: '/count' });
    const badParam = await app.inject({ method: 'POST', url: '/things/nope', payload: { count: 1 } });
    expect(badParam.json().error.details.issues[0]).toMatchObject({ where: 'params' });
  });

  it('maps AppError to its status and code, and hides unexpected errors', async () => {
    const app = await build();
    const typed = await app.inject({ method: 'POST', url: `/things/${id}`, payload: { count: 7 } });
    expect(typed.statusCode).toBe(409);
    expect(typed.json()).toEqual({ error: { code: 'INSUFFICIENT_GOLD', message: 'seven costs too much', details: { missing: 3 } } });
    const hidden = await app.inject({ method: 'POST', url: `/things/${id}`, payload: { count: 8 } });
    expect(hidden.statusCode).toBe(500);
    expect(hidden.body).not.toContain('hunter2');
    expect(hidden.json().error.code).toBe('INTERNAL');
  });

  it('answers malformed JSON and unknown routes with codes', async () => {
    const app = await build();
    const malformed = await app.inject({
      method: 'POST',
      url: `/things/${id}`,
      headers: { 'content-type': 'application/json' },
      payload: '{"count":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('BAD_REQUEST');
    const missing = await app.inject({ method: 'GET', url: '/nowhere' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
  });

  it('publishes an OpenAPI 3.1 document built from the zod schemas', async () => {
    const app = await build();
    const doc = (await app.inject('/docs/json')).json();
    expect(doc.openapi).toBe('3.1.0');
    const operation = doc.paths['/things/{id}'].post;
    expect(operation.requestBody.content['application/json'].schema.properties.count).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 10,
    });
    expect(Object.keys(operation.responses)).toEqual(['200', '404', '409', '422']);
  });
});
