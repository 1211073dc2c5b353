import type { MiddlewareHandler } from 'hono';
import { isLoopback, keyOf } from './auth.js';
import type { ApiContext, ApiEnv } from './env.js';
import { HttpError } from './errors.js';
import { hostNameOf } from './host-name.js';
import type { ResolvedApiOptions } from './options.js';

/** Routes a load balancer or an orchestrator probes, under any name: they only read. */
const PROBES = new Set(['/live', '/ready']);

// `application/json` or a structured `+json` type, any parameters after `;`.
const JSON_TYPE = /^application\/(?:json|[a-z0-9!#$&^_.+-]+\+json)\s*(?:;.*)?$/is;

/** True when a `Content-Type` names JSON (`application/json`, `application/*+json`). */
export function isJsonMediaType(contentType: string): boolean {
  return JSON_TYPE.test(contentType.trim());
}

/** True for `localhost`, a loopback address, or a name of `options.allowedHosts`. */
function isAllowedHost(options: ResolvedApiOptions, header: string): boolean {
  const name = hostNameOf(header);
  if (name === undefined) return false;
  return name === 'localhost' || isLoopback(name) || options.hostNames.has(name);
}

/**
 * With `anyHostWithKey`, the Host only guards keyless trust: a request that must show a key (it
 * carries one, or comes from beyond loopback, where none is trusted without) may name any host,
 * and a remote caller without a key hears that it needs one (401) rather than about its Host.
 */
function mayNameAnyHost(c: ApiContext, options: ResolvedApiOptions): boolean {
  if (!options.anyHostWithKey) return false;
  return keyOf(c) !== undefined || !isLoopback(options.getRemoteAddress?.(c));
}

/**
 * What shows that a web page of another origin sent the request: a `Sec-Fetch-Site` other than
 * `same-origin` or `none` (a page of another port of the same host is `same-site`, and another
 * origin), or an `Origin` other than this server's own (`http(s)://` + the request's `Host`).
 */
function crossOriginSignal(
  c: ApiContext,
  host: string | undefined,
): { sec_fetch_site: string } | { origin: string } | undefined {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { sec_fetch_site: site };
  }
  const origin = c.req.header('origin');
  if (origin === undefined) return undefined;
  const own = host?.trim().toLowerCase();
  const from = origin.trim().toLowerCase();
  return own !== undefined && (from === `http://${own}` || from === `https://${own}`)
    ? undefined
    : { origin };
}

/**
 * The refusal of a request with a body that is not JSON. A request without `Content-Type` and
 * without a body (`curl -X POST`) passes; every other request declares JSON.
 */
function mediaTypeRefusal(c: ApiContext): HttpError | undefined {
  const method = c.req.method;
  if (method === 'GET' || method === 'HEAD') return undefined;
  const type = c.req.header('content-type');
  if (type === undefined) {
    const length = c.req.header('content-length');
    const hasBody =
      c.req.header('transfer-encoding') !== undefined ||
      (length !== undefined && parseInt(length, 10) > 0);
    if (!hasBody) return undefined;
    return new HttpError(
      'unsupported_media_type',
      'request bodies must be JSON (Content-Type: application/json); got no Content-Type',
    );
  }
  if (isJsonMediaType(type)) return undefined;
  return new HttpError(
    'unsupported_media_type',
    `request bodies must be JSON (Content-Type: application/json); got ${type}`,
    { content_type: type },
  );
}

/**
 * Keeps web pages and DNS rebinding away from the server, in every auth mode but `off`, on every
 * route but `/live` and `/ready`:
 * - a request a browser sent for a page of another origin is refused (403), key or not, so a
 *   page open in a local browser can never drive the server; a same-origin page (a dashboard
 *   served by the server itself) is let through;
 * - a request whose `Host` is not `localhost`, a loopback address or an allowed host is refused
 *   (403), so a name an attacker points at 127.0.0.1 gets nothing; with `anyHostWithKey`, only
 *   a request that would be trusted without a key is held to that (the key is verified later);
 * - a request body must be JSON (415): a page can send `text/plain`, forms and blobs without
 *   asking, but JSON only through a CORS preflight, which this server never grants.
 * The server sends no CORS headers at all, so no preflight succeeds.
 * @throws HttpError `forbidden` or `unsupported_media_type`
 */
export function guardRequest(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const options = c.get('options');
    if (options.auth === 'off' || PROBES.has(c.req.path)) return next();
    const host = c.req.header('host');
    const signal = crossOriginSignal(c, host);
    if (signal !== undefined) {
      const shown =
        'origin' in signal
          ? `Origin: ${signal.origin}`
          : `Sec-Fetch-Site: ${signal.sec_fetch_site}`;
      throw new HttpError(
        'forbidden',
        `a web page of another origin may not use this server (${shown})`,
        signal,
      );
    }
    // A request without Host (HTTP/1.0) cannot come from a browser.
    if (host !== undefined && !isAllowedHost(options, host) && !mayNameAnyHost(c, options)) {
      throw new HttpError(
        'forbidden',
        `Host ${JSON.stringify(host)} is not a name of this server (allow it with --allowed-hosts)`,
        { host },
      );
    }
    const refusal = mediaTypeRefusal(c);
    if (refusal !== undefined) throw refusal;
    return next();
  };
}
