import {
  ErrorCode,
  GqError,
  isGqError,
  noopLogger,
  type Clock,
  type FailOutcome,
  type FailureReport,
  type HeartbeatInput,
  type Job,
  type Logger,
  type Store,
} from '@gopherqueue/core';
import { failureOutcome } from '@gopherqueue/scheduler';
import { abortReason, type AbortKind } from './abort-reason.js';
import { AttemptContext } from './attempt-context.js';
import type { DeadlineQueue } from './deadline-queue.js';
import { failureReport } from './failure-report.js';
import type { Handler } from './job-context.js';
import type { IsolatedHandler } from './sandbox/sandboxed-handler.js';
import { toJson } from './to-json.js';

/** How an attempt ended, from the pool's point of view. */
export type AttemptOutcome = 'completed' | 'failed' | 'released' | 'dropped';

/** What every attempt of one pool shares; built once per pool, not per job. */
export interface AttemptEnv {
  store: Store;
  clock: Clock;
  logger: Logger;
  leaseMs: number;
  heartbeatIntervalMs: number;
  timeoutGraceMs: number;
  /** Renews the leases of attempts that run longer than `heartbeatIntervalMs` (one timer). */
  leases: DeadlineQueue<Attempt>;
  /** Fires the timeouts of attempts (one timer). */
  timeouts: DeadlineQueue<Attempt>;
  /**
   * Called once when the handler settled or was abandoned, before the job's end is written:
   * the pool frees the handler's slot there, so writing one end overlaps the next claim.
   */
  handlerDone(attempt: Attempt): void;
  /** Called once when the job's end is written (or dropped). */
  ended(attempt: Attempt, outcome: AttemptOutcome): void;
}

type Settled =
  { ok: true; value: unknown } | { ok: false; error: unknown } | { ok: false; abandoned: true };

const ABANDONED: Settled = { ok: false, abandoned: true };

/**
 * One run of one claimed job: builds its context, renews its lease, enforces its timeout, and
 * writes its end (complete, fail with the retry policy's outcome, or release) with its fencing
 * token. Things most jobs never use (the abort controller, the child logger, the context's
 * functions) are made on first use.
 */
export class Attempt {
  readonly job: Job;
  readonly #env: AttemptEnv;
  readonly #handler: Handler | IsolatedHandler | undefined;
  readonly #token: string;
  #logger: Logger | undefined;
  #controller: AbortController | undefined;
  #abortKind: AbortKind | undefined;
  #settled = false;
  #abandon: ((settled: Settled) => void) | undefined;
  #cancelGrace: (() => void) | undefined;
  /** Stops an isolated handler by force (its sandbox is terminated) once its grace is over. */
  #terminate: (() => void) | undefined;
  #beat: Promise<void> | undefined;
  /** Where the failure written by {@link Attempt.#fail} sent the job. */
  #failedTo: FailOutcome | undefined;

  constructor(env: AttemptEnv, job: Job, handler: Handler | IsolatedHandler | undefined) {
    if (job.leaseToken === undefined) {
      throw new GqError(ErrorCode.INVALID_STATE, `job ${job.id} was claimed without a lease token`);
    }
    this.job = job;
    this.#env = env;
    this.#handler = handler;
    this.#token = job.leaseToken;
  }

  /** True once the handler settled or was abandoned (its slot is free). */
  get settled(): boolean {
    return this.#settled;
  }

  /** The handler's signal; fired by {@link Attempt.abort}. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortKind !== undefined)
        this.#controller.abort(abortReason(this.#abortKind, this.job));
    }
    return this.#controller.signal;
  }

  /** A logger whose lines carry the job's id, type and attempt. */
  get logger(): Logger {
    return (this.#logger ??= this.#env.logger.child({
      jobId: this.job.id,
      type: this.job.type,
      attempt: this.job.attempt,
    }));
  }

  /**
   * Fires the handler's signal; if the handler has not settled `timeoutGraceMs` later, it is
   * abandoned (an isolated one terminated with its sandbox) and its slot freed. Only the first
   * call counts, and none after the handler settled.
   */
  abort(kind: AbortKind): void {
    if (this.#settled || this.#abortKind !== undefined) return;
    this.#abortKind = kind;
    this.#controller?.abort(abortReason(kind, this.job));
    this.#cancelGrace = this.#env.clock.setTimer(() => {
      this.#terminate?.();
      this.#abandon?.(ABANDONED);
    }, this.#env.timeoutGraceMs);
  }

  /**
   * Runs the handler and writes the outcome, then calls the env's `ended`. Never rejects.
   */
  async run(): Promise<void> {
    let outcome: AttemptOutcome;
    try {
      outcome = await this.#run();
    } catch (err) {
      this.#markSettled();
      this.logger.error('the attempt failed unexpectedly', { err: String(err) });
      outcome = 'dropped';
    }
    this.#env.ended(this, outcome);
  }

  /** Renews the lease now (with a checkpoint or progress); a lost lease aborts the handler. */
  async renew(input: Omit<HeartbeatInput, 'leaseMs'>): Promise<void> {
    try {
      await this.#env.store.heartbeat(this.job.id, this.#token, {
        ...input,
        leaseMs: this.#env.leaseMs,
      });
    } catch (err) {
      if (isGqError(err, ErrorCode.LEASE_LOST)) this.abort('lease_lost');
      throw err;
    }
  }

  /**
   * The lease is due for renewal: renews it and, while the handler runs, queues the next
   * renewal once this one answered (beats never overlap). A transient store error is logged and
   * retried at the next interval; a lost lease aborts the handler.
   */
  heartbeat(): void {
    if (this.#settled) return;
    this.#beat = this.#heartbeat().finally(() => {
      this.#beat = undefined;
    });
  }

  async #heartbeat(): Promise<void> {
    const env = this.#env;
    try {
      await env.store.heartbeat(this.job.id, this.#token, { leaseMs: env.leaseMs });
    } catch (err) {
      if (isGqError(err, ErrorCode.LEASE_LOST)) {
        this.abort('lease_lost');
        return;
      }
      this.logger.warn('heartbeat failed; retrying at the next interval', { err: String(err) });
    }
    if (!this.#settled) env.leases.add(this, env.heartbeatIntervalMs);
  }

  async #run(): Promise<AttemptOutcome> {
    const env = this.#env;
    const { job } = this;
    const handler = this.#handler;
    if (handler === undefined) {
      this.#markSettled();
      return this.#fail({
        message: `no handler registered for job type "${job.type}"`,
        errorClass: 'unknown_type',
        name: 'UnknownTypeError',
      });
    }
    const verbose = env.logger !== noopLogger;
    const startedAt = verbose ? env.clock.now() : 0;
    if (verbose) this.logger.debug('job started');
    env.leases.add(this, env.heartbeatIntervalMs);
    env.timeouts.add(this, job.timeoutMs);
    let settled: Settled;
    try {
      const dependencies = job.dependsOn.length === 0 ? [] : await this.#dependencies();
      // Aborted before it began (claimed while the pool was stopping): do not start it.
      if (this.#abortKind !== undefined) throw this.signal.reason;
      const ctx = new AttemptContext(this, job, dependencies);
      let value: unknown;
      if (typeof handler === 'function') {
        value = handler(ctx);
      } else {
        const run = handler.start(ctx);
        this.#terminate = run.terminate;
        value = run.result;
      }
      settled = isThenable(value) ? await this.#settle(value) : { ok: true, value };
    } catch (error) {
      settled = { ok: false, error };
    }
    this.#markSettled();
    env.timeouts.delete(this, job.timeoutMs);
    env.leases.delete(this, env.heartbeatIntervalMs);
    this.#cancelGrace?.();
    if (this.#beat !== undefined) await this.#beat;
    const outcome = await this.#finish(settled);
    if (verbose) this.#logEnd(outcome, env.clock.now() - startedAt);
    return outcome;
  }

  /** Logs the attempt's end; a failure that will be retried is `job retrying`, not `job failed`. */
  #logEnd(outcome: AttemptOutcome, durationMs: number): void {
    const failedTo = this.#failedTo;
    if (outcome !== 'failed' || failedTo === undefined) {
      this.logger.info(`job ${outcome}`, { durationMs });
    } else if (failedTo.state === 'retrying') {
      const retryInMs = Math.max(0, failedTo.runAt - this.#env.clock.now());
      this.logger.info('job retrying', { durationMs, retryInMs });
    } else {
      this.logger.info('job failed', { durationMs, state: failedTo.state });
    }
  }

  /** Waits for the handler's promise, or for it to be abandoned after an abort's grace period. */
  #settle(value: PromiseLike<unknown>): Promise<Settled> {
    return new Promise<Settled>((resolve) => {
      this.#abandon = resolve;
      Promise.resolve(value).then(
        (result) => {
          resolve({ ok: true, value: result });
        },
        (error: unknown) => {
          resolve({ ok: false, error });
        },
      );
    });
  }

  #markSettled(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#abandon = undefined;
    this.#env.handlerDone(this);
  }

  async #finish(settled: Settled): Promise<AttemptOutcome> {
    const { job } = this;
    const { timeoutGraceMs } = this.#env;
    switch (this.#abortKind) {
      case 'cancelled':
      case 'lease_lost':
        this.logger.info('job was cancelled or taken back; its result is dropped');
        return 'dropped';
      case 'shutdown':
        return settled.ok ? this.#complete(settled.value) : this.#release();
      case 'timeout':
        return this.#fail({
          message:
            `timed out after ${job.timeoutMs} ms` +
            ('abandoned' in settled
              ? `; the handler ignored its signal and was ${this.#terminate === undefined ? 'abandoned' : 'terminated with its sandbox'} after ${timeoutGraceMs} ms more`
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
      await this.#env.store.complete(this.job.id, this.#token, result);
      return 'completed';
    } catch (err) {
      return this.#storeError(err, 'complete');
    }
  }

  async #fail(report: FailureReport): Promise<AttemptOutcome> {
    const { store, clock } = this.#env;
    const outcome = failureOutcome(this.job, report, clock.now());
    try {
      await store.fail(this.job.id, this.#token, { error: report, outcome });
      this.#failedTo = outcome;
      this.logger.warn('job attempt failed', { err: report.message, next: outcome.state });
      return 'failed';
    } catch (err) {
      return this.#storeError(err, 'fail');
    }
  }

  async #release(): Promise<AttemptOutcome> {
    try {
      await this.#env.store.release(this.job.id, this.#token);
      return 'released';
    } catch (err) {
      return this.#storeError(err, 'release');
    }
  }

  #storeError(err: unknown, step: string): AttemptOutcome {
    if (isGqError(err, ErrorCode.LEASE_LOST)) {
      this.logger.info(`job was cancelled or taken back; ${step} ignored`);
    } else {
      // The lease will expire and recovery will take the job back.
      this.logger.error(`could not ${step} the job`, { err: String(err) });
    }
    return 'dropped';
  }

  async #dependencies(): Promise<Job[]> {
    const found = await this.#env.store.getMany(this.job.dependsOn);
    return found.filter((job): job is Job => job !== undefined);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
