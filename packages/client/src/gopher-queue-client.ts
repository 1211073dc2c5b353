import { formatDuration, parseDuration } from '@gopherqueue/core';
import { HttpTransport, type Query } from './http-transport.js';
import type {
  BatchJob,
  ClaimRequest,
  ClientOptions,
  DurationInput,
  FailureInput,
  HeartbeatOptions,
  ListOptions,
  ReleaseOptions,
  RequestOptions,
  SubmitOptions,
} from './client-types.js';
import {
  BACKOFF_INPUT_FIELDS,
  DEBOUNCE_INPUT_FIELDS,
  fieldEntries,
  SUBMIT_FIELDS,
} from './job-fields.js';
import { SchedulesClient } from './schedules-client.js';
import type { BulkInput, WireBulkResult } from './bulk-types.js';
import type { LogsOptions, WireJobLogAppend, WireJobLogPage } from './job-log-types.js';
import { SseParser, type SseEvent } from './sse-parser.js';
import type {
  WireApiKey,
  WireAuditEntry,
  WireBatchResult,
  WireCreatedApiKey,
  WireEndResult,
  WireHeartbeatResult,
  WireJob,
  WireJobPage,
  WireJobResult,
  WireLeasedJob,
  WireQueue,
  WireQueueDetail,
  QueueUpdate,
  WireStats,
  WireWorker,
  WireWorkerList,
  WireWaitResult,
} from './wire-types.js';

/**
 * Longest single long-poll the client asks for: Node's fetch gives up on a response whose
 * headers take 300 s, so a longer wait is split by the caller (the answer says `timed_out`).
 */
export const MAX_CLIENT_WAIT_MS = 290_000;

/**
 * The submit body of one job: each option under its wire name from {@link SUBMIT_FIELDS}
 * (`scheduledAt` is the `runAt` option, `scheduled_at` on the wire), times as RFC 3339.
 */
function toSubmitBody(job: BatchJob): Record<string, unknown> {
  const body: Record<string, unknown> = { type: job.type };
  if (job.payload !== undefined) body.payload = job.payload;
  for (const [option, wire] of fieldEntries(SUBMIT_FIELDS)) {
    const value = option === 'runAt' ? job.scheduledAt : job[option as keyof BatchJob];
    if (value === undefined) continue;
    if (option === 'backoff') {
      const backoff: Record<string, unknown> = {};
      for (const [field, name] of fieldEntries(BACKOFF_INPUT_FIELDS)) {
        const given = job.backoff?.[field];
        if (given !== undefined) backoff[name] = given;
      }
      body[wire] = backoff;
    } else if (option === 'debounce' && job.debounce !== undefined) {
      const debounce: Record<string, unknown> = {};
      for (const [field, name] of fieldEntries(DEBOUNCE_INPUT_FIELDS)) {
        const given = job.debounce[field];
        if (given !== undefined) debounce[name] = given;
      }
      body[wire] = debounce;
    } else {
      body[wire] = value instanceof Date ? value.toISOString() : value;
    }
  }
  return body;
}

function capWait(value: DurationInput): string {
  return formatDuration(Math.min(parseDuration(value), MAX_CLIENT_WAIT_MS));
}

/**
 * A typed client of the GopherQueue HTTP API, for the CLI, remote workers and applications.
 * Every method resolves with the server's wire objects and rejects with {@link ApiError} when
 * the server answers with an error (network failures reject with fetch's own error).
 */
export class GopherQueueClient {
  readonly baseUrl: string;
  /** Recurring schedules. */
  readonly schedules: SchedulesClient;
  readonly #http: HttpTransport;

  /** @throws TypeError for a missing or non-http(s) baseUrl */
  constructor(options: ClientOptions) {
    if (typeof options?.baseUrl !== 'string' || !/^https?:\/\//i.test(options.baseUrl)) {
      throw new TypeError(
        `baseUrl must be an http(s) URL; got ${JSON.stringify(options?.baseUrl)}`,
      );
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#http = new HttpTransport(
      this.baseUrl,
      options.apiKey,
      options.fetch ?? globalThis.fetch.bind(globalThis),
    );
    this.schedules = new SchedulesClient(this.#http);
  }

  /** Submits a job: the new job, or the stored one (`deduplicated: true`) for a known key. */
  submit(type: string, payload?: unknown, options: SubmitOptions & RequestOptions = {}) {
    return this.#http.json<WireJob>('POST', '/api/v1/jobs', {
      body: toSubmitBody({ ...options, type, payload }),
      signal: options.signal,
    });
  }

  /** Submits up to 1000 jobs; with `atomic`, all or none. */
  submitBatch(jobs: BatchJob[], options: { atomic?: boolean } & RequestOptions = {}) {
    return this.#http.json<WireBatchResult>('POST', '/api/v1/jobs/batch', {
      body: { jobs: jobs.map(toSubmitBody), atomic: options.atomic ?? false },
      signal: options.signal,
    });
  }

  /** One job, payload included. */
  get(id: string, options: RequestOptions = {}) {
    return this.#http.json<WireJob>('GET', `/api/v1/jobs/${encodeURIComponent(id)}`, options);
  }

  /** One page of jobs, newest first; pass `next_cursor` as `cursor` for the next. */
  list(options: ListOptions = {}) {
    return this.#http.json<WireJobPage>('GET', '/api/v1/jobs', {
      query: listQuery(options),
      signal: options.signal,
    });
  }

  /** Cancels a job that has not finished. */
  cancel(id: string, options: { reason?: string; force?: boolean } & RequestOptions = {}) {
    return this.#http.json<WireJob>('POST', `${jobPath(id)}/cancel`, {
      body: { reason: options.reason ?? '', force: options.force ?? false },
      signal: options.signal,
    });
  }

  /** Runs a failed, dead-lettered or cancelled job again. */
  retry(id: string, options: { resetAttempts?: boolean } & RequestOptions = {}) {
    return this.#http.json<WireJob>('POST', `${jobPath(id)}/retry`, {
      body: { reset_attempts: options.resetAttempts ?? false },
      signal: options.signal,
    });
  }

  /** Deletes a job that is not running. */
  async delete(id: string, options: RequestOptions = {}): Promise<void> {
    await this.#http.request('DELETE', jobPath(id), options);
  }

  /** A finished job's result (`duration` in nanoseconds). */
  result(id: string, options: RequestOptions = {}) {
    return this.#http.json<WireJobResult>('GET', `${jobPath(id)}/result`, options);
  }

  /**
   * Waits until the job finishes or `timeout` passes (default 30 s; one call waits at most
   * {@link MAX_CLIENT_WAIT_MS}); the answer says `timed_out` when it did not finish.
   */
  wait(id: string, timeout: DurationInput = '30s', options: RequestOptions = {}) {
    return this.#http.json<WireWaitResult>('POST', `${jobPath(id)}/wait`, {
      body: { timeout: capWait(timeout) },
      signal: options.signal,
    });
  }

  /** Job counts by state and the server's workers. */
  stats(options: RequestOptions = {}) {
    return this.#http.json<WireStats>('GET', '/api/v1/stats', options);
  }

  /** The server's local pool and the remote workers it heard from recently. */
  async workers(options: RequestOptions = {}): Promise<WireWorker[]> {
    return (await this.#http.json<WireWorkerList>('GET', '/api/v1/workers', options)).workers;
  }

  /** Named queues with their counts. */
  async queues(options: RequestOptions = {}): Promise<WireQueue[]> {
    return (await this.#http.json<{ queues: WireQueue[] }>('GET', '/api/v1/queues', options))
      .queues;
  }

  /** One queue: its settings, counts and the state of its limits. */
  queue(name: string, options: RequestOptions = {}): Promise<WireQueueDetail> {
    return this.#http.json<WireQueueDetail>(
      'GET',
      `/api/v1/queues/${encodeURIComponent(name)}`,
      options,
    );
  }

  /**
   * Changes a queue's settings (`concurrency`, `rate`, `paused`); null clears a limit. The
   * next claim on every node obeys them.
   */
  updateQueue(
    name: string,
    update: QueueUpdate,
    options: RequestOptions = {},
  ): Promise<WireQueueDetail> {
    return this.#http.json<WireQueueDetail>('PATCH', `/api/v1/queues/${encodeURIComponent(name)}`, {
      ...options,
      body: update,
    });
  }

  /** Pauses a queue: its jobs are not claimed until resumed. */
  pauseQueue(name: string, options: RequestOptions = {}) {
    return this.#http.json<{ name: string; paused: boolean }>(
      'POST',
      `/api/v1/queues/${encodeURIComponent(name)}/pause`,
      options,
    );
  }

  /** Resumes a paused queue. */
  resumeQueue(name: string, options: RequestOptions = {}) {
    return this.#http.json<{ name: string; paused: boolean }>(
      'POST',
      `/api/v1/queues/${encodeURIComponent(name)}/resume`,
      options,
    );
  }

  /** One page of dead-lettered jobs. */
  deadLetter(options: Omit<ListOptions, 'state'> = {}) {
    return this.#http.json<WireJobPage>('GET', '/api/v1/dead-letter', {
      query: listQuery(options),
      signal: options.signal,
    });
  }

  /** Requeues a dead-lettered job (its attempts reset unless `resetAttempts: false`). */
  requeue(id: string, options: { resetAttempts?: boolean } & RequestOptions = {}) {
    return this.#http.json<WireJob>(
      'POST',
      `/api/v1/dead-letter/${encodeURIComponent(id)}/requeue`,
      {
        body: options.resetAttempts === undefined ? {} : { reset_attempts: options.resetAttempts },
        signal: options.signal,
      },
    );
  }

  /** Deletes dead-lettered jobs (older than `olderThan`, default all); resolves with how many. */
  async purgeDeadLetter(options: { olderThan?: DurationInput } & RequestOptions = {}) {
    const answer = await this.#http.json<{ purged: number }>('POST', '/api/v1/dead-letter/purge', {
      body: options.olderThan === undefined ? {} : { older_than: options.olderThan },
      signal: options.signal,
    });
    return answer.purged;
  }

  /** Creates an API key; the answer's `key` is shown this once. */
  createKey(input: { name: string; role: string; queues?: string[] } & RequestOptions) {
    const { signal, ...body } = input;
    return this.#http.json<WireCreatedApiKey>('POST', '/api/v1/keys', { body, signal });
  }

  /** Every API key (never the keys themselves). */
  async listKeys(options: RequestOptions = {}): Promise<WireApiKey[]> {
    return (await this.#http.json<{ keys: WireApiKey[] }>('GET', '/api/v1/keys', options)).keys;
  }

  /** Revokes an API key. */
  async revokeKey(id: string, options: RequestOptions = {}): Promise<void> {
    await this.#http.request('DELETE', `/api/v1/keys/${encodeURIComponent(id)}`, options);
  }

  /** One page of the audit log, newest first. */
  audit(options: { limit?: number; cursor?: string } & RequestOptions = {}) {
    return this.#http.json<{ entries: WireAuditEntry[]; next_cursor?: string }>(
      'GET',
      '/api/v1/audit',
      {
        query: { limit: options.limit, cursor: options.cursor },
        signal: options.signal,
      },
    );
  }

  /** Claims up to `limit` jobs with a lease, long-polling up to `wait` when none is ready. */
  async claim(request: ClaimRequest): Promise<WireLeasedJob[]> {
    const body: Record<string, unknown> = { worker_id: request.workerId };
    if (request.types !== undefined) body.types = request.types;
    if (request.queues !== undefined) body.queues = request.queues;
    if (request.limit !== undefined) body.limit = request.limit;
    if (request.lease !== undefined) body.lease = request.lease;
    if (request.wait !== undefined) body.wait = capWait(request.wait);
    if (request.host !== undefined) body.host = request.host;
    if (request.concurrency !== undefined) body.concurrency = request.concurrency;
    if (request.ahead === true) body.ahead = true;
    const answer = await this.#http.json<{ jobs: WireLeasedJob[] }>(
      'POST',
      '/api/v1/workers/claim',
      {
        body,
        signal: request.signal,
      },
    );
    return answer.jobs;
  }

  /** Retries, cancels or deletes the jobs a filter matches (a page at a time) or the given ids. */
  bulk(input: BulkInput) {
    const { action, limit, cursor, reason, resetAttempts, signal } = input;
    const body: Record<string, unknown> = { action };
    if (input.ids !== undefined) body.ids = input.ids;
    if (input.filter !== undefined) body.filter = input.filter;
    if (limit !== undefined) body.limit = limit;
    if (cursor !== undefined) body.cursor = cursor;
    if (reason !== undefined) body.reason = reason;
    if (resetAttempts !== undefined) body.reset_attempts = resetAttempts;
    return this.#http.json<WireBulkResult>('POST', '/api/v1/jobs/bulk', { body, signal });
  }

  /** A page of a job's log lines (what its handlers wrote through `ctx.logger`). */
  logs(id: string, options: LogsOptions = {}) {
    const query: Record<string, string> = {};
    if (options.attempt !== undefined) query.attempt = String(options.attempt);
    if (options.after !== undefined) query.after = options.after;
    if (options.limit !== undefined) query.limit = String(options.limit);
    return this.#http.json<WireJobLogPage>('GET', `${jobPath(id)}/logs`, {
      query,
      signal: options.signal,
    });
  }

  /** Sends the log lines of leased jobs' attempts (a remote worker's handlers wrote them). */
  appendLogs(entries: WireJobLogAppend[], options: RequestOptions = {}) {
    return this.#http.json<{ accepted: number }>('POST', '/api/v1/workers/logs', {
      body: { entries },
      signal: options.signal,
    });
  }

  /** Extends a lease and saves checkpoint and progress. Rejects with `lease_lost` (409). */
  heartbeat(id: string, leaseToken: string, options: HeartbeatOptions = {}) {
    const body: Record<string, unknown> = { lease_token: leaseToken };
    if (options.lease !== undefined) body.lease = options.lease;
    if (options.checkpoint !== undefined) body.checkpoint = options.checkpoint;
    if (options.progress !== undefined) body.progress = options.progress;
    if (options.progressMessage !== undefined) body.progress_message = options.progressMessage;
    return this.#http.json<WireHeartbeatResult>('POST', `${jobPath(id)}/heartbeat`, {
      body,
      signal: options.signal,
    });
  }

  /** Completes a leased job with its result. Rejects with `lease_lost` (409). */
  complete(id: string, leaseToken: string, result: unknown, options: RequestOptions = {}) {
    return this.#http.json<WireJob>('POST', `${jobPath(id)}/complete`, {
      body: { lease_token: leaseToken, result: result ?? null },
      signal: options.signal,
    });
  }

  /**
   * Completes several leased jobs in one request (up to 1000); each end's answer comes back in
   * order, `ok` or with the code the single {@link GopherQueueClient.complete} would throw.
   */
  async completeMany(
    ends: readonly { id: string; leaseToken: string; result: unknown }[],
    options: RequestOptions = {},
  ): Promise<WireEndResult[]> {
    const answer = await this.#http.json<{ results: WireEndResult[] }>(
      'POST',
      '/api/v1/workers/complete',
      {
        body: {
          ends: ends.map((end) => ({
            id: end.id,
            lease_token: end.leaseToken,
            result: end.result ?? null,
          })),
        },
        signal: options.signal,
      },
    );
    return answer.results;
  }

  /** Fails a leased job; the server's retry policy decides where it goes. */
  fail(
    id: string,
    leaseToken: string,
    error: FailureInput,
    options: { permanent?: boolean } & RequestOptions = {},
  ) {
    return this.#http.json<WireJob>('POST', `${jobPath(id)}/fail`, {
      body: { lease_token: leaseToken, error, permanent: options.permanent ?? false },
      signal: options.signal,
    });
  }

  /**
   * Gives a leased job back: it goes to `scheduled` (after `delay`) without spending the attempt,
   * as a worker shutting down does. Rejects with `lease_lost` (409).
   */
  release(id: string, leaseToken: string, options: ReleaseOptions = {}) {
    const body: Record<string, unknown> = { lease_token: leaseToken };
    if (options.delay !== undefined) body.delay = options.delay;
    return this.#http.json<WireJob>('POST', `${jobPath(id)}/release`, {
      body,
      signal: options.signal,
    });
  }

  /** `/health`: overall status and each component's. */
  health(options: RequestOptions = {}) {
    return this.#http.json<Record<string, unknown>>('GET', '/health', options);
  }

  /** `/ready`: true when the server is ready (false on 503). */
  async ready(options: RequestOptions = {}): Promise<boolean> {
    const res = await this.#http.raw('GET', '/ready', options);
    await res.body?.cancel();
    return res.ok;
  }

  /** `/metrics` in Prometheus text. */
  async metrics(options: RequestOptions = {}): Promise<string> {
    const res = await this.#http.request('GET', '/metrics', { ...options, accept: 'text/plain' });
    return res.text();
  }

  /**
   * The server's event stream (`connected` first, then `job.created` ... `job.deleted`): of one
   * job with `jobId`, or of the jobs the remote worker `workerId` holds through the lease API
   * (what a worker watches to learn at once that one was cancelled). Stops when `signal` aborts
   * or the caller leaves the loop.
   */
  async *events(
    options: { jobId?: string; workerId?: string } & RequestOptions = {},
  ): AsyncGenerator<SseEvent> {
    const res = await this.#http.request('GET', '/api/v1/events', {
      query: { job_id: options.jobId, worker_id: options.workerId },
      signal: options.signal,
      accept: 'text/event-stream',
    });
    if (res.body === null) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield* parser.push(value);
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
}

function jobPath(id: string): string {
  return `/api/v1/jobs/${encodeURIComponent(id)}`;
}

function listQuery(options: ListOptions): Query {
  const tag =
    options.tag === undefined
      ? undefined
      : typeof options.tag === 'string'
        ? options.tag
        : `${options.tag.key}:${options.tag.value}`;
  return {
    state: options.state,
    type: options.type,
    queue: options.queue,
    priority: options.priority,
    tag,
    depends_on: options.dependsOn,
    limit: options.limit,
    cursor: options.cursor,
  };
}
