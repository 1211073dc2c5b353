import {
  ErrorCode,
  GqError,
  type ClaimOptions,
  type Job,
  type JobState,
  type Json,
  type StoreChange,
} from '@gopherqueue/core';
import type pg from 'pg';
import { rowToJob, type JobRow } from './job-row.js';
import { DROP_LEASE, notFound, releaseDependents, updated } from './job-transitions.js';

/** One `complete` call as the batcher queues it. */
export interface CompleteInput {
  id: string;
  token: string;
  result: Json;
  now: number;
}

/**
 * Completes many jobs in one compare-and-set statement (each row on its own id and token), then
 * releases their dependents. Returns, per input, the completed job or the error for that call.
 */
export async function completeMany(
  c: pg.ClientBase,
  s: string,
  inputs: readonly CompleteInput[],
  changes: StoreChange[],
): Promise<(Job | GqError)[]> {
  const { rows } = await c.query<JobRow & { ord: number }>(
    `UPDATE ${s}.jobs j SET state = 'completed', result = u.result::jsonb, finished_at = u.now,
       updated_at = u.now, ${DROP_LEASE}
     FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY
       AS u(id, token, result, now, ord)
     WHERE j.id = u.id AND j.state = 'running' AND j.lease_token = u.token
     RETURNING j.*, u.ord::int AS ord`,
    [
      inputs.map((i) => i.id),
      inputs.map((i) => i.token),
      inputs.map((i) => JSON.stringify(i.result ?? null)),
      inputs.map((i) => i.now),
    ],
  );
  const out: (Job | GqError | undefined)[] = inputs.map(() => undefined);
  for (const row of rows) {
    const job = rowToJob(row);
    out[row.ord - 1] = job;
    changes.push(updated(job, 'running'));
  }
  const missed = inputs.flatMap((input, i) => (out[i] === undefined ? [input.id] : []));
  if (missed.length > 0) {
    const states = await c.query<{ id: string; state: JobState }>(
      `SELECT id, state FROM ${s}.jobs WHERE id = ANY($1::text[])`,
      [missed],
    );
    const byId = new Map(states.rows.map((r) => [r.id, r.state]));
    inputs.forEach((input, i) => {
      if (out[i] !== undefined) return;
      const state = byId.get(input.id);
      out[i] =
        state === undefined
          ? notFound(input.id)
          : new GqError(ErrorCode.LEASE_LOST, `job ${input.id} is ${state}: the lease is gone`, {
              details: { id: input.id, state },
            });
    });
  }
  if (rows.length > 0) {
    const now = Math.max(...inputs.map((i) => i.now));
    await releaseDependents(
      c,
      s,
      rows.map((r) => r.id),
      now,
      changes,
    );
  }
  return out as (Job | GqError)[];
}

/** The claim statement for several claimers with the same filters: slot k goes to one claimer. */
function claimSql(s: string, byType: boolean, byQueue: boolean): string {
  return `WITH next AS (
    SELECT id, state, priority, run_at, seq FROM ${s}.jobs j
    WHERE state IN ('scheduled', 'delayed', 'retrying') AND run_at <= $1
      ${byType ? 'AND type = ANY($5::text[])' : 'AND $5::text[] IS NULL'}
      ${byQueue ? 'AND queue = ANY($6::text[])' : 'AND $6::text[] IS NULL'}
      AND j.queue <> ALL (coalesce((SELECT array_agg(name) FROM ${s}.queues WHERE paused), '{}'))
    ORDER BY priority, run_at, seq
    LIMIT $2
    FOR UPDATE OF j SKIP LOCKED
  ), ranked AS (
    SELECT id, state, row_number() OVER (ORDER BY priority, run_at, seq) AS rn FROM next
  )
  UPDATE ${s}.jobs j SET state = 'running', attempt = j.attempt + 1, started_at = $1,
    updated_at = $1, lease_token = gen_random_uuid()::text,
    lease_expires_at = $1::bigint + ($3::bigint[])[ranked.rn], worker_id = ($4::text[])[ranked.rn]
  FROM ranked WHERE j.id = ranked.id
  RETURNING j.*, ranked.state AS previous, ranked.rn::int AS rn`;
}

/**
 * Claims for several callers that use the same `types` and `queues` in one statement: it locks
 * the first (sum of limits) runnable jobs in claim order with `FOR UPDATE SKIP LOCKED` and hands
 * them out in that order, the first caller's `limit` first. Returns each caller's jobs, in order.
 */
export async function claimMany(
  c: pg.ClientBase,
  s: string,
  requests: readonly ClaimOptions[],
  now: number,
  changes: StoreChange[],
): Promise<Job[][]> {
  const first = requests[0] as ClaimOptions;
  const leases: number[] = [];
  const workers: string[] = [];
  for (const r of requests) {
    for (let i = 0; i < r.limit; i++) {
      leases.push(Math.round(r.leaseMs));
      workers.push(r.workerId);
    }
  }
  const { rows } = await c.query<JobRow & { previous: JobState; rn: number }>(
    claimSql(s, first.types !== undefined, first.queues !== undefined),
    [now, leases.length, leases, workers, first.types ?? null, first.queues ?? null],
  );
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
