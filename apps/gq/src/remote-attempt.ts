import type { GopherQueueClient, HeartbeatOptions, WireLeasedJob } from '@gopherqueue/api';
import {
  ErrorCode,
  GqError,
  isGqError,
  MAX_TIMER_MS,
  setLongTimeout,
  type FailureReport,
  type Job,
  type Json,
  type Logger,
} from '@gopherqueue/core';
import { failureReport, type Handler, type JobContext } from '@gopherqueue/worker';
import { isConnectionError } from './cli-error.js';
import { fromWireJob } from './wire-job.js';

/** Settings one remote attempt runs with. */
export interface RemoteAttemptOptions {
  client: GopherQueueClient;
  handler: Handler;
  leaseMs: number;
  /** How long a handler whose signal fired may take to return before it is abandoned. */
  graceMs: number;
  logger: Logger;
}

/** How an attempt ends on the server: completed, failed, or released without spending it. */
export type RemoteOutcome =
  { kind: 'complete'; result: Json } | { kind: 'fail'; error: FailureReport } | { kind: 'release' };

/** True when the server says this worker no longer holds the job's lease. */
function isLeaseLost(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'lease_lost' || code === 'not_found' || code === 'conflict';
}

function toJson(value: unknown): Json {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as Json);
}

/**
 * One attempt of one leased job in a `gq work` process: runs the handler with a context whose
 * checkpoint and progress go to the server as heartbeats, renews the lease every third of it,
 * aborts the handler on timeout, lost lease (cancelled or taken back) or shutdown, and reports
 * the end with the lease token. A handler that fails after a shutdown abort has its job
 * released (back to scheduled, the attempt not spent) rather than failed.
 */
export class RemoteAttempt {
  readonly job: Job;
  readonly #wire: WireLeasedJob;
  readonly #options: RemoteAttemptOptions;
  readonly #controller = new AbortController();
  readonly #logger: Logger;
  #leaseLost = false;

  constructor(wire: WireLeasedJob, options: RemoteAttemptOptions) {
    this.#wire = wire;
    this.job = fromWireJob(wire);
    this.#options = options;
    this.#logger = options.logger.child({ jobId: wire.id, type: wire.type, attempt: wire.attempt });
  }

  /**
   * Aborts the handler. With a `GQ_SHUTTING_DOWN` reason (graceful shutdown ran out of time) a
   * handler that then fails has its job released instead of failed.
   */
  abort(reason: GqError): void {
    this.#controller.abort(reason);
  }

  /** Runs the handler and reports its end; never rejects. */
  async run(): Promise<void> {
    const { leaseMs } = this.#options;
    const started = performance.now();
    const heartbeat = setInterval(
      () => {
        void this.#heartbeat({});
      },
      // A lease is at most 1 h, so this cap only guards against a server that says otherwise.
      Math.min(MAX_TIMER_MS, Math.max(250, Math.floor(leaseMs / 3))),
    );
    // A timeout may be far longer than one Node.js timer can wait (1000 h, ...).
    const cancelTimeout = setLongTimeout(() => {
      this.#controller.abort(
        new GqError(ErrorCode.TIMEOUT, `job timed out after ${this.#wire.timeout_ms}ms`),
      );
    }, this.#wire.timeout_ms);
    let outcome: RemoteOutcome;
    try {
      const result = await this.#runHandler();
      outcome = { kind: 'complete', result: toJson(result) };
    } catch (err) {
      const reason: unknown = this.#controller.signal.reason;
      if (isGqError(reason, ErrorCode.SHUTTING_DOWN)) {
        outcome = { kind: 'release' };
      } else {
        const errorClass = isGqError(reason, ErrorCode.TIMEOUT) ? 'timeout' : undefined;
        outcome = { kind: 'fail', error: failureReport(errorClass ? reason : err, errorClass) };
      }
    } finally {
      clearInterval(heartbeat);
      cancelTimeout();
    }
    const durationMs = Math.round(performance.now() - started);
    if (this.#leaseLost) {
      this.#logger.info('job dropped: lease lost (cancelled or taken back)', { durationMs });
      return;
    }
    await reportEnd(this.#options.client, this.#wire, outcome, this.#logger, durationMs);
  }

  async #runHandler(): Promise<unknown> {
    const signal = this.#controller.signal;
    const dependencies = await this.#dependencies();
    const ctx: JobContext = {
      job: this.job,
      id: this.job.id,
      type: this.job.type,
      payload: this.job.payload,
      attempt: this.job.attempt,
      tags: this.job.tags,
      signal,
      lastCheckpoint: this.job.checkpoint,
      dependencies,
      logger: this.#logger,
      checkpoint: (state) => this.#heartbeat({ checkpoint: toJson(state) }, true),
      progress: (value, message) =>
        this.#heartbeat(
          {
            progress: toJson(value) as HeartbeatOptions['progress'],
            ...(message === undefined ? {} : { progressMessage: message }),
          },
          true,
        ),
    };
    const running = Promise.resolve().then(() => this.#options.handler(ctx));
    // A handler that ignores its signal is abandoned after the grace period.
    const abandoned = new Promise<never>((_, reject) => {
      const onAbort = (): void => {
        setLongTimeout(
          () => {
            reject(signal.reason as Error);
          },
          this.#options.graceMs,
          { unref: true },
        );
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    abandoned.catch(() => undefined);
    return Promise.race([running, abandoned]);
  }

  async #dependencies(): Promise<Job[]> {
    const jobs: Job[] = [];
    for (const id of this.#wire.depends_on)
      jobs.push(fromWireJob(await this.#options.client.get(id)));
    return jobs;
  }

  async #heartbeat(extra: HeartbeatOptions, strict = false): Promise<void> {
    if (this.#leaseLost) {
      if (strict)
        throw new GqError(ErrorCode.LEASE_LOST, `the lease of job ${this.job.id} is lost`);
      return;
    }
    try {
      await this.#options.client.heartbeat(this.job.id, this.#wire.lease_token, {
        lease: this.#options.leaseMs,
        ...extra,
      });
    } catch (err) {
      if (isLeaseLost(err)) {
        this.#leaseLost = true;
        this.#controller.abort(
          new GqError(ErrorCode.LEASE_LOST, `the lease of job ${this.job.id} is lost`, {
            cause: err,
          }),
        );
        if (strict) throw this.#controller.signal.reason as Error;
        return;
      }
      this.#logger.warn('heartbeat failed', { error: (err as Error).message });
      if (strict) throw err;
    }
  }
}

/**
 * Reports the end of an attempt with its lease token, retrying a connection error up to five
 * times; a lost lease drops the report (the job was cancelled or taken back). Never rejects.
 */
export async function reportEnd(
  client: GopherQueueClient,
  wire: WireLeasedJob,
  outcome: RemoteOutcome,
  logger: Logger,
  durationMs = 0,
): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      await sendEnd(client, wire, outcome, logger, durationMs);
      return;
    } catch (err) {
      if (isLeaseLost(err)) {
        logger.info('result dropped: lease lost (cancelled or taken back)', { durationMs });
        return;
      }
      if (!isConnectionError(err) || tries >= 5) {
        logger.error('could not report the job end', { error: (err as Error).message });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

async function sendEnd(
  client: GopherQueueClient,
  wire: WireLeasedJob,
  outcome: RemoteOutcome,
  logger: Logger,
  durationMs: number,
): Promise<void> {
  switch (outcome.kind) {
    case 'complete':
      await client.complete(wire.id, wire.lease_token, outcome.result);
      logger.info('job completed', { durationMs });
      return;
    case 'release':
      await client.release(wire.id, wire.lease_token);
      logger.info('job released: the worker is stopping', { durationMs });
      return;
    case 'fail': {
      const { errorClass, message, name, stack } = outcome.error;
      const failed = await client.fail(wire.id, wire.lease_token, {
        message,
        class: errorClass === 'lease_expired' ? 'error' : errorClass,
        ...(name === undefined ? {} : { name }),
        ...(stack === undefined ? {} : { stack }),
      });
      // The server's retry policy decides; only a final failure is the job failing.
      const fields = { durationMs, error: message, errorClass };
      if (failed.state === 'retrying') logger.warn('job retrying', fields);
      else logger.warn('job failed', { ...fields, state: failed.state });
    }
  }
}
