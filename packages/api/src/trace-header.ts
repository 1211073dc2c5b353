import { isTraceparent } from '@gopherqueue/core';
import type { Context } from 'hono';

/**
 * The request's W3C `traceparent` header when it is valid, else undefined: as the W3C Trace
 * Context rules say, a receiver ignores a malformed header rather than refusing the request.
 */
export function requestTraceparent(c: Context): string | undefined {
  const value = c.req.header('traceparent')?.trim().toLowerCase();
  return isTraceparent(value) ? value : undefined;
}
