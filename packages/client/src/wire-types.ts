/**
 * The HTTP API's wire format: snake_case, times as RFC 3339 strings, the original GopherQueue's
 * field names kept and new ones added. Shared by the server (`@gopherqueue/api`) and the typed client.
 */
import type { JobState, Json } from '@gopherqueue/core';

/** One failed attempt, as the API shows it. */
export interface WireJobError {
  attempt: number;
  message: string;
  /** `error`, `permanent`, `timeout`, `lease_expired`, `unknown_type`, `panic` or `sandbox_crashed`. */
  class: string;
  name?: string;
  stack?: string;
  /** The wait before the next attempt that the error asked for, in ms. */
  retry_after_ms?: number;
  at: string;
}

/** One state a job entered, as the API shows it. */
export interface WireJobTransition {
  state: JobState;
  at: string;
  /** The job's attempt after the change (a claim counts the attempt it starts). */
  attempt: number;
}

/** Retry backoff as the API shows it (durations in milliseconds). */
export interface WireBackoff {
  strategy: 'exponential' | 'linear' | 'constant';
  initial_ms: number;
  max_ms: number;
  multiplier: number;
  jitter: boolean;
}

/** A job's unique key as the API shows it (`until` a duration in milliseconds, or a word). */
export interface WireUnique {
  key: string;
  until: 'started' | 'finished' | number;
}

/** A job's debounce as the API shows it (durations in milliseconds). */
export interface WireDebounce {
  key: string;
  wait_ms: number;
  max_wait_ms: number;
}

/** A job as the API returns it: the original's fields, then the new ones. */
export interface WireJob {
  id: string;
  type: string;
  state: JobState;
  priority: number;
  attempt: number;
  max_attempts: number;
  progress: Json;
  progress_message?: string;
  tags: Record<string, string>;
  /** Only failures whose error name or class is listed retry. */
  retry_on?: string[];
  /** Failures whose error name or class is listed never retry. */
  no_retry_on?: string[];
  created_at: string;
  updated_at: string;
  scheduled_at?: string;
  started_at?: string;
  completed_at?: string;
  last_error?: string;
  payload: Json;
  queue: string;
  depends_on: string[];
  waiting_on: string[];
  checkpoint?: Json;
  errors: WireJobError[];
  /**
   * Every state the job entered, oldest first: its submit's, then the latest (50 at most: the
   * first and the latest 49). Absent on a job stored before the server recorded them.
   */
  transitions?: WireJobTransition[];
  result?: Json;
  timeout_ms: number;
  backoff: WireBackoff;
  idempotency_key?: string;
  correlation_id?: string;
  traceparent?: string;
  /** Its key for per-key limits (a queue's `group_concurrency`, `ordered`). */
  group?: string;
  /** Why it was cancelled: an operator's reason, `dependency_failed`, or `expired`. */
  cancel_reason?: string;
  unique?: WireUnique;
  debounce?: WireDebounce;
  /** Not started by then, the job is cancelled as `expired`. */
  expires_at?: string;
  worker_id?: string;
  /**
   * Why a job that could run now is not running: `no_handler` when no worker this server knows
   * has a handler for its type; on one job read by id, also `queue_paused`, `queue_concurrency`
   * (as many of its queue's jobs run as the queue allows), `queue_rate` (the queue's rate
   * allows no start now) or `group_concurrency` (its group key is at the queue's per-key limit,
   * or, in an ordered queue, an earlier job of its key has not finished). Absent otherwise (and on events, which carry the job as changed).
   */
  waiting_reason?: string;
  /** Only on a submit that matched a stored idempotency, unique or debounce key. */
  deduplicated?: boolean;
  /** With `deduplicated`: `unique` or `debounce` (absent for an idempotency key). */
  deduplicated_by?: 'unique' | 'debounce';
}

/** The answer to one end of `POST /api/v1/workers/complete`, in the order sent. */
export type WireEndResult =
  { id: string; ok: true } | { id: string; ok: false; error: { code: string; message: string } };

/** A job handed to a remote worker by a claim: the job plus its lease. */
export interface WireLeasedJob extends WireJob {
  lease_token: string;
  lease_expires_at: string;
}

/** `GET /api/v1/jobs/:id/result`, in the original's shape (`duration` in nanoseconds). */
export interface WireJobResult {
  job_id: string;
  success: boolean;
  output?: Json;
  error?: string;
  error_category?: string;
  duration: number;
  completed_at?: string;
}

/** `GET|POST /api/v1/jobs/:id/wait`. */
export interface WireWaitResult {
  id: string;
  state: JobState;
  completed: boolean;
  success: boolean;
  result?: WireJobResult;
  timed_out: boolean;
}

/** One entry of a batch answer. */
export interface WireBatchItem {
  index: number;
  success: boolean;
  job?: WireJob;
  error?: string;
}

/** `POST /api/v1/jobs/batch`. */
export interface WireBatchResult {
  total: number;
  accepted: number;
  rejected: number;
  results: WireBatchItem[];
}

/** A page of jobs (`GET /api/v1/jobs`, `GET /api/v1/dead-letter`). */
export interface WireJobPage {
  jobs: WireJob[];
  /** Jobs on this page (the original's field). */
  count: number;
  /** All jobs matching the filter, when it can be known without a scan. */
  total?: number;
  next_cursor?: string;
}

/** Job counts by state, in the original's shape plus `retrying`. */
export interface WireQueueStats {
  pending: number;
  scheduled: number;
  running: number;
  delayed: number;
  retrying: number;
  completed: number;
  failed: number;
  dead_letter: number;
  cancelled: number;
  total_jobs: number;
  storage_bytes: number;
  timestamp: string;
}

/** Busy and total handler slots. */
export interface WireWorkerSlots {
  busy: number;
  concurrency: number;
}

/**
 * The workers of `GET /api/v1/stats`: `busy` and `concurrency` add up the local pool and the
 * remote workers listed by `GET /api/v1/workers`, shown apart in `local` and `remote`.
 */
export interface WireWorkerStats extends WireWorkerSlots {
  /** The pool of this server; null without one. */
  local: WireWorkerSlots | null;
  /**
   * The `gq work` processes seen recently: how many, the jobs they hold, and their slots (the
   * concurrency each said in its claims, or the jobs it holds when it said none).
   */
  remote: WireWorkerSlots & { workers: number };
}

/** `GET /api/v1/stats`. */
export interface WireStats {
  queue: WireQueueStats;
  workers: WireWorkerStats;
}

/** One worker of `GET /api/v1/workers`. */
export interface WireWorker {
  id: string;
  /** `local`: the pool of this server; `remote`: a `gq work` (or any client of the lease API). */
  kind: 'local' | 'remote';
  /** The machine's name: the one a remote worker sent in its claims, else its address. */
  host: string;
  /** The peer address of a remote worker's last claim. */
  address?: string;
  /** Types it claims; null: every type. */
  types: string[] | null;
  /** Queues it claims from; null: every queue. */
  queues: string[] | null;
  /** Handlers it runs at once; null when a remote worker did not say. */
  concurrency: number | null;
  /** Jobs it holds now (`jobs.length`). */
  busy: number;
  /** The ids of the jobs it holds now. */
  jobs: string[];
  /** Its last request (now for the local pool, or a remote worker waiting on a claim). */
  last_seen_at: string;
}

/** `GET /api/v1/workers`. */
export interface WireWorkerList {
  workers: WireWorker[];
}

/** One named queue of `GET /api/v1/queues`. */
export interface WireQueue {
  name: string;
  paused: boolean;
  /** At most this many of its jobs running at once, across every node; null: no limit. */
  concurrency: number | null;
  /** At most N starts per duration (`"100/1s"`), in any window of it; null: no limit. */
  rate: string | null;
  /** At most this many running jobs per group key; null: no limit. */
  group_concurrency: number | null;
  /** Strict FIFO per group key: one running job per key, whatever group_concurrency says. */
  ordered: boolean;
  /** One priority level gained per this duration waited (`"5m"`); null: strict priority. */
  aging: string | null;
  counts: Record<JobState, number>;
  total: number;
}

/** A group key at its queue's per-key limit. */
export interface WireGroupAtLimit {
  group: string;
  running: number;
}

/** `GET` and `PATCH /api/v1/queues/:name`: a queue with the state of its limits. */
export interface WireQueueDetail extends WireQueue {
  /** Its jobs running now. */
  running: number;
  /** Its jobs waiting to run: pending, scheduled, delayed and retrying. */
  waiting: number;
  /** Starts its rate allows now; null without a rate. */
  rate_remaining: number | null;
  /** When its rate allows the next start, when it allows none now; else null. */
  next_start_at: string | null;
  /** When its longest-waiting job (runnable, its time come) became due; null when none is. */
  oldest_waiting_at: string | null;
  /** How long that job has been waiting, in ms; null when none is. */
  oldest_waiting_ms: number | null;
  /** With a per-key limit: the keys at it, by key (at most 100); else an empty list. */
  groups_at_limit: WireGroupAtLimit[];
}

/** The body of `PATCH /api/v1/queues/:name`: given fields change, null clears a limit. */
export interface QueueUpdate {
  paused?: boolean;
  /** An integer 1..100000, or null for no limit. */
  concurrency?: number | null;
  /** `"N/DURATION"`: N 1..1,000,000, the duration 1ms..1h (`"100/1s"`); null for no limit. */
  rate?: string | null;
  /** An integer 1..100000 running jobs per group key, or null for no limit. */
  group_concurrency?: number | null;
  /** Strict FIFO per group key: one running job per key whatever group_concurrency says. */
  ordered?: boolean;
  /** A duration 1s..24h (`"5m"`): one priority level gained per step waited; null: none. */
  aging?: string | null;
}

/** An API key as listed (never the key itself). */
export interface WireApiKey {
  id: string;
  name: string;
  role: string;
  queues?: string[];
  created_at: string;
  last_used_at?: string;
  revoked_at?: string;
}

/** `POST /api/v1/keys`: the record plus the key, shown this once. */
export interface WireCreatedApiKey extends WireApiKey {
  key: string;
}

/** One audit log entry. */
export interface WireAuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target?: string;
  /** The queues the action concerns; absent when it concerns every queue or none. */
  queues?: string[];
  details?: Record<string, unknown>;
}

/** `POST /api/v1/jobs/:id/heartbeat`. */
export interface WireHeartbeatResult {
  id: string;
  state: JobState;
  lease_expires_at: string;
}

/** The error envelope of every failed request. */
export interface WireError {
  error: { code: string; message: string; details?: Record<string, unknown> };
}
