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

  constructor(
    status: number,
    code: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}
