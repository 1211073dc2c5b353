import { ErrorCode, isGqError, type ErrorCodeValue } from '@gopherqueue/core';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ApiErrorCodeValue, WireError } from '@gopherqueue/client';

/** HTTP status of each API error code: the one place where this mapping lives. */
export const STATUS_OF: Record<ApiErrorCodeValue, ContentfulStatusCode> = {
  invalid_request: 400,
  validation_error: 400,
  not_found: 404,
  conflict: 409,
  lease_lost: 409,
  unauthorized: 401,
  forbidden: 403,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  service_unavailable: 503,
  timeout: 504,
  internal_error: 500,
};

/** API error code of each engine error code. */
const API_CODE_OF: Record<ErrorCodeValue, ApiErrorCodeValue> = {
  [ErrorCode.NOT_FOUND]: 'not_found',
  [ErrorCode.CONFLICT]: 'conflict',
  [ErrorCode.LEASE_LOST]: 'lease_lost',
  [ErrorCode.INVALID_STATE]: 'conflict',
  [ErrorCode.INVALID_ARGUMENT]: 'validation_error',
  [ErrorCode.STORE_LOCKED]: 'service_unavailable',
  [ErrorCode.STORE_CLOSED]: 'service_unavailable',
  [ErrorCode.STORE_FAILED]: 'internal_error',
  [ErrorCode.STORE_UNAVAILABLE]: 'service_unavailable',
  [ErrorCode.UNAUTHORIZED]: 'unauthorized',
  [ErrorCode.FORBIDDEN]: 'forbidden',
  [ErrorCode.TIMEOUT]: 'timeout',
  [ErrorCode.SHUTTING_DOWN]: 'service_unavailable',
};

/** An error a route throws to answer with a given code; turned into the envelope by `onError`. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly code: ApiErrorCodeValue;
  readonly details: Record<string, unknown> | undefined;
  /** Headers the error response carries besides the usual ones (`Retry-After`). */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(
    code: ApiErrorCodeValue,
    message: string,
    details?: Record<string, unknown>,
    headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  get status(): ContentfulStatusCode {
    return STATUS_OF[this.code];
  }
}

/** A `validation_error` naming the offending field. */
export function validationError(field: string, message: string): HttpError {
  return new HttpError('validation_error', message, { field });
}

/** Turns any thrown value into an API code, message and details. */
export function describeError(err: unknown): {
  code: ApiErrorCodeValue;
  message: string;
  details?: Record<string, unknown>;
} {
  if (err instanceof HttpError) {
    return { code: err.code, message: err.message, details: err.details };
  }
  if (isGqError(err)) {
    const code = API_CODE_OF[err.code];
    return {
      code,
      message: code === 'internal_error' ? 'internal server error' : err.message,
      details: err.details,
    };
  }
  return { code: 'internal_error', message: 'internal server error' };
}

/** The JSON error response for `err`. */
export function errorResponse(c: Context, err: unknown): Response {
  const { code, message, details } = describeError(err);
  const body: WireError = { error: { code, message, details: details ?? {} } };
  const allowed = details?.allowed;
  if (code === 'method_not_allowed' && Array.isArray(allowed))
    c.header('Allow', allowed.join(', '));
  if (err instanceof HttpError) {
    for (const [name, value] of Object.entries(err.headers ?? {})) c.header(name, value);
  }
  return c.json(body, STATUS_OF[code]);
}
