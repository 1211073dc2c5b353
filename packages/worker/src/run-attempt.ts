import {
  ErrorCode,
  GqError,
  isGqError,
  type Clock,
  type FailureReport,
  type HeartbeatInput,
  type Job,
  type Logger,
  type Store,
} from '@gopherqueue/core';
import { failureOutcome } from '@gopherqueue/scheduler';
import { failureReport } from './failure-report.js';
import { Heartbeat } from './heartbeat.js';
import type { Handler, JobContext } from './job-context.js';
import { toJson } from './to-json.js';

/** Why an attempt's signal fired. */
export type AbortKind = 'timeout' | 'cancelled' | 'lease_lost' | 'shutdown';

/** How an attempt ended, from the pool's point of view. */
export type AttemptOutcome = 'completed' | 'failed' | 'released' | 'dropped';

/** What {@link Attempt} needs. */
export interface AttemptOptions {
  job: Job;
  /** Undefined when no handler is registered for the job's type. */
  handler: Handler | undefined;
  store: Store;
  clock: Clock;
  logger: Logger;
  leaseMs: number;
  heartbeatIntervalMs: number;
  timeoutGraceMs: number;
  /**
   * Called once when the handler settled or was abandoned, before the job's end is written:
   * the pool frees the handler's slot there, so writing one end overlaps the next claim.
   */
  onHandlerDone?: () => void;
}

type Settled =
  { ok: true; value: unknown } | { ok: false; error: unknown } | { ok: false; abandoned: true };

/**
 * One run of one claimed job: builds its context, heartbeats its lease, enforces its timeout,
 * and writes its end (complete, fail with the retry policy's outcome, or release) with its
 * fencing token. {@link Attempt.run} never rejects.
 */
export class Attempt {
  readonly job: Job;
  readonly #options: AttemptOptions;
  readonly #token: string;
  readonly #logger: Logger;
  readonly #controller = new AbortController();
  readonly #abandoned: Promise<Settled>;
  #abandon!: () => void;
  #abortKind: AbortKind | undefined;
  #settled = false;
  #cancelGrace: (() => void) | undefined;

  constructor(options: AttemptOptions) {
    const { job } = options;
    if (job.leaseToken === undefined) {
      throw new GqError(ErrorCode.INVALID_STATE, `job ${job.id} was claimed without a lease token`);
    }
    this.job = job;
    this.#options = options;
    this.#token = job.leaseToken;
    this.#logger = options.logger.child({ jobId: job.id, type: job.type, attempt: job.attempt });
    this.#abandoned = new Promise<Settled>((resolve) => {
      this.#abandon = () => {
        resolve({ ok: false, abandoned: true });
      };
    });
  }

  /**
   * Fires the handler's signal; if the handler has not settled `timeoutGraceMs` later, it is
   * abandoned and its slot freed. Only the first call counts, and none after the handler settled.
   */
  abort(kind: AbortKind): void {
    if (this.#settled || this.#abortKind !== undefined) return;
    this.#abortKind = kind;
    this.#controller.abort(this.#reason(kind));
    this.#cancelGrace = this.#options.clock.setTimer(this.#abandon, this.#options.timeoutGraceMs);
  }

  /** Runs the handler and records the outcome; resolves when the job's end is written. */
  async run(): Promise<AttemptOutcome> {
    const { job, handler, store, clock } = this.#options;
    if (handler === undefined) {
      this.#markSettled();
      return this.#fail({
        message: `no handler registered for job type "${job.type}"`,
        errorClass: 'unknown_type',
        name: 'UnknownTypeError',
      });
    }
    const startedAt = clock.now();
    this.#logger.debug('job started');
    const heartbeat = new Heartbeat({
      store,
      clock,
      logger: this.#logger,
      jobId: job.id,
      token: this.#token,
      leaseMs: this.#options.leaseMs,
      intervalMs: this.#options.heartbeatIntervalMs,
      onLeaseLost: () => {
        this.abort('lease_lost');
      },
    });
    heartbeat.start();
    const cancelTimeout = clock.setTimer(() => {
      this.abort('timeout');
    }, job.timeoutMs);
    let settled: Settled;
    try {
      const dependencies = await this.#dependencies();
      const ctx = this.#context(dependencies);
      // Aborted before it began (claimed while the pool was stopping): do not start it.
      if (this.#controller.signal.aborted) throw this.#controller.signal.reason;
      const done = Promise.resolve()
        .then(() => handler(ctx))
        .then(
          (value): Settled => ({ ok: true, value }),
          (error: unknown): Settled => ({ ok: false, error }),
        );
      settled = await Promise.race([done, this.#abandoned]);
    } catch (error) {
      settled = { ok: false, error };
    }
    this.#markSettled();
    cancelTimeout();
    this.#cancelGrace?.();
    await heartbeat.stop();
    const outcome = await this.#finish(settled);
    this.#logger.info(`job ${outcome}`, { durationMs: clock.now() - startedAt });
    return outcome;
  }

  #markSettled(): void {
    this.#settled = true;
    this.#options.onHandlerDone?.();
  }

  async #finish(settled: Settled): Promise<AttemptOutcome> {
    const { job, timeoutGraceMs } = this.#options;
    switch (this.#abortKind) {
      case 'cancelled':
      case 'lease_lost':
        this.#logger.info('job was cancelled or taken back; its result is dropped');
        return 'dropped';
      case 'shutdown':
        return settled.ok ? this.#complete(settled.value) : this.#release();
      case 'timeout':
        return this.#fail({
          message:
            `timed out after ${job.timeoutMs} ms` +
            ('abandoned' in settled
              ? `; the handler ignored its signal and was abandoned after ${timeoutGraceMs} ms more`
              : ''),
          errorClass: 'timeout',
          name: 'TimeoutError',
        });
      case undefined:
        if (settled.ok) return this.#complete(settled.value);
        return this.#fail(failureReport('error' in settled ? settled.error : undefined));
    }
  }

  async #complete(value: unknown): Promise<AttemptOutcome> {
    let result;
    try {
      result = toJson(value, 'the handler result');
    } catch (err) {
      return this.#fail(failureReport(err, 'error'));
    }
    try {
      await this.#options.store.complete(this.job.id, this.#token, result);
      return 'completed';
    } catch (err) {
      return this.#storeError(err, 'complete');
    }
  }

  async #fail(report: FailureReport): Promise<AttemptOutcome> {
    const { store, clock } = this.#options;
    const outcome = failureOutcome(this.job, report, clock.now());
    try {
      await store.fail(this.job.id, this.#token, { error: report, outcome });
      this.#logger.warn('job attempt failed', { err: report.message, next: outcome.state });
      return 'failed';
    } catch (err) {
      return this.#storeError(err, 'fail');
    }
  }

  async #release(): Promise<AttemptOutcome> {
    try {
      await this.#options.store.release(this.job.id, this.#token);
      return 'released';
    } catch (err) {
      return this.#storeError(err, 'release');
    }
  }

  #storeError(err: unknown, step: string): AttemptOutcome {
    if (isGqError(err, ErrorCode.LEASE_LOST)) {
      this.#logger.info(`job was cancelled or taken back; ${step} ignored`);
    } else {
      // The lease will expire and recovery will take the job back.
      this.#logger.error(`could not ${step} the job`, { err: String(err) });
    }
    return 'dropped';
  }

  async #dependencies(): Promise<Job[]> {
    const { dependsOn } = this.job;
    if (dependsOn.length === 0) return [];
    const found = await this.#options.store.getMany(dependsOn);
    return found.filter((job): job is Job => job !== undefined);
  }

  #context(dependencies: readonly Job[]): JobContext {
    const { job } = this;
    const beat = async (input: Omit<HeartbeatInput, 'leaseMs'>): Promise<void> => {
      try {
        await this.#options.store.heartbeat(job.id, this.#token, {
          ...input,
          leaseMs: this.#options.leaseMs,
        });
      } catch (err) {
        if (isGqError(err, ErrorCode.LEASE_LOST)) this.abort('lease_lost');
        throw err;
      }
    };
    return {
      job,
      id: job.id,
      type: job.type,
      payload: job.payload,
      attempt: job.attempt,
      tags: job.tags,
      signal: this.#controller.signal,
      lastCheckpoint: job.checkpoint,
      dependencies,
      logger: this.#logger,
      checkpoint: async (state) => {
        await beat({ checkpoint: toJson(state, 'a checkpoint') });
      },
      progress: async (value, message) => {
        await beat({
          progress: toJson(value, 'progress'),
          ...(message === undefined ? {} : { progressMessage: String(message) }),
        });
      },
    };
  }

  #reason(kind: AbortKind): GqError {
    const { id, timeoutMs } = this.job;
    switch (kind) {
      case 'timeout':
        return new GqError(ErrorCode.TIMEOUT, `job ${id} timed out after ${timeoutMs} ms`);
      case 'cancelled':
        return new GqError(ErrorCode.LEASE_LOST, `job ${id} was cancelled`);
      case 'lease_lost':
        return new GqError(
          ErrorCode.LEASE_LOST,
          `job ${id} lost its lease (cancelled or taken back)`,
        );
      case 'shutdown':
        return new GqError(ErrorCode.SHUTTING_DOWN, `the worker pool is shutting down`);
    }
  }
}
