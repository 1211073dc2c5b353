import type { BackoffInput, ErrorClass, JobState } from '@gopherqueue/core';

/** Options of {@link GopherQueueClient}. */
export interface ClientOptions {
  /** The server, e.g. `http://127.0.0.1:8080` (a trailing slash is fine). */
  baseUrl: string;
  /** Sent as `X-API-Key`. @defaultValue none */
  apiKey?: string;
  /** @defaultValue `globalThis.fetch` */
  fetch?: typeof fetch;
}

/** Per-call options. */
export interface RequestOptions {
  /** Aborts the request. */
  signal?: AbortSignal;
}

/** A duration as the API takes it: `"30s"`, `"1h30m"` or milliseconds. */
export type DurationInput = string | number;

/** What a submitted job may set besides its type and payload (camelCase; sent as snake_case). */
export interface SubmitOptions {
  /** 0..4 or `critical`, `high`, `normal`, `low`, `bulk`. */
  priority?: number | string;
  delay?: DurationInput;
  /** Not before this time. */
  scheduledAt?: Date | string;
  timeout?: DurationInput;
  maxAttempts?: number;
  idempotencyKey?: string;
  correlationId?: string;
  /**
   * W3C `traceparent` of the trace the job joins. @defaultValue the request's: the active
   * OpenTelemetry span's, if any
   */
  traceparent?: string;
  /** The job's key for per-key limits (a customer id): 1..128 of letters, digits, `_.:-/@+=`. */
  group?: string;
  tags?: Record<string, string>;
  queue?: string;
  dependsOn?: string[];
  /** Retry backoff; durations as `"1s"` or ms (`initial`, `max`) or in ms (`initialMs`, `maxMs`). */
  backoff?: BackoffInput;
  /** Retry only failures whose error name or class is listed (at most 32 of 1..200 characters). */
  retryOn?: string[];
  /** Never retry failures whose error name or class is listed. */
  noRetryOn?: string[];
  /**
   * While the window holds (`until`: `'started'`, `'finished'`, the default, or a duration after
   * the first submit; a string), a submit with this key in the queue returns the existing job (200).
   */
  unique?: { key: string; until?: DurationInput };
  /**
   * A submit with this key while the earlier job waits replaces its payload and puts it off to
   * now + `wait`, at most to its first submit + `maxWait`.
   */
  debounce?: { key: string; wait: DurationInput; maxWait?: DurationInput };
  /** Not started within this long, the job is cancelled as `expired`. */
  ttl?: DurationInput;
  /** Not started by this time, the job is cancelled as `expired`. */
  expiresAt?: Date | string;
}

/** One job of a batch. */
export interface BatchJob extends SubmitOptions {
  type: string;
  payload?: unknown;
}

/** Filters of {@link GopherQueueClient.list}. */
export interface ListOptions extends RequestOptions {
  state?: JobState;
  type?: string;
  queue?: string;
  priority?: number | string;
  /** `"key:value"` or `{ key, value }`. */
  tag?: string | { key: string; value: string };
  /** Only the dependents of this job: those whose `dependsOn` lists it. */
  dependsOn?: string;
  limit?: number;
  cursor?: string;
}

/** Options of {@link GopherQueueClient.claim}. */
export interface ClaimRequest extends RequestOptions {
  workerId: string;
  types?: string[];
  queues?: string[];
  /** @defaultValue 1 */
  limit?: number;
  /** Lease length. @defaultValue the server's (30 s) */
  lease?: DurationInput;
  /** Long-poll up to this long when no job is ready. @defaultValue 0 */
  wait?: DurationInput;
  /** This machine's name, listed by `GET /api/v1/workers`. @defaultValue the peer address */
  host?: string;
  /** Handlers this worker runs at once, listed and summed in the stats. @defaultValue unsaid */
  concurrency?: number;
  /**
   * Jobs to hold until a slot frees: the claim passes over limited and ordered queues, and
   * never waits. @defaultValue false
   */
  ahead?: boolean;
}

/** Options of {@link GopherQueueClient.heartbeat}. */
export interface HeartbeatOptions extends RequestOptions {
  lease?: DurationInput;
  checkpoint?: unknown;
  progress?: number | Record<string, unknown>;
  progressMessage?: string;
}

/** Options of {@link GopherQueueClient.release}. */
export interface ReleaseOptions extends RequestOptions {
  /** Run again no sooner than this. @defaultValue 0 (at once) */
  delay?: DurationInput;
}

/** The error a remote worker reports with {@link GopherQueueClient.fail}. */
export interface FailureInput {
  message: string;
  /** What kind of failure; `lease_expired` is recovery's own. @defaultValue `'error'` */
  class?: Exclude<ErrorClass, 'lease_expired'>;
  name?: string;
  stack?: string;
  /** Wait this long before the next attempt instead of the job's backoff (`"10s"` or ms). */
  retry_after?: DurationInput;
}
