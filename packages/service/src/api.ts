import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { AppError, type ErrorBody, toErrorResponse } from '@harvest/shared/errors';
import type { FastifyError, FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { z } from 'zod';

/** The error body every route may answer with; routes list it for each error status they use. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** Error responses for a route schema: `response: { 200: X, ...errorResponses(401, 404) }`. */
export function errorResponses<const S extends number>(...statuses: S[]): Record<S, typeof errorBodySchema> {
  return Object.fromEntries(statuses.map((status) => [status, errorBodySchema])) as Record<S, typeof errorBodySchema>;
}

export interface ApiOptions {
  title: string;
  version: string;
  description?: string;
  /** Serve the OpenAPI document at /docs/json and a browsable UI at /docs. */
  docs?: boolean;
}

function send(reply: import('fastify').FastifyReply, status: number, body: ErrorBody) {
  return reply.code(status).send(body);
}

/**
 * zod for validation and serialisation, an OpenAPI 3.1 document generated from the route schemas, and one error
 * mapper: AppError keeps its code; schema failures are 422 VALIDATION_FAILED with the issues; Fastify's own client
 * errors (bad JSON, body too large) keep their status as BAD_REQUEST; anything else is a 500 with no internals.
 */
export async function registerApi(app: FastifyInstance, options: ApiOptions): Promise<void> {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  if (options.docs !== false) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: options.title, version: options.version, ...(options.description ? { description: options.description } : {}) },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }

  app.setNotFoundHandler((request, reply) =>
    send(reply, 404, { error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      const { status, body } = toErrorResponse(error);
      if (error.code === 'RATE_LIMITED' && typeof error.details?.retryAfterSeconds === 'number') {
        reply.header('retry-after', String(error.details.retryAfterSeconds));
      }
      return send(reply, status, body);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((issue) => ({
        where: error.validationContext ?? 'request',
        path: issue.instancePath,
        message: issue.message ?? 'invalid',
      }));
      return send(reply, 422, {
        error: { code: 'VALIDATION_FAILED', message: 'the request does not match the schema', details: { issues } },
      });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, issues: error.cause.issues }, 'response did not match its schema');
      return send(reply, 500, toErrorResponse(error).body);
    }
    const status = error.statusCode ?? 500;
    if (status === 429) {
      return send(reply, 429, { error: { code: 'RATE_LIMITED', message: 'too many requests; retry after the time in Retry-After' } });
    }
    if (status >= 400 && status < 500) {
      return send(reply, status, { error: { code: 'BAD_REQUEST', message: error.message } });
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, 500, toErrorResponse(error).body);
  });
}
