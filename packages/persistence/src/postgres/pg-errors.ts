import { ErrorCode, GqError } from '@gopherqueue/core';

/** Node socket errors that mean the server cannot be reached. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPIPE',
]);

/** SQLSTATEs that mean the server is there but will not serve us now. */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '3D000', '28000', '28P01']);

/** True when `err` says the database cannot be reached or refuses connections. */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08')) {
      return true;
    }
  }
  if (err instanceof AggregateError) return err.errors.some(isUnavailable);
  return /Connection terminated|timeout expired|Client has encountered a connection error/i.test(
    err.message,
  );
}

/** True when retrying the whole transaction may succeed (deadlock, serialization failure). */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/**
 * Turns a driver error into a {@link GqError}: `GQ_STORE_UNAVAILABLE` naming `where` when the
 * database cannot be reached, `GQ_STORE_FAILED` for anything else; a GqError passes through.
 */
export function toStoreError(err: unknown, where: string): GqError {
  if (err instanceof GqError) return err;
  const message = err instanceof Error ? err.message || err.name : String(err);
  if (isUnavailable(err)) {
    return new GqError(
      ErrorCode.STORE_UNAVAILABLE,
      `PostgreSQL at ${where} is unavailable: ${message}`,
      { cause: err, details: { where } },
    );
  }
  return new GqError(ErrorCode.STORE_FAILED, `PostgreSQL at ${where} failed: ${message}`, {
    cause: err,
    details: { where, sqlState: (err as { code?: unknown } | null)?.code },
  });
}

/** `host:port/database` of a connection string or config, for messages (never the password). */
export function describeTarget(config: {
  connectionString?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  database?: string | undefined;
}): string {
  if (config.connectionString) {
    try {
      const url = new URL(config.connectionString);
      const host = url.hostname || url.searchParams.get('host') || 'localhost';
      return `${host}:${url.port || '5432'}${url.pathname}`;
    } catch {
      return 'the configured connection string';
    }
  }
  const host = config.host ?? process.env.PGHOST ?? 'localhost';
  const port = config.port ?? Number(process.env.PGPORT ?? 5432);
  const database = config.database ?? process.env.PGDATABASE;
  return `${host}:${port}${database ? `/${database}` : ''}`;
}
