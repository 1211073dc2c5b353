import { notExpiredSql } from './expire-jobs.js';
import {
  ErrorCode,
  GqError,
  type ClaimOptions,
  type Job,
  type JobState,
  type Json,
  type StoreChange,
} from '@gopherqueue/core';
import { unknownJobError } from '../job-errors.js';
import { rowToJob, type JobRow } from './job-row.js';
import { notSkippedSql } from './queue-limits.js';
import { escapeLiteral, textArray } from './sql.js';
import { appendTransitionSql, DROP_LEASE, updated } from './transition-sql.js';

/** One `complete` call as the batcher queues it. */
export interface CompleteInput {
  id: string;
  token: string;
  result: Json;
  now: number;
}

/**
 * The statements that complete many jobs in one transaction, values written in as literals: one
 * compare-and-set UPDATE (each row on its own id and token, numbered by its place in `inputs`),
 * then the release of the dependents of every input job that is now completed, by the
 * `release_dependents` function of migration 16 (whose statements see dependency rows a
 * submitter committed while the UPDATE waited). The
 * UPDATE tests `state || ''`, not `state`: `state = 'running'` is the predicate of the partial
 * lease index, and while the statistics took few jobs to be running (before ANALYZE counted
 * them) the planner read all the running jobs through it to find the batch's, 3.5 ms for 32
 * completions among 5,000 running against 0.7 ms by the primary key.
 */
export function completeStatements(s: string, inputs: readonly CompleteInput[]): string[] {
  const ids = textArray(inputs.map((i) => i.id));
  const now = String(Math.round(Math.max(...inputs.map((i) => i.now))));
  return [
    `UPDATE ${s}.jobs j SET state = 'completed', result = u.result::jsonb, finished_at = u.now,
       updated_at = u.now, ${DROP_LEASE}, ${appendTransitionSql('j', 'completed', 'u.now', 'j.attempt')},
       progress = CASE WHEN jsonb_typeof(j.progress) IN ('object', 'array') THEN j.progress
         ELSE '100'::jsonb END
     FROM unnest(${ids}, ${textArray(inputs.map((i) => i.token))},
       ${textArray(inputs.map((i) => JSON.stringify(i.result ?? null)))},
       ARRAY[${inputs.map((i) => String(Math.round(i.now))).join(',')}]::bigint[]) WITH ORDINALITY
       AS u(id, token, result, now, ord)
     WHERE j.id = u.id AND (j.state || '') = 'running' AND j.lease_token = u.token
     RETURNING j.*, u.ord::int AS ord`,
    `SELECT * FROM ${s}.release_dependents(${ids}, ${now})`,
  ];
}

/**
 * Reads the rows of {@link completeStatements}: per input, the completed job, or undefined when
 * its compare-and-set matched nothing (see {@link completionErrors}). Records the changes.
 */
export function readCompletions(
  rowSets: unknown[][],
  inputs: readonly CompleteInput[],
  changes: StoreChange[],
): (Job | undefined)[] {
  const out: (Job | undefined)[] = inputs.map(() => undefined);
  for (const row of (rowSets[0] ?? []) as (JobRow & { ord: number })[]) {
    const job = rowToJob(row);
    out[row.ord - 1] = job;
    changes.push(updated(job, 'running'));
  }
  for (const row of (rowSets[1] ?? []) as JobRow[]) changes.push(updated(rowToJob(row), 'pending'));
  return out;
}

/** Why completions matched no row: GQ_NOT_FOUND, or GQ_LEASE_LOST naming the job's state. */
export function completionErrors(
  ids: readonly string[],
  states: ReadonlyMap<string, JobState>,
): GqError[] {
  return ids.map((id) => {
    const state = states.get(id);
    return state === undefined
      ? unknownJobError(id)
      : new GqError(ErrorCode.LEASE_LOST, `job ${id} is ${state}: the lease is gone`, {
          details: { id, state },
        });
  });
}

/**
 * The claim statement for several claimers with the same `types` and `queues`, its values
 * written in as literals so it can travel in one round trip with BEGIN and COMMIT: it locks the
 * first (sum of limits) runnable jobs in claim order with `FOR UPDATE SKIP LOCKED` and numbers
 * them; slot k of that order gets the lease length and worker of the k-th requested slot.
 */
export function claimStatement(s: string, requests: readonly ClaimOptions[], now: number): string {
  const first = requests[0] as ClaimOptions;
  const leases: number[] = [];
  const workers: string[] = [];
  for (const r of requests) {
    for (let i = 0; i < r.limit; i++) {
      leases.push(Math.round(r.leaseMs));
      workers.push(r.workerId);
    }
  }
  const at = String(Math.round(now));
  // Most flushes hold one claimer, or claimers of one worker with one lease length: a single
  // value then stands for the whole array, which spares the server parsing a literal per job.
  const lease = leases.every((l) => l === leases[0])
    ? String(leases[0] ?? 0)
    : `(ARRAY[${leases.join(',')}]::bigint[])[ranked.rn]`;
  const worker = workers.every((w) => w === workers[0])
    ? escapeLiteral(workers[0] ?? '')
    : `(${textArray(workers)})[ranked.rn]`;
  return `WITH next AS (
    SELECT id, state, priority, run_at, seq FROM ${s}.jobs j
    WHERE state IN ('scheduled', 'delayed', 'retrying') AND run_at <= ${at}
      AND ${notExpiredSql(at)}
      ${first.types === undefined ? '' : `AND type = ANY(${textArray(first.types)})`}
      ${first.queues === undefined ? '' : `AND queue = ANY(${textArray(first.queues)})`}
      AND ${notSkippedSql(s, 'j')}
    ORDER BY priority, run_at, seq
    LIMIT ${leases.length}
    FOR UPDATE OF j SKIP LOCKED
  ), ranked AS (
    SELECT id, state, row_number() OVER (ORDER BY priority, run_at, seq) AS rn FROM next
  )
  UPDATE ${s}.jobs j SET state = 'running', attempt = j.attempt + 1, started_at = ${at},
    updated_at = ${at}, lease_token = gen_random_uuid()::text,
    ${appendTransitionSql('j', 'running', at, 'j.attempt + 1')},
    lease_expires_at = ${at}::bigint + ${lease},
    worker_id = ${worker}
  FROM ranked WHERE j.id = ranked.id
  RETURNING j.*, ranked.state AS previous, ranked.rn::int AS rn`;
}

/**
 * Hands the rows of one {@link claimStatement} to its claimers in claim order, the first
 * claimer's `limit` first, and records the changes. Returns each claimer's jobs.
 */
export function distributeClaims(
  rows: (JobRow & { previous: JobState; rn: number })[],
  requests: readonly ClaimOptions[],
  changes: StoreChange[],
): Job[][] {
  rows.sort((a, b) => a.rn - b.rn);
  const out: Job[][] = [];
  let offset = 0;
  for (const r of requests) {
    const mine = rows.filter((row) => row.rn > offset && row.rn <= offset + r.limit);
    offset += r.limit;
    out.push(
      mine.map((row) => {
        const job = rowToJob(row);
        changes.push(updated(job, row.previous));
        return job;
      }),
    );
  }
  return out;
}
