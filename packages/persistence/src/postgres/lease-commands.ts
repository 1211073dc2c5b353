import {
  boundedError,
  MAX_ERRORS,
  type FailInput,
  type HeartbeatInput,
  type Job,
  type Json,
  type ReleaseInput,
  type StoreChange,
} from '@gopherqueue/core';
import type pg from 'pg';
import {
  appendBoundedSql,
  cancelDependents,
  casRunning,
  DROP_LEASE,
  updated,
} from './transition-sql.js';

/**
 * The worker's transitions of a running job other than `complete` (which is batched): each a
 * compare-and-set on the job's state and lease token, run inside the caller's transaction.
 */

/** Extends the lease and saves checkpoint and progress. @throws GQ_LEASE_LOST */
export async function heartbeatRow(
  c: pg.ClientBase,
  s: string,
  id: string,
  token: string,
  input: HeartbeatInput,
  now: number,
  changes: StoreChange[],
): Promise<Job> {
  const job = await casRunning(
    c,
    s,
    `lease_expires_at = $3::bigint + $4::bigint, updated_at = $3,
     checkpoint = CASE WHEN $5::jsonb = 'null'::jsonb THEN NULL ELSE coalesce($5::jsonb, checkpoint) END,
     progress = coalesce($6::jsonb, progress),
     progress_message = coalesce($7::text, progress_message)`,
    id,
    token,
    [
      now,
      Math.round(input.leaseMs),
      jsonParam(input.checkpoint),
      jsonParam(input.progress),
      input.progressMessage ?? null,
    ],
  );
  if (input.progress !== undefined || input.progressMessage !== undefined) {
    changes.push(updated(job, 'running', 'progress'));
  }
  return job;
}

/** running -> retrying, failed or dead_letter, recording the error. @throws GQ_LEASE_LOST */
export async function failRow(
  c: pg.ClientBase,
  s: string,
  id: string,
  token: string,
  input: FailInput,
  now: number,
  changes: StoreChange[],
): Promise<Job> {
  const { outcome } = input;
  const finished = outcome.state !== 'retrying';
  const job = await casRunning(
    c,
    s,
    `state = $3, run_at = coalesce($4::bigint, run_at), updated_at = $5,
     finished_at = ${finished ? '$5' : 'NULL'},
     errors = ${appendBoundedSql('errors', "$6::jsonb || jsonb_build_object('attempt', attempt, 'at', $5::bigint)", MAX_ERRORS)},
     ${DROP_LEASE}`,
    id,
    token,
    [
      outcome.state,
      // Whole milliseconds, as the bigint column keeps them (a caller's sum may be fractional).
      outcome.state === 'retrying' ? Math.ceil(outcome.runAt) : null,
      now,
      JSON.stringify(boundedError(input.error)),
    ],
    input.leaseExpiredBy,
  );
  changes.push(updated(job, 'running'));
  if (finished) await cancelDependents(c, s, [job.id], now, changes);
  return job;
}

/** running -> scheduled without spending the attempt. @throws GQ_LEASE_LOST */
export async function releaseRow(
  c: pg.ClientBase,
  s: string,
  id: string,
  token: string,
  input: ReleaseInput,
  now: number,
  changes: StoreChange[],
): Promise<Job> {
  const job = await casRunning(
    c,
    s,
    `state = 'scheduled', attempt = greatest(attempt - 1, 0), run_at = $3, updated_at = $4, ${DROP_LEASE}`,
    id,
    token,
    [Math.ceil(input.runAt ?? now), now],
  );
  changes.push(updated(job, 'running'));
  return job;
}

/** A jsonb parameter: SQL NULL for undefined (keep the column), JSON text otherwise. */
function jsonParam(value: Json | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
