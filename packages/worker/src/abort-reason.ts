import { ErrorCode, GqError, type Job } from '@gopherqueue/core';
import type { JobChange } from './work-source.js';

/**
 * Why an attempt's signal fired: its timeout, a cancel, a lost lease, the pool's shutdown, or an
 * uncaught error raised by code its handler started (`crashed`).
 */
export type AbortKind = 'timeout' | 'cancelled' | 'lease_lost' | 'shutdown' | 'crashed';

/**
 * The `signal.reason` a handler sees for an abort of `kind`; a crashed attempt's reason is the
 * uncaught error itself, which only the attempt knows.
 */
export function abortReason(
  kind: Exclude<AbortKind, 'crashed'>,
  job: Pick<Job, 'id' | 'timeoutMs'>,
): GqError {
  const { id, timeoutMs } = job;
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

/**
 * Why a change of a job that `held` (as claimed) stands for losing it: `cancelled`, or
 * `lease_lost` when the job left `running` otherwise or runs under another lease now (claimed
 * again after this lease expired). Undefined for a change of the job as held (progress, a
 * heartbeat), one that says too little, or one that describes an earlier attempt: changes are
 * reported once written, and a claim may be handed out before the write that created or retried
 * its job is, so the job's submit or its previous attempt's end may be reported after this
 * attempt began.
 */
export function abortKindFor(change: JobChange, held: Job): AbortKind | undefined {
  const { state } = change;
  if (state === undefined) return undefined;
  if (change.attempt !== undefined && change.attempt < held.attempt) return undefined;
  if (state === 'cancelled') return 'cancelled';
  if (state !== 'running') return 'lease_lost';
  const sameLease =
    change.leaseToken !== undefined
      ? change.leaseToken === held.leaseToken
      : (change.attempt === undefined || change.attempt === held.attempt) &&
        (change.workerId === undefined || change.workerId === held.workerId);
  return sameLease ? undefined : 'lease_lost';
}
