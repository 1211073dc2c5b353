import { hostname } from 'node:os';
import {
  ApiError,
  ApiErrorCode,
  fromWireJob,
  isConnectionError,
  type GopherQueueClient,
  type HeartbeatOptions,
  type WireEndResult,
} from '@gopherqueue/client';
import {
  ErrorCode,
  GqError,
  noopLogger,
  systemClock,
  type Clock,
  type FailOutcome,
  type FailureReport,
  type Job,
  type JobLogAppend,
  type Json,
  type Logger,
} from '@gopherqueue/core';
import { JobChangeStream } from './job-change-stream.js';
import { sleep } from './sleep.js';
import type { JobChange, LeaseRenewal, WorkRequest, WorkSource } from './work-source.js';

/** Options of {@link HttpWorkSource}. */
export interface HttpWorkSourceOptions {
  /** A client of the server to pull jobs from (its key needs the `worker` role or more). */
  client: GopherQueueClient;
  /** How long one claim long-polls the server when no job is ready. @defaultValue 30_000 */
  pollMs?: number;
  /** This machine's name, sent with claims and listed by `GET /api/v1/workers`. @defaultValue os.hostname() */
  host?: string;
  /** Tries of an end report (complete, fail, release) that reached no server. @defaultValue 5 */
  reportTries?: number;
  /** Wait between two tries of an end report. @defaultValue 1_000 */
  reportRetryMs?: number;
  /** @defaultValue systemClock */
  clock?: Clock;
  /** @defaultValue noopLogger */
  logger?: Logger;
}

/** Most jobs one claim of the lease API hands out. */
const MAX_CLAIM_LIMIT = 1_000;
/** Most handlers at once a claim may say a worker runs. */
const MAX_CLAIM_CONCURRENCY = 100_000;
/** Most completes sent in one request (what `POST /api/v1/workers/complete` takes). */
const MAX_ENDS = 1_000;
/** Results (as JSON) one request of completes carries at most, well under a server's body limit. */
const MAX_ENDS_BYTES = 256 * 1024;
/** A result larger than this (as JSON) is sent alone, on the single complete route. */
const MAX_BATCHED_RESULT_BYTES = 16 * 1024;

/** A complete waiting for the next request of completes. */
interface PendingEnd {
  job: Job;
  result: Json;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** API codes that say this worker no longer holds the job: the lease is lost. */
const LEASE_GONE: ReadonlySet<string> = new Set([
  ApiErrorCode.LEASE_LOST,
  ApiErrorCode.NOT_FOUND,
  ApiErrorCode.CONFLICT,
]);
/** API codes that say the request itself was wrong (a checkpoint too large, bad progress). */
const BAD_INPUT: ReadonlySet<string> = new Set([
  ApiErrorCode.VALIDATION_ERROR,
  ApiErrorCode.INVALID_REQUEST,
  ApiErrorCode.PAYLOAD_TOO_LARGE,
]);

/** A failed call about job `id` in the engine's terms: `GQ_LEASE_LOST`, `GQ_INVALID_ARGUMENT`. */
function engineError(err: unknown, id: string): unknown {
  if (!(err instanceof ApiError)) return err;
  if (LEASE_GONE.has(err.code)) {
    return new GqError(ErrorCode.LEASE_LOST, `the lease of job ${id} is lost (${err.code})`, {
      cause: err,
    });
  }
  if (BAD_INPUT.has(err.code)) {
    return new GqError(ErrorCode.INVALID_ARGUMENT, err.message, {
      cause: err,
      details: err.details,
    });
  }
  return err;
}

/**
 * The {@link WorkSource} of a pool in another process than the store (`gq work`): the server's
 * lease API over HTTP. A claim long-polls `POST /api/v1/workers/claim`; heartbeats, ends and
 * releases go to `/api/v1/jobs/:id/heartbeat|complete|fail|release` with the lease token, and
 * the server's retry policy decides where a failed attempt goes. Cancels arrive on one event
 * stream per worker, filtered by the server to the jobs it holds (see {@link JobChangeStream}),
 * within moments of the cancel, with no request per job; the heartbeat (every third of the
 * lease) finds a lost lease too, as a fallback.
 */
export class HttpWorkSource implements WorkSource {
  readonly #client: GopherQueueClient;
  readonly #pollMs: number;
  readonly #host: string;
  readonly #reportTries: number;
  readonly #reportRetryMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #changes: JobChangeStream | undefined;
  /** Completes of this moment, sent together once the event loop turns (see `complete`). */
  #ends: PendingEnd[] = [];
  #endsBytes = 0;
  #endsQueued = false;
  /** Set once the server answered that it has no route for several completes (an older one). */
  #singleEnds = false;

  /** @throws TypeError or RangeError naming the offending option. */
  constructor(options: HttpWorkSourceOptions) {
    if (typeof options?.client !== 'object' || options.client === null) {
      throw new TypeError('HttpWorkSource options.client must be a GopherQueueClient');
    }
    this.#client = options.client;
    this.#pollMs = options.pollMs ?? 30_000;
    this.#host = options.host ?? hostname();
    this.#reportTries = options.reportTries ?? 5;
    this.#reportRetryMs = options.reportRetryMs ?? 1_000;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? noopLogger;
    for (const [name, value, min] of [
      ['pollMs', this.#pollMs, 0],
      ['reportTries', this.#reportTries, 1],
      ['reportRetryMs', this.#reportRetryMs, 0],
    ] as const) {
      if (!Number.isInteger(value) || value < min) {
        throw new RangeError(`${name} must be an integer >= ${min}; got ${String(value)}`);
      }
    }
  }

  async claim(request: WorkRequest, signal: AbortSignal): Promise<Job[]> {
    // A job handed out before the event stream is open could miss its cancel.
    await this.#changes?.opened;
    try {
      const jobs = await this.#client.claim({
        workerId: request.workerId,
        limit: Math.min(request.limit, MAX_CLAIM_LIMIT),
        lease: request.leaseMs,
        wait: request.wait === false ? 0 : this.#pollMs,
        ...(request.types === undefined ? {} : { types: [...request.types] }),
        ...(request.queues === undefined ? {} : { queues: [...request.queues] }),
        host: this.#host,
        concurrency: Math.min(request.concurrency, MAX_CLAIM_CONCURRENCY),
        ...(request.ahead === true ? { ahead: true } : {}),
        signal,
      });
      return jobs.map(fromWireJob);
    } catch (err) {
      if (signal.aborted) return [];
      throw err;
    }
  }

  async appendLogs(entries: JobLogAppend[]): Promise<void> {
    await this.#client.appendLogs(
      entries.map((entry) => ({
        job_id: entry.jobId,
        attempt: entry.attempt,
        lines: entry.lines.map((line) => ({
          at: line.at,
          level: line.level,
          message: line.message,
          ...(line.fields === undefined ? {} : { fields: line.fields }),
        })),
        ...(entry.dropped === undefined ? {} : { dropped: entry.dropped }),
      })),
    );
  }

  async heartbeat(job: Job, renewal: LeaseRenewal): Promise<void> {
    const options: HeartbeatOptions = { lease: renewal.leaseMs };
    if (renewal.checkpoint !== undefined) options.checkpoint = renewal.checkpoint;
    if (renewal.progress !== undefined) {
      options.progress = renewal.progress as HeartbeatOptions['progress'];
    }
    if (renewal.progressMessage !== undefined) options.progressMessage = renewal.progressMessage;
    try {
      await this.#client.heartbeat(job.id, job.leaseToken ?? '', options);
    } catch (err) {
      throw engineError(err, job.id);
    }
  }

  /**
   * Completes a job. The completes of one turn of the event loop go to the server in one request
   * (`POST /api/v1/workers/complete`, up to 1,000 and 256 KiB of results; one request per job
   * cost this worker most of its CPU in a drain), each answered on its own; a result over 16 KiB
   * goes alone, as does every complete to a server without that route.
   */
  complete(job: Job, result: Json): Promise<void> {
    if (this.#singleEnds) return this.#completeOne(job, result);
    const bytes = JSON.stringify(result ?? null).length;
    if (bytes > MAX_BATCHED_RESULT_BYTES) return this.#completeOne(job, result);
    return new Promise<void>((resolve, reject) => {
      this.#ends.push({ job, result, resolve, reject });
      this.#endsBytes += bytes;
      if (this.#ends.length >= MAX_ENDS || this.#endsBytes >= MAX_ENDS_BYTES) {
        this.#flushEnds();
      } else if (!this.#endsQueued) {
        this.#endsQueued = true;
        setImmediate(() => {
          this.#endsQueued = false;
          this.#flushEnds();
        });
      }
    });
  }

  async #completeOne(job: Job, result: Json): Promise<void> {
    await this.#report(job, () => this.#client.complete(job.id, job.leaseToken ?? '', result));
  }

  #flushEnds(): void {
    if (this.#ends.length === 0) return;
    const batch = this.#ends;
    this.#ends = [];
    this.#endsBytes = 0;
    void this.#sendEnds(batch);
  }

  /** Sends completes in one request and settles each one's promise with its own answer. */
  async #sendEnds(batch: PendingEnd[]): Promise<void> {
    let results: WireEndResult[];
    try {
      results = await this.#retrying(() =>
        this.#client.completeMany(
          batch.map(({ job, result }) => ({
            id: job.id,
            leaseToken: job.leaseToken ?? '',
            result,
          })),
        ),
      );
    } catch (err) {
      // A server without the route (404), or with a body limit below this request (413): each
      // complete goes alone.
      if (err instanceof ApiError && (err.status === 404 || err.status === 413)) {
        if (err.status === 404) this.#singleEnds = true;
        for (const end of batch)
          this.#completeOne(end.job, end.result).then(end.resolve, end.reject);
        return;
      }
      for (const end of batch) end.reject(engineError(err, end.job.id));
      return;
    }
    batch.forEach((end, i) => {
      const answer = results[i];
      if (answer?.ok === true && answer.id === end.job.id) {
        end.resolve();
      } else if (answer !== undefined && !answer.ok && answer.id === end.job.id) {
        end.reject(
          engineError(new ApiError(200, answer.error.code, answer.error.message), end.job.id),
        );
      } else {
        end.reject(
          new Error(`the server's answer to the completes has no answer for job ${end.job.id}`),
        );
      }
    });
  }

  async fail(job: Job, report: FailureReport): Promise<FailOutcome> {
    const { message, errorClass, name, stack, retryAfterMs } = report;
    const failed = await this.#report(job, () =>
      this.#client.fail(job.id, job.leaseToken ?? '', {
        message,
        // Recovery's own class; a worker reports its failure as a plain error.
        class: errorClass === 'lease_expired' ? 'error' : errorClass,
        ...(name === undefined ? {} : { name }),
        ...(stack === undefined ? {} : { stack }),
        ...(retryAfterMs === undefined ? {} : { retry_after: retryAfterMs }),
      }),
    );
    if (failed.state === 'retrying') {
      return { state: 'retrying', runAt: Date.parse(failed.scheduled_at ?? failed.updated_at) };
    }
    return { state: failed.state === 'failed' ? 'failed' : 'dead_letter' };
  }

  async release(job: Job, delayMs?: number): Promise<void> {
    await this.#report(job, () =>
      this.#client.release(
        job.id,
        job.leaseToken ?? '',
        delayMs === undefined ? {} : { delay: delayMs },
      ),
    );
  }

  async dependencies(job: Job): Promise<Job[]> {
    const found = await Promise.all(
      job.dependsOn.map(async (id) => {
        try {
          return fromWireJob(await this.#client.get(id));
        } catch (err) {
          if (err instanceof ApiError && err.code === ApiErrorCode.NOT_FOUND) return undefined;
          throw err;
        }
      }),
    );
    return found.filter((dependency): dependency is Job => dependency !== undefined);
  }

  watch(workerId: string, listener: (change: JobChange) => void): () => Promise<void> {
    const changes = new JobChangeStream({
      client: this.#client,
      workerId,
      listener,
      clock: this.#clock,
      logger: this.#logger,
    });
    this.#changes = changes;
    changes.start();
    return () => {
      if (this.#changes === changes) this.#changes = undefined;
      return changes.stop();
    };
  }

  /**
   * Sends an end of job `job`, again (up to `reportTries` in all, `reportRetryMs` apart) while no
   * server answers: a result must not be lost to a moment of network trouble.
   * @throws GQ_LEASE_LOST when the server says the job is no longer this worker's.
   */
  async #report<T>(job: Job, send: () => Promise<T>): Promise<T> {
    try {
      return await this.#retrying(send);
    } catch (err) {
      throw engineError(err, job.id);
    }
  }

  /** Sends a report, again while no server answers, up to `reportTries` in all. */
  async #retrying<T>(send: () => Promise<T>): Promise<T> {
    const never = new AbortController().signal;
    for (let tries = 1; ; tries++) {
      try {
        return await send();
      } catch (err) {
        if (!isConnectionError(err) || tries >= this.#reportTries) throw err;
        await sleep(this.#clock, this.#reportRetryMs, never);
      }
    }
  }
}
