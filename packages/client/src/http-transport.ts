import { activeTraceparent } from '@gopherqueue/core';
import { ApiError, parseRetryAfter } from './api-error.js';
import type { WireError } from './wire-types.js';

/** Query parameters; undefined ones are left out. */
export type Query = Record<string, string | number | undefined>;

/** What one call sends. */
export interface CallInit {
  body?: unknown;
  query?: Query;
  signal?: AbortSignal | undefined;
  accept?: string;
}

/** The HTTP plumbing of the client: headers, JSON, and error answers as {@link ApiError}. */
export class HttpTransport {
  readonly baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(baseUrl: string, apiKey: string | undefined, fetchFn: typeof fetch) {
    this.baseUrl = baseUrl;
    this.#apiKey = apiKey;
    this.#fetch = fetchFn;
  }

  /**
   * Sends a request without reading the answer (for `/ready`, whatever its status).
   * @throws TypeError `fetch failed: <why>` when no answer came, its `cause` the network error
   * (`code` `ECONNREFUSED`, ...); an aborted request rejects with the signal's reason.
   */
  async raw(method: string, path: string, init: CallInit = {}): Promise<Response> {
    try {
      return await this.#fetch(this.#url(path, init.query), this.#init(method, init));
    } catch (err) {
      throw withCauseInMessage(err);
    }
  }

  /**
   * Sends a request; resolves with a 2xx response, rejects with {@link ApiError} otherwise (its
   * `retryAfterMs` from the answer's `Retry-After`).
   */
  async request(method: string, path: string, init: CallInit = {}): Promise<Response> {
    const res = await this.raw(method, path, init);
    if (res.ok) return res;
    const text = await res.text();
    let envelope: Partial<WireError> | undefined;
    try {
      envelope = JSON.parse(text) as Partial<WireError>;
    } catch {
      envelope = undefined;
    }
    const error = envelope?.error;
    throw new ApiError(
      res.status,
      error?.code ?? `http_${res.status}`,
      error?.message ?? (text === '' ? res.statusText : text.slice(0, 200)),
      error?.details ?? {},
      parseRetryAfter(res.headers.get('retry-after')),
    );
  }

  /** Sends a request and parses the JSON answer. */
  async json<T>(method: string, path: string, init: CallInit = {}): Promise<T> {
    const res = await this.request(method, path, init);
    return (await res.json()) as T;
  }

  #url(path: string, query: Query | undefined): URL {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  #init(method: string, init: CallInit): RequestInit {
    const headers: Record<string, string> = { Accept: init.accept ?? 'application/json' };
    if (this.#apiKey !== undefined) headers['X-API-Key'] = this.#apiKey;
    // The caller's active OpenTelemetry span, so jobs it submits join its trace (none without an
    // SDK registered).
    const traceparent = activeTraceparent();
    if (traceparent !== undefined) headers.traceparent = traceparent;
    const request: RequestInit = { method, headers };
    if (init.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      request.body = JSON.stringify(init.body);
    }
    if (init.signal !== undefined) request.signal = init.signal;
    return request;
  }
}

/**
 * fetch rejects with a bare `fetch failed` and keeps why in `cause`, which logs and one-line
 * errors leave out; the message gets it (`fetch failed: connect ECONNREFUSED 127.0.0.1:8080`).
 */
function withCauseInMessage(err: unknown): unknown {
  if (!(err instanceof TypeError) || err.message !== 'fetch failed' || err.cause === undefined) {
    return err;
  }
  return new TypeError(`fetch failed: ${describeCause(err.cause)}`, { cause: err.cause });
}

/** A network error in words; an AggregateError (every address of a name refused) lists each. */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const errors = (cause as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return [...new Set(errors.map(describeCause))].join('; ');
  }
  const code = (cause as { code?: unknown }).code;
  if (cause.message !== '') return cause.message;
  return typeof code === 'string' ? code : cause.name;
}
