import type { Job } from '@gopherqueue/core';

/**
 * Reads the lists and the tags of a stored job as what the engine can work with: `dependsOn`,
 * `waitingOn` and `errors` that are not arrays as empty, entries of `errors` that are not objects
 * dropped, and `tags` that are not an object as none. Both stores read jobs through here, so a
 * record changed by hand (or by a bug of another version) cannot break a listing, a claim or a
 * retry with a TypeError; the stored value itself is left as it is. Changes `job` in place.
 */
export function mendJobLists(job: Job): Job {
  if (!Array.isArray(job.dependsOn)) job.dependsOn = [];
  if (!Array.isArray(job.waitingOn)) job.waitingOn = [];
  if (!Array.isArray(job.errors)) job.errors = [];
  else if (job.errors.some((error) => typeof error !== 'object' || error === null)) {
    job.errors = job.errors.filter((error) => typeof error === 'object' && error !== null);
  }
  if (typeof job.tags !== 'object' || job.tags === null || Array.isArray(job.tags)) job.tags = {};
  return job;
}
