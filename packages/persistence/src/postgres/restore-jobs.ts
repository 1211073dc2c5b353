import type { Job, StoreChange } from '@gopherqueue/core';
import type pg from 'pg';
import { restoredJob } from '../job-versions.js';
import {
  JOB_COLUMNS,
  jobRecordsJson,
  RECORD_COLUMNS,
  recordSelectList,
  rowToJob,
  type JobRow,
} from './job-row.js';

/** Rows per page of {@link scanJobs}. */
const SCAN_PAGE = 500;

/** Every job in id order, one page of {@link SCAN_PAGE} rows per query. */
export async function* scanJobs(
  s: string,
  query: <R extends object>(text: string, values?: unknown[]) => Promise<R[]>,
): AsyncIterable<Job> {
  let after = '';
  for (;;) {
    const rows = await query<JobRow>(
      `SELECT * FROM ${s}.jobs WHERE id > $1 ORDER BY id LIMIT ${SCAN_PAGE}`,
      [after],
    );
    for (const row of rows) yield rowToJob(row);
    const last = rows.at(-1);
    if (!last || rows.length < SCAN_PAGE) return;
    after = last.id;
  }
}

/**
 * The jobs to restore, each pending one settled against its dependencies as they are now (see
 * `restoredJob`): a stored job as it is, else one restored with it. The stored ones are read
 * `FOR SHARE`, so none can end between this read and the commit without seeing the dependency
 * rows written here.
 */
async function settleDependencies(
  c: pg.ClientBase,
  s: string,
  jobs: readonly Job[],
  now: number,
): Promise<readonly Job[]> {
  const waited = [
    ...new Set(jobs.flatMap((job) => (job.state === 'pending' ? job.waitingOn : []))),
  ];
  if (waited.length === 0) return jobs;
  const { rows } = await c.query<{ id: string; state: Job['state'] }>(
    `SELECT id, state FROM ${s}.jobs WHERE id = ANY($1::text[]) ORDER BY id FOR SHARE`,
    [waited],
  );
  const states = new Map<string, Pick<Job, 'id' | 'state'>>(rows.map((r) => [r.id, r]));
  for (const job of jobs) if (!states.has(job.id)) states.set(job.id, job);
  return jobs.map((job) =>
    restoredJob(
      job,
      job.waitingOn.map((dep) => states.get(dep)),
      now,
    ),
  );
}

/**
 * Writes the jobs whose id is not stored (nor their idempotency key held in their queue) inside
 * the caller's transaction, with fresh seqs in the order given, rebuilds their dependency rows
 * from `waitingOn`, and returns how many it wrote. A stored job is left as it is.
 */
export async function restoreJobs(
  c: pg.ClientBase,
  s: string,
  given: readonly Job[],
  now: number,
  changes: StoreChange[],
): Promise<number> {
  const jobs = await settleDependencies(c, s, given, now);
  // Every column but seq, which the sequence hands out in the order given; a conflict on the id
  // or on the idempotency key skips the row, including a repeat of an earlier row of this call.
  const { rows } = await c.query<JobRow>(
    `INSERT INTO ${s}.jobs (${JOB_COLUMNS.join(', ')})
     SELECT ${recordSelectList(JOB_COLUMNS)}
     FROM jsonb_to_recordset($1::jsonb) AS x(${RECORD_COLUMNS}, ord integer)
     ORDER BY x.ord
     ON CONFLICT DO NOTHING
     RETURNING *`,
    [jobRecordsJson(jobs)],
  );
  const ids = rows.map((r) => r.id);
  await c.query(
    `INSERT INTO ${s}.dependencies (job_id, depends_on_id)
     SELECT j.id, w FROM ${s}.jobs j, jsonb_array_elements_text(j.waiting_on) w
     WHERE j.id = ANY($1::text[]) AND j.state = 'pending' ON CONFLICT DO NOTHING`,
    [ids],
  );
  // A restored job with a unique or debounce key names itself as its holder, unless a stored
  // job's row names another (whether the holder still holds it is decided at the next submit).
  await c.query(
    `INSERT INTO ${s}.job_keys (kind, queue, key, job_id)
     SELECT k.kind, j.queue, k.key, j.id FROM ${s}.jobs j,
       LATERAL (VALUES ('unique', j.uniq ->> 'key'), ('debounce', j.debounce ->> 'key')) AS k(kind, key)
     WHERE j.id = ANY($1::text[]) AND k.key IS NOT NULL
     ON CONFLICT (kind, queue, key) DO NOTHING`,
    [ids],
  );
  for (const row of rows) {
    const job = rowToJob(row);
    changes.push({
      kind: 'created',
      id: job.id,
      state: job.state,
      queue: job.queue,
      runAt: job.runAt,
      job,
    });
  }
  return rows.length;
}
