import { ErrorCode, GqError, type Job } from '@gopherqueue/core';

/** Why an attempt's signal fired. */
export type AbortKind = 'timeout' | 'cancelled' | 'lease_lost' | 'shutdown';

/** The `signal.reason` a handler sees for an abort of `kind`. */
export function abortReason(kind: AbortKind, job: Pick<Job, 'id' | 'timeoutMs'>): GqError {
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
