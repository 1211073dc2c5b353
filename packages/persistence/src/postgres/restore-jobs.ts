import type { Job, StoreChange } from '@gopherqueue/core';
import type pg from 'pg';
import {
  JOB_COLUMNS,
  jobToRecord,
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
 * Writes `jobs` exactly as given (import), replacing rows with the same id, inside the caller's
 * transaction: rebuilds their dependency rows from `waitingOn` and moves the `seq` sequence past
 * every restored `seq`, so later submits still sort after them.
 */
export async function restoreJobs(
  c: pg.ClientBase,
  s: string,
  jobs: readonly Job[],
  changes: StoreChange[],
): Promise<void> {
  const columns = ['seq', ...JOB_COLUMNS];
  const { rows } = await c.query<JobRow>(
    `INSERT INTO ${s}.jobs (${columns.join(', ')})
     SELECT ${recordSelectList(columns)} FROM jsonb_to_recordset($1::jsonb) AS x(${RECORD_COLUMNS})
     ON CONFLICT (id) DO UPDATE SET ${columns.map((col) => `${col} = excluded.${col}`).join(', ')}
     RETURNING *`,
    [JSON.stringify(jobs.map(jobToRecord))],
  );
  const ids = rows.map((r) => r.id);
  await c.query(`DELETE FROM ${s}.dependencies WHERE job_id = ANY($1::text[])`, [ids]);
  await c.query(
    `INSERT INTO ${s}.dependencies (job_id, depends_on_id)
     SELECT j.id, w FROM ${s}.jobs j, jsonb_array_elements_text(j.waiting_on) w
     WHERE j.id = ANY($1::text[]) AND j.state = 'pending' ON CONFLICT DO NOTHING`,
    [ids],
  );
  await c.query(
    `SELECT setval(pg_get_serial_sequence('${s}.jobs', 'seq'),
       greatest((SELECT max(seq) FROM ${s}.jobs),
                (SELECT last_value FROM ${s}.jobs_seq_seq)))`,
  );
  for (const row of rows) {
    const job = rowToJob(row);
    changes.push({
      kind: 'updated',
      id: job.id,
      state: job.state,
      queue: job.queue,
      runAt: job.runAt,
      job,
    });
  }
}
