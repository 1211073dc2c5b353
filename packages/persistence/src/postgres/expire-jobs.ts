import { EXPIRED_REASON, type Job, type StoreChange } from '@gopherqueue/core';
import type pg from 'pg';
import { rowToJob, type JobRow } from './job-row.js';
import { cancelDependents, updated } from './transition-sql.js';

/** The states of a job never started (with `started_at IS NULL`): what may expire. */
const WAITING = `('pending', 'delayed', 'scheduled')`;

/**
 * The claim's condition that a job has not expired at `at` (a SQL expression or parameter): a
 * claim passes over a job never started past its `expires_at`, which `expireJobs` cancels.
 */
export function notExpiredSql(at: string): string {
  return `(j.expires_at IS NULL OR j.expires_at > ${at} OR j.started_at IS NOT NULL)`;
}

/**
 * Cancels as `expired` up to `limit` jobs never started whose `expires_at` is at or before `now`,
 * earliest first (the `jobs_expiry` index), skipping rows another transaction holds, and their
 * waiting dependents; returns the jobs it cancelled.
 */
export async function expireJobs(
  c: pg.ClientBase,
  s: string,
  now: number,
  limit: number,
  changes: StoreChange[],
): Promise<Job[]> {
  const { rows } = await c.query<JobRow & { previous: Job['state'] }>(
    `WITH due AS (
       SELECT id, state FROM ${s}.jobs
       WHERE expires_at IS NOT NULL AND expires_at <= $1 AND started_at IS NULL
         AND state IN ${WAITING}
       ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
     )
     UPDATE ${s}.jobs j SET state = 'cancelled', cancel_reason = $3, finished_at = $1,
       updated_at = $1
     FROM due WHERE j.id = due.id
     RETURNING j.*, due.state AS previous`,
    [now, limit, EXPIRED_REASON],
  );
  const jobs = rows.map((row) => {
    const job = rowToJob(row);
    changes.push(updated(job, row.previous));
    return job;
  });
  if (jobs.length > 0) {
    await cancelDependents(
      c,
      s,
      jobs.map((job) => job.id),
      now,
      changes,
    );
  }
  return jobs;
}
