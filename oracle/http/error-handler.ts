import type { NextFunction, Request, Response } from 'express';
import { ZodError } from 'zod';
import type { AppContext } from '../context.ts';
import { AppError, statusByCode, type ErrorCode } from '../errors.ts';
import { securityHeaders } from './security-headers.ts';

interface HttpishError {
  readonly type?: unknown;
  readonly status?: unknown;
  readonly expose?: unknown;
}

/** Maps anything thrown by a route to an `AppError`; unknown failures become `internal_error`. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) {
    return new AppError('invalid_request', 'the request does not match the schema', {
      issues: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const e = (typeof err === 'object' && err !== null ? err : {}) as HttpishError;
  // body-parser / Express errors carry a `type` or a 4xx `status` they expose.
  if (e.type === 'entity.parse.failed')
    return new AppError('invalid_json', 'the body is not valid JSON');
  if (e.type === 'entity.too.large')
    return new AppError('payload_too_large', 'the body is too large');
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
    return new AppError('unsupported_media_type', 'unsupported body encoding');
  }
  if (err instanceof URIError) return new AppError('invalid_request', 'malformed URL escape');
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new AppError('invalid_request', err instanceof Error ? err.message : 'bad request');
  }
  return new AppError('internal_error', 'internal error');
}

/** The one Express error handler: every error body is `{ error: { code, message, details? } }`. */
export function errorHandler(ctx: AppContext) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const appErr = toAppError(err);
    const status = statusByCode[appErr.code satisfies ErrorCode];
    if (status >= 500) {
      ctx.logger.error({ err, method: req.method, path: req.path }, 'request failed');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    // An error raised before `securityHeaders` ran (a route mounted ahead of it failing to
    // decode a malformed `%` escape) still answers with the security headers.
    if (!res.hasHeader('content-security-policy')) securityHeaders()(req, res, () => undefined);
    res.status(status).json({
      error: {
        code: appErr.code,
        message: appErr.message,
        ...(appErr.details === undefined ? {} : { details: appErr.details }),
      },
    });
  };
}
