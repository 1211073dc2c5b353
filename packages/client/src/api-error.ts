/** The lower-case error codes of the API: the original's, plus the new ones. */
export const ApiErrorCode = {
  INVALID_REQUEST: 'invalid_request',
  VALIDATION_ERROR: 'validation_error',
  NOT_FOUND: 'not_found',
  CONFLICT: 'conflict',
  LEASE_LOST: 'lease_lost',
  UNAUTHORIZED: 'unauthorized',
  FORBIDDEN: 'forbidden',
  METHOD_NOT_ALLOWED: 'method_not_allowed',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
  UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  UNAVAILABLE: 'service_unavailable',
  TIMEOUT: 'timeout',
  INTERNAL_ERROR: 'internal_error',
} as const;

/** One of {@link ApiErrorCode}'s values. */
export type ApiErrorCodeValue = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** An error answer of the API, as the client raises it. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** The HTTP status. */
  readonly status: number;
  /**
   * The lower-case code (`not_found`, `validation_error`, `lease_lost`, ...; see
   * {@link ApiErrorCode}), or `http_<status>` when the answer carried no error envelope.
   */
  readonly code: string;
  /** The envelope's details (`field` for a validation error, ...). */
  readonly details: Record<string, unknown>;
  /**
   * How long the server asked the client to wait before trying again (its `Retry-After`, in
   * ms, 0 for a date already past), as a busy server's 503 says; undefined without one.
   */
  readonly retryAfterMs: number | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    details: Record<string, unknown> = {},
    retryAfterMs?: number,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A `Retry-After` header in ms: delay-seconds (`"5"`) or an HTTP date (0 once past), measured
 * from `now`; undefined when absent or neither.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // A date must name its day and time (`Wed, 21 Oct 2015 07:28:00 GMT`), not a bare number.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
