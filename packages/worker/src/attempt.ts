import {
  ErrorCode,
  GqError,
  isGqError,
  noopLogger,
  type Clock,
  type Job,
  type Logger,
} from '@gopherqueue/core';
import { abortReason, type AbortKind } from './abort-reason.js';
import { AttemptContext } from './attempt-context.js';
import { AttemptEnd, type AttemptOutcome, type Settled } from './attempt-end.js';
import { runInAttemptScope, type CrashableAttempt } from './attempt-scope.js';
import { AttemptSpan } from './attempt-span.js';
import type { Deadline, DeadlineQueue } from './deadline-queue.js';
import { errorMessage } from './failure-report.js';
import type { Handler, JobContext } from './job-context.js';
import type { JobLogWriter } from './job-log-writer.js';
import type { IsolatedHandler } from './sandbox/sandboxed-handler.js';
import type { LeaseRenewal, WorkSource } from './work-source.js';

/** What every attempt of one pool shares; built once per pool, not per job. */
export interface AttemptEnv {
  /** Where the job's lease is renewed and its end written. */
  source: WorkSource;
  clock: Clock;
  logger: Logger;
  /** Keeps the lines handlers write through `ctx.logger` with their jobs, when the source can. */
  jobLogs: JobLogWriter | undefined;
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

/** How long an attempt's end waits for its log lines to be stored. */
const LOG_FLUSH_MS = 2000;

const ABANDONED: Settled = { ok: false, abandoned: true };
const TERMINATED: Settled = { ok: false, abandoned: true, terminated: true };

/**
 * One run of one claimed job: builds its context, renews its lease, enforces its timeout, and
 * writes its end (complete, fail, or release) through its {@link WorkSource}, fenced by the
 * claim's lease token. Things most jobs never use (the abort controller, the child logger, the
 * context's functions) are made on first use.
 */
export class Attempt implements CrashableAttempt {
  readonly job: Job;
  readonly #env: AttemptEnv;
  readonly #handler: Handler | IsolatedHandler | undefined;
  #logger: Logger | undefined;
  #controller: AbortController | undefined;
  #abortKind: AbortKind | undefined;
  #settled = false;
  #abandon: ((settled: Settled) => void) | undefined;
  #cancelGrace: (() => void) | undefined;
  /** Stops an isolated handler by force (its sandbox is terminated) once its grace is over. */
  #terminate: (() => void) | undefined;
  #beat: Promise<void> | undefined;
  /** This attempt's places in the pool's lease and timeout queues while its handler runs. */
  #leaseDue: Deadline | undefined;
  #timeoutDue: Deadline | undefined;
  /** The uncaught error that crashed the attempt (see {@link Attempt.crash}). */
  #crashError: unknown;

  constructor(env: AttemptEnv, job: Job, handler: Handler | IsolatedHandler | undefined) {
    if (job.leaseToken === undefined) {
      throw new GqError(ErrorCode.INVALID_STATE, `job ${job.id} was claimed without a lease token`);
    }
    this.job = job;
    this.#env = env;
    this.#handler = handler;
  }

  /** True once the handler settled or was abandoned (its slot is free). */
  get settled(): boolean {
    return this.#settled;
  }

  /** The handler's signal; fired by {@link Attempt.abort}. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortKind !== undefined) this.#controller.abort(this.#reason(this.#abortKind));
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

  /** The handler's `ctx.logger`: the attempt's logger, its lines also kept with the job. */
  get jobLogger(): Logger {
    const writer = this.#env.jobLogs;
    if (writer === undefined) return this.logger;
    return writer.loggerFor(this.logger, this.job.id, this.job.attempt);
  }

  /**
   * Fires the handler's signal; if the handler has not settled `timeoutGraceMs` later, it is
   * abandoned (an isolated one terminated with its sandbox) and its slot freed. Only the first
   * call counts, and none after the handler settled.
   */
  abort(kind: AbortKind): void {
    if (this.#settled || this.#abortKind !== undefined) return;
    this.#abortKind = kind;
    this.#controller?.abort(this.#reason(kind));
    this.#cancelGrace = this.#env.clock.setTimer(() => {
      if (this.#terminate === undefined) {
        this.#abandon?.(ABANDONED);
      } else {
        this.#terminate();
        this.#abandon?.(TERMINATED);
      }
    }, this.#env.timeoutGraceMs);
  }

  /**
   * An uncaught error raised by code the handler started (a timer callback that threw, a promise
   * it did not await): the handler's signal fires with the error as its reason, and the attempt
   * fails with it (class `panic`) once the handler settles or its grace period ends. False when
   * the handler already settled; an attempt already aborted keeps the outcome of its abort.
   */
  crash(error: unknown): boolean {
    if (this.#settled) return false;
    if (this.#abortKind === undefined) {
      this.#crashError = error;
      this.abort('crashed');
    }
    return true;
  }

  /** The `signal.reason` of an abort of `kind`. */
  #reason(kind: AbortKind): unknown {
    return kind === 'crashed' ? this.#crashError : abortReason(kind, this.job);
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
      this.logger.error('the attempt failed unexpectedly', { error: errorMessage(err) });
      outcome = 'dropped';
    }
    this.#env.ended(this, outcome);
  }

  /** Renews the lease now (with a checkpoint or progress); a lost lease aborts the handler. */
  async renew(input: Omit<LeaseRenewal, 'leaseMs'>): Promise<void> {
    try {
      await this.#env.source.heartbeat(this.job, { ...input, leaseMs: this.#env.leaseMs });
    } catch (err) {
      if (isGqError(err, ErrorCode.LEASE_LOST)) this.abort('lease_lost');
      throw err;
    }
  }

  /**
   * The lease is due for renewal: renews it and, while the handler runs, queues the next
   * renewal once this one answered (beats never overlap). A transient error is logged and
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
      await env.source.heartbeat(this.job, { leaseMs: env.leaseMs });
    } catch (err) {
      if (isGqError(err, ErrorCode.LEASE_LOST)) {
        this.abort('lease_lost');
        return;
      }
      this.logger.warn('heartbeat failed; retrying at the next interval', {
        error: errorMessage(err),
      });
    }
    if (!this.#settled) this.#leaseDue = env.leases.add(this, env.heartbeatIntervalMs);
  }

  async #run(): Promise<AttemptOutcome> {
    const env = this.#env;
    const { job } = this;
    const handler = this.#handler;
    const end = new AttemptEnd(env.source, job, this);
    if (handler === undefined) {
      this.#markSettled();
      return end.fail({
        message: `no handler registered for job type "${job.type}"`,
        errorClass: 'unknown_type',
        name: 'UnknownTypeError',
      });
    }
    const verbose = env.logger !== noopLogger;
    const startedAt = verbose ? env.clock.now() : 0;
    if (verbose) this.logger.debug('job started');
    this.#leaseDue = env.leases.add(this, env.heartbeatIntervalMs);
    this.#timeoutDue = env.timeouts.add(this, job.timeoutMs);
    const span = new AttemptSpan(job);
    let settled: Settled;
    try {
      const dependencies = job.dependsOn.length === 0 ? [] : await this.#dependencies();
      // Aborted before it began (claimed while the pool was stopping): do not start it.
      if (this.#abortKind !== undefined) throw this.signal.reason;
      const ctx = new AttemptContext(this, job, dependencies);
      const value = span.run(() => this.#invokeHandler(handler, ctx));
      settled = isThenable(value) ? await this.#settle(value) : { ok: true, value };
    } catch (error) {
      settled = { ok: false, error };
    }
    this.#markSettled();
    env.timeouts.cancel(this.#timeoutDue);
    env.leases.cancel(this.#leaseDue);
    this.#cancelGrace?.();
    if (this.#beat !== undefined) await this.#beat;
    // The handler's lines are stored before its end, so a finished job shows them all.
    if (env.jobLogs?.holds(job.id) === true) await env.jobLogs.flushWithin(LOG_FLUSH_MS);
    const abort = { kind: this.#abortKind, crashError: this.#crashError };
    const outcome = await end.write(settled, abort, env.timeoutGraceMs);
    span.end(settled, outcome);
    if (verbose) end.log(outcome, env.clock.now() - startedAt, env.clock.now());
    return outcome;
  }

  /**
   * Calls the handler: the one place where a handler runs. It runs in this process, traced to
   * this attempt so that a {@link ProcessGuard} can fail it for an uncaught error its code raises.
   */
  #invokeHandler(handler: Handler | IsolatedHandler, ctx: JobContext): unknown {
    if (typeof handler === 'function') return runInAttemptScope(this, () => handler(ctx));
    // A handler in a sandbox: its uncaught errors stay in the sandbox, which reports them.
    const run = handler.start(ctx);
    this.#terminate = run.terminate;
    return run.result;
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

  #dependencies(): Promise<Job[]> {
    return this.#env.source.dependencies(this.job);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
