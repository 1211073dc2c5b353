/** An error answer of the API, as the client raises it. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** The HTTP status. */
  readonly status: number;
  /** The lower-case code (`not_found`, `validation_error`, `lease_lost`, ...). */
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
