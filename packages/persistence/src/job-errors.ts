import { ErrorCode, GqError, type JobState } from '@gopherqueue/core';

/** `GQ_NOT_FOUND` for a job id no store holds. */
export function unknownJobError(id: string): GqError {
  return new GqError(ErrorCode.NOT_FOUND, `job ${id} not found`, { details: { id } });
}

/** `GQ_INVALID_STATE` for an action the job's state does not allow. */
export function invalidStateError(id: string, state: JobState, action: string): GqError {
  return new GqError(ErrorCode.INVALID_STATE, `cannot ${action} job ${id}: it is ${state}`, {
    details: { id, state },
  });
}
