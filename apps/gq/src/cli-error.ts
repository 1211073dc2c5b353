import { isConnectionError } from '@gopherqueue/client';

/** A failure a command reports as one line and an exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  /** 1 for an operational failure, 2 for a usage error. */
  readonly exitCode: number;

  constructor(message: string, exitCode = 1, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/** A usage error (bad flag value): exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** The one line printed when no server answers at `server`. */
export function noServerMessage(server: string): string {
  return `no GopherQueue server at ${server}: start one with \`gq serve\` or pass --server`;
}

/**
 * Turns whatever a client command threw into a {@link CliError}: a refused connection names the
 * address and how to start a server; an API error gives its code and message.
 */
export function toCliError(err: unknown, server: string): CliError {
  if (err instanceof CliError) return err;
  if (isConnectionError(err)) return new CliError(noServerMessage(server), 1, { cause: err });
  if (err instanceof TypeError && err.message.startsWith('fetch failed')) {
    // The client's transport already names the cause (`fetch failed: bad port`); fetch does not.
    const why = err.message.slice('fetch failed'.length).replace(/^: /, '');
    const cause =
      why !== '' ? `: ${why}` : err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return new CliError(`cannot reach ${server}${cause}`, 1, { cause: err });
  }
  if (err instanceof Error) {
    const apiError = err as Error & { status?: unknown; code?: unknown };
    if (typeof apiError.status === 'number' && typeof apiError.code === 'string') {
      return new CliError(`${apiError.message} (${apiError.code}, HTTP ${apiError.status})`, 1, {
        cause: err,
      });
    }
    return new CliError(err.message, 1, { cause: err });
  }
  return new CliError(String(err));
}
