import {
  isTerminal,
  type Job,
  type PurgeInput,
  type RetryInput,
  type StoreChange,
} from '@gopherqueue/core';
import type pg from 'pg';
import { invalidStateError } from '../job-errors.js';
import { retryWaitingOn } from '../job-versions.js';
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
 * failed, dead_letter or cancelled -> scheduled, or pending on its dependencies that have not
 * completed (see `retryWaitingOn`), its dependency edges rewritten to those. The dependencies are
 * read `FOR SHARE` before the job is locked, the order a submit and a completion take, so none of
 * them can end between this read and the commit. @throws GQ_INVALID_STATE
 */
export async function retryJob(
  c: pg.ClientBase,
  s: string,
  id: string,
  input: RetryInput,
  now: number,
  changes: StoreChange[],
): Promise<Job> {
  // `depends_on` never changes once a job is stored: it can be read before the lock.
  const { rows: found } = await c.query<{ depends_on: string[] }>(
    `SELECT depends_on FROM ${s}.jobs WHERE id = $1`,
    [id],
  );
  const dependsOn = found[0]?.depends_on ?? [];
  const deps = new Map<string, Job['state']>();
  if (dependsOn.length > 0) {
    const { rows } = await c.query<{ id: string; state: Job['state'] }>(
      `SELECT id, state FROM ${s}.jobs WHERE id = ANY($1::text[]) ORDER BY id FOR SHARE`,
      [dependsOn],
    );
    for (const row of rows) deps.set(row.id, row.state);
  }
  const before = await lockJob(c, s, id);
  if (!['failed', 'dead_letter', 'cancelled'].includes(before.state)) {
    throw invalidStateError(before.id, before.state, 'retry');
  }
  const waitingOn = retryWaitingOn(
    before,
    before.dependsOn.map((dep) => {
      const state = deps.get(dep);
      return state === undefined ? undefined : { id: dep, state };
    }),
  );
  const { rows } = await c.query<JobRow>(
    `UPDATE ${s}.jobs SET state = $3, run_at = $2, updated_at = $2,
       finished_at = NULL, cancel_reason = NULL, waiting_on = $4::jsonb, expires_at = NULL,
       attempt = ${input.resetAttempts ? '0' : 'attempt'}
     WHERE id = $1 RETURNING *`,
    [before.id, now, waitingOn.length > 0 ? 'pending' : 'scheduled', JSON.stringify(waitingOn)],
  );
  await c.query(`DELETE FROM ${s}.dependencies WHERE job_id = $1`, [before.id]);
  if (waitingOn.length > 0) {
    await c.query(
      `INSERT INTO ${s}.dependencies (job_id, depends_on_id) SELECT $1, unnest($2::text[])`,
      [before.id, waitingOn],
    );
  }
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
