import { isIP } from 'node:net';

/** Where the HTTP server listens. */
export interface ListenAddress {
  /** The interface; undefined means every interface (Go's `:8080`). */
  host: string | undefined;
  /** The TCP port; 0 asks the system for a free one. */
  port: number;
}

/**
 * Reads a listen address as the original's `--http` flag takes it: `":8080"`, `"8080"`,
 * `"127.0.0.1:9000"`, `"[::1]:8080"`, `"localhost:8080"`, or `"0"` for a free port.
 * @throws RangeError naming the value and the accepted forms.
 */
export function parseListenAddress(value: string): ListenAddress {
  const text = value.trim();
  const fail = (): never => {
    throw new RangeError(
      `--http must be like ":8080", "127.0.0.1:9000" or "0"; got ${JSON.stringify(value)}`,
    );
  };
  let host: string | undefined;
  let portText: string;
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2] as string;
  } else if (/^\d+$/.test(text)) {
    portText = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return fail();
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return fail();
  }
  if (!/^\d+$/.test(portText)) return fail();
  const port = Number(portText);
  if (port > 65_535) return fail();
  if (host === '' || host === '*') host = undefined;
  if (host !== undefined && host !== 'localhost' && isIP(host) === 0 && !/^[\w.-]+$/.test(host)) {
    return fail();
  }
  return { host, port };
}

/** True when `host` reaches this machine only (`127.0.0.0/8`, `::1`, `localhost`). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice('::ffff:'.length));
  return isIP(h) === 4 && h.startsWith('127.');
}

/** True when `host` binds every interface: none given (`:8080`), `0.0.0.0` or `::`. */
export function isEveryInterface(host: string | undefined): boolean {
  return host === undefined || host === '0.0.0.0' || host === '::';
}

/** The names of a bound `host` requests may use: none for every interface (`0.0.0.0`, `::`). */
export function boundNames(host: string | undefined): string[] {
  return isEveryInterface(host) ? [] : [host as string];
}

/** A URL clients on this machine can use to reach a server bound to `host`:`port`. */
export function localUrl(host: string | undefined, port: number): string {
  if (host === undefined || isEveryInterface(host)) return `http://127.0.0.1:${port}`;
  return isIP(host) === 6 ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}
