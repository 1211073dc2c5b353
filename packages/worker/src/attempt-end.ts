import {
  ErrorCode,
  isGqError,
  snoozeOf,
  type FailOutcome,
  type FailureReport,
  type Job,
  type Logger,
} from '@gopherqueue/core';
import type { AbortKind } from './abort-reason.js';
import { errorMessage, failureReport } from './failure-report.js';
import { toJson } from './to-json.js';
import type { WorkSource } from './work-source.js';

/** How an attempt ended, from the pool's point of view. */
export type AttemptOutcome = 'completed' | 'failed' | 'released' | 'snoozed' | 'dropped';

/**
 * How a handler's run ended: its value, its throw, or abandoned after its grace period (and, for
 * a handler in a sandbox, terminated with the sandbox).
 */
export type Settled =
  | { ok: true; value: unknown }
  | { ok: false; error: unknown }
  | { ok: false; abandoned: true; terminated?: boolean };

/** Why the handler's signal fired, if it did, and the error of a crash. */
export interface AbortState {
  kind: AbortKind | undefined;
  crashError?: unknown;
}

/**
 * Writes the end of one attempt through its {@link WorkSource}, fenced by the claim's lease
 * token: complete, fail (the source decides where the job goes), release on shutdown, or nothing
 * when the job was cancelled or taken back. A lost lease or a failed write drops the end: the
 * job is someone else's now, or its lease will expire and recovery will take it back.
 */
export class AttemptEnd {
  readonly #source: WorkSource;
  readonly #job: Job;
  /** Gives the attempt's logger, made on first use (most ends log nothing). */
  readonly #host: { readonly logger: Logger };
  /** Where the failure written sent the job, and why it failed. */
  #failed: { outcome: FailOutcome; report: FailureReport } | undefined;
  /** The snooze written: for how long, and the error's name. */
  #snoozed: { ms: number; name: string } | undefined;

  constructor(source: WorkSource, job: Job, host: { readonly logger: Logger }) {
    this.#source = source;
    this.#job = job;
    this.#host = host;
  }

  /** Writes the end the handler's run and its abort call for. Never rejects. */
  write(settled: Settled, abort: AbortState, timeoutGraceMs: number): Promise<AttemptOutcome> {
    const job = this.#job;
    switch (abort.kind) {
      case 'cancelled':
      case 'lease_lost':
        this.#host.logger.info('job was cancelled or taken back; its result is dropped');
        return Promise.resolve('dropped');
      case 'crashed':
        return this.fail(failureReport(abort.crashError, 'panic'));
      case 'shutdown':
        if (settled.ok) return this.#complete(settled.value);
        // A handler that snoozed as the pool stopped gets its snooze; any other end is released.
        return this.#release('error' in settled ? settled.error : undefined);
      case 'timeout':
        return this.fail({
          message:
            `timed out after ${job.timeoutMs} ms` +
            ('abandoned' in settled
              ? `; the handler ignored its signal and was ${settled.terminated === true ? 'terminated with its sandbox' : 'abandoned'} after ${timeoutGraceMs} ms more`
              : ''),
          errorClass: 'timeout',
          name: 'TimeoutError',
        });
      case undefined: {
        if (settled.ok) return this.#complete(settled.value);
        const error = 'error' in settled ? settled.error : undefined;
        if (snoozeOf(error) !== undefined) return this.#release(error);
        return this.fail(failureReport(error));
      }
    }
  }

  /** Fails the attempt with `report`. Never rejects. */
  async fail(report: FailureReport): Promise<AttemptOutcome> {
    try {
      const outcome = await this.#source.fail(this.#job, report);
      this.#failed = { outcome, report };
      return 'failed';
    } catch (err) {
      return this.#dropped(err, 'fail');
    }
  }

  /**
   * Logs the end: `job completed`, `job released`, `job dropped`, `job snoozed` (with
   * `snoozeMs` and the error's name), or for a failure `job retrying` (with `retryInMs`) when the
   * job will run again and `job failed` (with its state) when not.
   */
  log(outcome: AttemptOutcome, durationMs: number, now: number): void {
    const snoozed = this.#snoozed;
    if (outcome === 'snoozed' && snoozed !== undefined) {
      this.#host.logger.info('job snoozed', {
        durationMs,
        snoozeMs: snoozed.ms,
        name: snoozed.name,
      });
      return;
    }
    const failed = this.#failed;
    if (outcome !== 'failed' || failed === undefined) {
      this.#host.logger.info(`job ${outcome}`, { durationMs });
      return;
    }
    const { outcome: next, report } = failed;
    const fields = { durationMs, error: report.message, errorClass: report.errorClass };
    if (next.state === 'retrying') {
      this.#host.logger.warn('job retrying', {
        ...fields,
        retryInMs: Math.max(0, next.runAt - now),
      });
    } else {
      this.#host.logger.warn('job failed', { ...fields, state: next.state });
    }
  }

  async #complete(value: unknown): Promise<AttemptOutcome> {
    let result;
    try {
      result = toJson(value, 'the handler result');
    } catch (err) {
      return this.fail(failureReport(err, 'error'));
    }
    try {
      await this.#source.complete(this.#job, result);
      return 'completed';
    } catch (err) {
      return this.#dropped(err, 'complete');
    }
  }

  /**
   * Gives the job back without spending its attempt: after the snooze `thrown` asks for (a
   * `SnoozeError`), else at once.
   */
  async #release(thrown: unknown): Promise<AttemptOutcome> {
    const snoozeMs = snoozeOf(thrown);
    try {
      await this.#source.release(this.#job, snoozeMs);
    } catch (err) {
      return this.#dropped(err, snoozeMs === undefined ? 'release' : 'snooze');
    }
    if (snoozeMs === undefined) return 'released';
    this.#snoozed = { ms: snoozeMs, name: (thrown as Error).name };
    return 'snoozed';
  }

  #dropped(err: unknown, step: string): AttemptOutcome {
    if (isGqError(err, ErrorCode.LEASE_LOST)) {
      this.#host.logger.info(`job was cancelled or taken back; ${step} ignored`);
    } else {
      this.#host.logger.error(`could not ${step} the job`, { error: errorMessage(err) });
    }
    return 'dropped';
  }
}
