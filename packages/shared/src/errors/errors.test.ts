import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES, ERROR_DESCRIPTIONS, HTTP_STATUS, isAppError, renderErrorCatalogue, toErrorResponse } from './index.ts';

describe('AppError', () => {
  it('maps each category to its HTTP status', () => {
    expect(toErrorResponse(new AppError('CARD_NOT_OWNED', 'no such card')).status).toBe(404);
    expect(toErrorResponse(new AppError('INSUFFICIENT_GOLD', 'need 5')).status).toBe(409);
    expect(toErrorResponse(new AppError('RATE_LIMITED', 'slow down')).status).toBe(429);
  });

  it('keeps safe details and hides unexpected errors', () => {
    const typed = toErrorResponse(new AppError('INSUFFICIENT_GOLD', 'need 5 more gold', { missing: 5 }));
    expect(typed.body).toEqual({ error: { code: 'INSUFFICIENT_GOLD', message: 'need 5 more gold', details: { missing: 5 } } });
    const hidden = toErrorResponse(new Error('connection string postgres://secret'));
    expect(hidden).toEqual({ status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } });
  });

  it('retries only retryable errors', () => {
    expect(new AppError('SERVICE_UNAVAILABLE', 'db down').retryable).toBe(true);
    expect(new AppError('CONFLICT', 'taken').retryable).toBe(false);
  });

  it('narrows by code', () => {
    const error: unknown = new AppError('NOT_FOUND', 'gone');
    expect(isAppError(error)).toBe(true);
    expect(isAppError(error, 'NOT_FOUND')).toBe(true);
    expect(isAppError(error, 'CONFLICT')).toBe(false);
    expect(isAppError(new Error('x'))).toBe(false);
  });

  it('has a status for every category in use', () => {
    for (const category of Object.values(ERROR_CODES)) expect(HTTP_STATUS[category]).toBeGreaterThanOrEqual(400);
  });

  it('describes every code, and docs/errors.md is the current rendering (regenerate: scripts/gen-error-catalogue.ts)', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(ERROR_DESCRIPTIONS[code as keyof typeof ERROR_CODES]?.length).toBeGreaterThan(10);
    const committed = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderErrorCatalogue());
  });
});
