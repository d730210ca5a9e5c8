import { AppError, type ErrorCode } from '@harvest/shared/errors';

/** Whether `error` is an AppError, of `code` when given. */
export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}
