import type { SubmitResult } from '@gopherqueue/core';
import type { WireJob } from '@gopherqueue/client';
import type { ApiContext } from '../env.js';
import { wireJob } from './job-access.js';

/**
 * The answer to a submit that returned an existing job (`deduplicated`, and `deduplicated_by`
 * for a unique or debounce key), announced on the job events as `job:deduplicated` (the SSE
 * stream's `job.deduplicated`), so watchers see a submit that created nothing.
 */
export function deduplicatedAnswer(c: ApiContext, result: SubmitResult): WireJob {
  const { events, logger } = c.get('options');
  try {
    events.emit('job:deduplicated', result.job);
  } catch (err) {
    logger.warn('a job:deduplicated listener threw', { jobId: result.job.id, err: String(err) });
  }
  const job = wireJob(c, result.job);
  job.deduplicated = true;
  if (result.matched !== undefined) job.deduplicated_by = result.matched;
  return job;
}
