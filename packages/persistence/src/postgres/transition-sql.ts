import {
  ErrorCode,
  GqError,
  MAX_TRANSITIONS,
  type Job,
  type JobState,
  type StoreChange,
} from '@gopherqueue/core';
import type pg from 'pg';
import { unknownJobError } from '../job-errors.js';
import { rowToJob, type JobRow } from './job-row.js';

/**
 * `transitions = ...` for an UPDATE of `alias` that moves its jobs to `state` at `at` in attempt
 * `attempt` (SQL expressions, read from the row before the update): the entry the
 * `record_transition` trigger would append, keeping the first and the latest 49 as it does. The
 * trigger leaves a row alone whose statement changed `transitions` itself (migration 15), so the
 * hot statements (claims and completions) append in the UPDATE and skip a PL/pgSQL call per row.
 */
export function appendTransitionSql(
  alias: string,
  state: string,
  at: string,
  attempt: string,
): string {
  const entry = `jsonb_build_object('state', '${state}', 'at', ${at}, 'attempt', ${attempt})`;
  return `transitions = ${appendBoundedSql(`${alias}.transitions`, entry, MAX_TRANSITIONS)}`;
}

/**
 * The jsonb array `list` with `entry` appended, keeping the first element and the latest
 * `max - 1` once it holds `max`, as `appendTransition` and `appendError` do in memory.
 */
export function appendBoundedSql(list: string, entry: string, max: number): string {
  const latest = `'$[last - ${max - 3} to last]'`;
  return `CASE WHEN jsonb_array_length(${list}) < ${max} THEN ${list} || jsonb_build_array(${entry})
    ELSE jsonb_build_array(${list} -> 0) || jsonb_path_query_array(${list}, ${latest})
      || jsonb_build_array(${entry}) END`;
}

/** Columns cleared when a job leaves `running`. */
export const DROP_LEASE = 'lease_token = NULL, lease_expires_at = NULL, worker_id = NULL';

/** An `updated` change of `job`, which was `previous` before. */
export function updated(
  job: Job,
  previous: JobState,
  kind: StoreChange['kind'] = 'updated',
): StoreChange {
  return { kind, id: job.id, state: job.state, previous, queue: job.queue, runAt: job.runAt, job };
}

/**
 * Runs a compare-and-set UPDATE on a running job (`WHERE id = $1 AND state = 'running' AND
 * lease_token = $2`, and `lease_expires_at <= expiredBy` when `expiredBy` is given). When it
 * touches no row, one follow-up read tells why.
 * @throws GQ_NOT_FOUND for an unknown id, GQ_LEASE_LOST when the token is not the current one or
 *   the lease expires after `expiredBy`.
 */
export async function casRunning(
  c: pg.ClientBase,
  s: string,
  set: string,
  id: string,
  token: string,
  values: unknown[],
  expiredBy?: number,
): Promise<Job> {
  const expiry =
    expiredBy === undefined ? '' : ` AND lease_expires_at <= $${values.length + 3}::float8`;
  const { rows } = await c.query<JobRow>(
    `UPDATE ${s}.jobs SET ${set} WHERE id = $1 AND state = 'running' AND lease_token = $2${expiry}
     RETURNING *`,
    expiredBy === undefined ? [id, token, ...values] : [id, token, ...values, expiredBy],
  );
  if (rows[0]) return rowToJob(rows[0]);
  throw await whyNot(c, s, id, token);
}

/** The error for a worker call that matched no row. */
export async function whyNot(
  c: pg.ClientBase,
  s: string,
  id: string,
  token?: string,
): Promise<GqError> {
  const { rows } = await c.query<{ state: JobState; lease_token: string | null }>(
    `SELECT state, lease_token FROM ${s}.jobs WHERE id = $1`,
    [id],
  );
  const state = rows[0]?.state;
  if (state === undefined) return unknownJobError(id);
  let message = `job ${id} is ${state}, not running: its lease is gone`;
  if (state === 'running') {
    message =
      token !== undefined && rows[0]?.lease_token === token
        ? `job ${id}'s lease was renewed: it has not expired`
        : `job ${id} is leased with another token`;
  }
  return new GqError(ErrorCode.LEASE_LOST, message, { details: { id, state } });
}

/** Reads one job and locks it for this transaction. */
export async function lockJob(c: pg.ClientBase, s: string, id: string): Promise<Job> {
  const { rows } = await c.query<JobRow>(`SELECT * FROM ${s}.jobs WHERE id = $1 FOR UPDATE`, [id]);
  if (!rows[0]) throw unknownJobError(id);
  return rowToJob(rows[0]);
}

/**
 * After `ids` ended failed, dead_letter or cancelled, or were deleted: cancels every job still
 * waiting on them, transitively, with reason `dependency_failed`.
 */
export async function cancelDependents(
  c: pg.ClientBase,
  s: string,
  ids: readonly string[],
  now: number,
  changes: StoreChange[],
): Promise<void> {
  // A submitter that committed a new dependent while this statement waited for a row lock is
  // invisible to its snapshot, so repeat from the jobs just cancelled until nothing changes.
  let roots = ids;
  while (roots.length > 0) {
    const { rows } = await c.query<JobRow>(
      `WITH RECURSIVE victims(id) AS (
         SELECT job_id FROM ${s}.dependencies WHERE depends_on_id = ANY($1::text[])
         UNION
         SELECT d.job_id FROM ${s}.dependencies d JOIN victims v ON d.depends_on_id = v.id
       )
       UPDATE ${s}.jobs j SET state = 'cancelled', cancel_reason = 'dependency_failed',
         finished_at = $2, updated_at = $2
       FROM victims v WHERE j.id = v.id AND j.state = 'pending'
       RETURNING j.*`,
      [roots, now],
    );
    const cancelled = rows.map(rowToJob);
    for (const job of cancelled) changes.push(updated(job, 'pending'));
    roots = cancelled.map((job) => job.id);
  }
}
