import { isIP } from 'node:net';

// A DNS name or an IPv4 address: labels of letters, digits, `-` and `_`, joined by dots.
const NAME = /^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/;
// `name`, `name:port`, `[v6]`, `[v6]:port`, as a Host header carries them.
const HOST_HEADER = /^(?:\[([0-9a-f:.]+)\]|([^[\]:]+))(?::\d{1,5})?$/;

/** Lower case, without the brackets of an IPv6 address or a final dot; undefined when invalid. */
function canonical(name: string): string | undefined {
  let text = name.trim().toLowerCase();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (isIP(text) === 6) return text;
  if (text.endsWith('.')) text = text.slice(0, -1);
  return text.length <= 253 && NAME.test(text) ? text : undefined;
}

/**
 * A host name as {@link hostNameOf} gives it: lower case, an IPv6 address without brackets, no
 * final dot.
 * @throws RangeError for something that is not a host name (one with a port included)
 */
export function normalizeHostName(name: unknown): string {
  const host = typeof name === 'string' ? canonical(name) : undefined;
  if (host === undefined) {
    throw new RangeError(
      `an allowed host must be a host name or an IP address without a port; got ${JSON.stringify(name)}`,
    );
  }
  return host;
}

/** The host name of a `Host` header (`"127.0.0.1:8080"` -> `"127.0.0.1"`), or undefined. */
export function hostNameOf(header: string): string | undefined {
  const match = HOST_HEADER.exec(header.trim().toLowerCase());
  if (match === null) return undefined;
  const v6 = match[1];
  if (v6 !== undefined) return isIP(v6) === 6 ? v6 : undefined;
  return canonical(match[2] ?? '');
}
