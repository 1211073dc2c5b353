import { randomUUID } from 'node:crypto';
import { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ApiEnv } from './env.js';
import { errorResponse, HttpError } from './errors.js';
import type { ResolvedApiOptions } from './options.js';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The node response of a request served by `@hono/node-server` (its bindings are
 * `{ incoming, outgoing }`); undefined under `app.request()`.
 */
export function nodeResponseOf(c: Context): ServerResponse | undefined {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return outgoing instanceof ServerResponse ? outgoing : undefined;
}

/**
 * Gives every request its id (the caller's `X-Request-ID` when it is sane, else a new UUID) and
 * the resolved options, answers with `X-Request-ID`, and logs the request at debug level.
 *
 * Served by `@hono/node-server`, the id goes straight onto the node response, which merges it into
 * whatever the handler answers: hono then builds its responses from plain header objects, which
 * the server writes without building a `Headers` first.
 */
export function requestContext(options: ResolvedApiOptions): MiddlewareHandler<ApiEnv> {
  const { logger } = options;
  return async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const id = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set('requestId', id);
    c.set('options', options);
    const outgoing = nodeResponseOf(c);
    if (outgoing === undefined) c.header('X-Request-ID', id);
    else outgoing.setHeader('x-request-id', id);
    const started = performance.now();
    await next();
    if (outgoing === undefined && !c.res.headers.has('X-Request-ID')) {
      c.res.headers.set('X-Request-ID', id);
    }
    logger.debug('request', {
      requestId: id,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    });
  };
}

/**
 * Hono's `bodyLimit` answering `payload_too_large`, without its cost on the common path: a GET or
 * HEAD has no body, and a declared `Content-Length` (without `Transfer-Encoding`) is judged from
 * the header alone, as `bodyLimit` does, but without building the request's web `Request` and
 * body stream. Anything else goes through `bodyLimit` itself.
 */
export function limitBody(limitBytes: number): MiddlewareHandler<ApiEnv> {
  const onError = (c: Context): Response =>
    errorResponse(
      c,
      new HttpError('payload_too_large', `request body exceeds ${limitBytes} bytes`, {
        limit_bytes: limitBytes,
      }),
    );
  const limit = bodyLimit({ maxSize: limitBytes, onError });
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (parseInt(length || '0', 10) > limitBytes) return onError(c);
      return next();
    }
    return limit(c, next);
  };
}
