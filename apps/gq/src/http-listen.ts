import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError } from './cli-error.js';

/**
 * Binds `server` and resolves with the bound address. Request and header timeouts guard against
 * slow clients sending a request; nothing limits how long a response may stream, so long-poll waits
 * and SSE streams are never cut.
 * @throws CliError when the port is in use or the address cannot be bound.
 */
export function listen(
  server: Server,
  host: string | undefined,
  port: number,
): Promise<AddressInfo> {
  server.requestTimeout = 60_000;
  server.headersTimeout = 30_000;
  server.timeout = 0;
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const where = `${host ?? ''}:${port}`;
      reject(
        new CliError(
          err.code === 'EADDRINUSE'
            ? `cannot listen on ${where}: the port is in use (pass --http with another port)`
            : `cannot listen on ${where}: ${err.message}`,
          1,
          { cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Stops accepting connections, closes idle ones, and after `graceMs` cuts the rest (open SSE
 * streams and long polls) so shutdown never hangs on a client.
 */
export async function closeHttpServer(server: Server, graceMs = 1_000): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  server.closeIdleConnections();
  const timer = setTimeout(() => {
    server.closeAllConnections();
  }, graceMs);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}
