/** Stable error codes; callers branch on these, never on message text. */
export const ErrorCode = {
  NOT_FOUND: 'GQ_NOT_FOUND',
  CONFLICT: 'GQ_CONFLICT',
  LEASE_LOST: 'GQ_LEASE_LOST',
  INVALID_STATE: 'GQ_INVALID_STATE',
  INVALID_ARGUMENT: 'GQ_INVALID_ARGUMENT',
  STORE_LOCKED: 'GQ_STORE_LOCKED',
  STORE_CLOSED: 'GQ_STORE_CLOSED',
  STORE_FAILED: 'GQ_STORE_FAILED',
  STORE_UNAVAILABLE: 'GQ_STORE_UNAVAILABLE',
  UNAUTHORIZED: 'GQ_UNAUTHORIZED',
  FORBIDDEN: 'GQ_FORBIDDEN',
  TIMEOUT: 'GQ_TIMEOUT',
  SHUTTING_DOWN: 'GQ_SHUTTING_DOWN',
} as const;

/** One of {@link ErrorCode}'s values. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Options of {@link GqError}. */
export interface GqErrorOptions {
  /** The underlying error. */
  cause?: unknown;
  /** Machine-readable details (the offending field, the job id, ...). */
  details?: Record<string, unknown>;
}

/** An operational failure with a stable `code`. */
export class GqError extends Error {
  override readonly name = 'GqError';
  readonly code: ErrorCodeValue;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCodeValue, message: string, options: GqErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

/** True when `err` is a {@link GqError}, optionally with the given code. */
export function isGqError(err: unknown, code?: ErrorCodeValue): err is GqError {
  return err instanceof GqError && (code === undefined || err.code === code);
}

/**
 * Thrown by a handler to fail the attempt without retrying: the job goes straight to `failed`.
 * The equivalent of BullMQ's `UnrecoverableError`.
 */
export class PermanentError extends Error {
  override readonly name: string = 'PermanentError';
}

/** Marks every PermanentError, whichever copy of this package made it. */
const PERMANENT = Symbol.for('gopherqueue.PermanentError');
Object.defineProperty(PermanentError.prototype, PERMANENT, { value: true });

/**
 * True when `err` is a {@link PermanentError} (or a subclass), also one made by another copy of
 * this package: a handler module compiled on its own (a TypeScript `--handlers` module) or two
 * installed versions each have their own class, which `instanceof` would not match.
 */
export function isPermanentError(err: unknown): boolean {
  return (
    err instanceof PermanentError ||
    (typeof err === 'object' &&
      err !== null &&
      (err as Record<symbol, unknown>)[PERMANENT] === true)
  );
}

/**
 * Error classes recorded on a failed attempt. `sandbox_crashed`: the thread or process that ran
 * an isolated handler died under it (it crashed, ran out of memory, or called `process.exit`).
 */
export type ErrorClass =
  | 'error'
  | 'permanent'
  | 'timeout'
  | 'lease_expired'
  | 'unknown_type'
  | 'panic'
  | 'sandbox_crashed';
