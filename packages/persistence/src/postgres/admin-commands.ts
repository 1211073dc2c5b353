import {
  isTerminal,
  type Job,
  type PurgeInput,
  type RetryInput,
  type StoreChange,
} from '@gopherqueue/core';
import type pg from 'pg';
import { invalidStateError } from '../job-errors.js';
import { rowToJob, type JobRow } from './job-row.js';
import { cancelDependents, DROP_LEASE, lockJob, updated } from './transition-sql.js';

/**
 * The operator's transitions (cancel, retry, delete, purge, pause): each locks what it changes
 * and checks the state first, inside the caller's transaction.
 */

/** Any non-terminal -> cancelled, and its waiting dependents too. @throws GQ_INVALID_STATE */
export async function cancelJob(
  c: pg.ClientBase,
  s: string,
  id: string,
  reason: string | undefined,
  now: number,
  changes: StoreChange[],
): Promise<Job> {
  const before = await lockJob(c, s, id);
  if (isTerminal(before.state)) throw invalidStateError(before.id, before.state, 'cancel');
  const { rows } = await c.query<JobRow>(
    `UPDATE ${s}.jobs SET state = 'cancelled', cancel_reason = $2, finished_at = $3,
       updated_at = $3, ${DROP_LEASE} WHERE id = $1 RETURNING *`,
    [before.id, reason ?? null, now],
  );
  const job = rowToJob(rows[0] as JobRow);
  changes.push(updated(job, before.state));
  await cancelDependents(c, s, [job.id], now, changes);
  return job;
}

/**
 * failed, dead_letter or cancelled -> scheduled, waiting on nothing: a job cancelled while it
 * waited (`dependency_failed`, or by an operator) runs at once, and its old dependency edges go,
 * so that dependency ending badly again cannot cancel it or the jobs waiting on it now.
 * @throws GQ_INVALID_STATE
 */
export async function retryJob(
  c: pg.ClientBase,
  s: string,
  id: string,
  input: RetryInput,
  now: number,
  changes: StoreChange[],
): Promise<Job> {
  const before = await lockJob(c, s, id);
  if (!['failed', 'dead_letter', 'cancelled'].includes(before.state)) {
    throw invalidStateError(before.id, before.state, 'retry');
  }
  const { rows } = await c.query<JobRow>(
    `UPDATE ${s}.jobs SET state = 'scheduled', run_at = $2, updated_at = $2,
       finished_at = NULL, cancel_reason = NULL, waiting_on = '[]', expires_at = NULL,
       attempt = ${input.resetAttempts ? '0' : 'attempt'}
     WHERE id = $1 RETURNING *`,
    [before.id, now],
  );
  await c.query(`DELETE FROM ${s}.dependencies WHERE job_id = $1`, [before.id]);
  const job = rowToJob(rows[0] as JobRow);
  changes.push(updated(job, before.state));
  return job;
}

/** Removes a job that is not running and cancels its dependents. @throws GQ_INVALID_STATE */
export async function deleteJob(
  c: pg.ClientBase,
  s: string,
  id: string,
  now: number,
  changes: StoreChange[],
): Promise<Job> {
  const job = await lockJob(c, s, id);
  if (job.state === 'running') throw invalidStateError(job.id, job.state, 'delete');
  await c.query(`DELETE FROM ${s}.jobs WHERE id = $1`, [job.id]);
  changes.push({
    kind: 'deleted',
    id: job.id,
    state: job.state,
    queue: job.queue,
    runAt: job.runAt,
    job,
  });
  await cancelDependents(c, s, [job.id], now, changes);
  return job;
}

/** Deletes up to `limit` finished jobs, oldest first, skipping rows another node holds. */
export async function purgeJobs(
  c: pg.ClientBase,
  s: string,
  input: PurgeInput,
  limit: number,
  changes: StoreChange[],
): Promise<number> {
  const { rows } = await c.query<{ id: string; state: Job['state']; queue: string }>(
    `DELETE FROM ${s}.jobs WHERE id IN (
       SELECT id FROM ${s}.jobs WHERE state = ANY($1::text[]) AND finished_at < $2
       ORDER BY finished_at LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING id, state, queue`,
    [input.states, input.finishedBefore, limit],
  );
  for (const row of rows) {
    changes.push({ kind: 'deleted', id: row.id, state: row.state, queue: row.queue });
  }
  return rows.length;
}
