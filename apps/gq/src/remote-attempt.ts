import type { GopherQueueClient, HeartbeatOptions, WireLeasedJob } from '@gopherqueue/api';
import {
  ErrorCode,
  GqError,
  isGqError,
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
 * the end with the lease token.
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

  /** Aborts the handler (graceful shutdown ran out of time). */
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
      Math.max(250, Math.floor(leaseMs / 3)),
    );
    const timeout = setTimeout(() => {
      this.#controller.abort(
        new GqError(ErrorCode.TIMEOUT, `job timed out after ${this.#wire.timeout_ms}ms`),
      );
    }, this.#wire.timeout_ms);
    let outcome: { ok: true; result: Json } | { ok: false; error: FailureReport };
    try {
      const result = await this.#runHandler();
      outcome = { ok: true, result: toJson(result) };
    } catch (err) {
      const reason: unknown = this.#controller.signal.reason;
      const errorClass = isGqError(reason, ErrorCode.TIMEOUT) ? 'timeout' : undefined;
      outcome = { ok: false, error: failureReport(errorClass ? reason : err, errorClass) };
    } finally {
      clearInterval(heartbeat);
      clearTimeout(timeout);
    }
    const durationMs = Math.round(performance.now() - started);
    if (this.#leaseLost) {
      this.#logger.info('job dropped: lease lost (cancelled or taken back)', { durationMs });
      return;
    }
    await this.#report(outcome, durationMs);
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
        setTimeout(() => {
          reject(signal.reason as Error);
        }, this.#options.graceMs).unref();
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

  async #report(
    outcome: { ok: true; result: Json } | { ok: false; error: FailureReport },
    durationMs: number,
  ): Promise<void> {
    const { client } = this.#options;
    const token = this.#wire.lease_token;
    for (let tries = 1; ; tries++) {
      try {
        if (outcome.ok) {
          await client.complete(this.job.id, token, outcome.result);
          this.#logger.info('job completed', { durationMs });
        } else {
          const { errorClass, message, name, stack } = outcome.error;
          await client.fail(this.job.id, token, {
            message,
            class: errorClass === 'lease_expired' ? 'error' : errorClass,
            ...(name === undefined ? {} : { name }),
            ...(stack === undefined ? {} : { stack }),
          });
          this.#logger.warn('job failed', { durationMs, error: message, errorClass });
        }
        return;
      } catch (err) {
        if (isLeaseLost(err)) {
          this.#logger.info('result dropped: lease lost (cancelled or taken back)', { durationMs });
          return;
        }
        if (!isConnectionError(err) || tries >= 5) {
          this.#logger.error('could not report the job end', { error: (err as Error).message });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }
}
