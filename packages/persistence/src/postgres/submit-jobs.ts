import {
  ErrorCode,
  GqError,
  type Job,
  type JobSpec,
  type JobState,
  type StoreChange,
  type SubmitResult,
} from '@gopherqueue/core';
import type pg from 'pg';
import { createdJob } from '../job-versions.js';
import type { ChangeFeed } from './change-feed.js';
import { hasAdmissionKey, submitKeyed } from './keyed-submit.js';
import { toStoreError } from './pg-errors.js';
import {
  JOB_COLUMNS,
  jobRecordsJson,
  RECORD_COLUMNS,
  recordSelectList,
  rowToJob,
  type JobRow,
} from './job-row.js';

const UNSUCCESSFUL: ReadonlySet<JobState> = new Set(['failed', 'dead_letter', 'cancelled']);
const INSERT_COLUMNS = JOB_COLUMNS.filter((c) => c !== 'attempt' && c !== 'errors');

/**
 * Inserts `specs` on `client` inside a transaction the caller controls: the store's own, or an
 * application's (transactional submit). All or nothing only if the caller rolls back on a throw.
 *
 * Dependencies are read `FOR SHARE`, so a dependency cannot complete or fail between this read
 * and the commit: its completion waits for us and then sees our `dependencies` rows. Idempotency
 * keys are scoped per queue and rely on the unique index on (queue, idempotency_key) of the jobs
 * that have one: `ON CONFLICT DO NOTHING` waits for a racing insert of the same key in the same
 * queue to commit, then the existing job is read back.
 * @throws GQ_NOT_FOUND for an unknown dependency, GQ_CONFLICT for an id that exists.
 */
export async function submitJobs(
  client: pg.ClientBase,
  s: string,
  specs: readonly JobSpec[],
  now: number,
  changes: StoreChange[],
): Promise<SubmitResult[]> {
  if (!specs.some(hasAdmissionKey)) return insertSpecs(client, s, specs, now, changes);
  return submitKeyed(client, s, specs, now, changes, (plain) =>
    insertSpecs(client, s, plain, now, changes),
  );
}

/** {@link submitJobs} of specs without unique or debounce keys. */
async function insertSpecs(
  client: pg.ClientBase,
  s: string,
  specs: readonly JobSpec[],
  now: number,
  changes: StoreChange[],
): Promise<SubmitResult[]> {
  const batchStates = new Map<string, JobState>();
  const external = new Set<string>();
  specs.forEach((spec) => {
    for (const dep of spec.dependsOn) if (!batchStates.has(dep)) external.add(dep);
    batchStates.set(spec.id, 'scheduled');
  });
  const depStates = new Map<string, JobState>();
  if (external.size > 0) {
    const { rows } = await client.query<{ id: string; state: JobState }>(
      `SELECT id, state FROM ${s}.jobs WHERE id = ANY($1::text[]) ORDER BY id FOR SHARE`,
      [[...external]],
    );
    for (const row of rows) depStates.set(row.id, row.state);
    const missing = [...external].filter((id) => !depStates.has(id));
    if (missing.length > 0) {
      throw new GqError(ErrorCode.NOT_FOUND, `dependency ${missing[0]} does not exist`, {
        details: { dependsOn: missing },
      });
    }
  }

  const jobs = specs.map((spec) => {
    const job = newJob(spec, now, (dep) => depStates.get(dep) ?? batchStates.get(dep));
    batchStates.set(spec.id, job.state);
    return job;
  });

  const { rows } = await client.query<InsertedRow>(insertJobsSql(s, '$1'), [insertJobsJson(jobs)]);
  const inserted = insertedJobs(jobs, rows);

  // Idempotency keys are scoped per queue (queue names contain no `!`).
  const keyOf = (queue: string, key: string): string => `${queue}!${key}`;
  const missing = specs.filter(
    (spec) => !inserted.has(spec.id) && spec.idempotencyKey !== undefined,
  );
  const byKey = new Map<string, Job>();
  if (missing.length > 0) {
    const existing = await client.query<JobRow>(
      `SELECT j.* FROM ${s}.jobs j
       JOIN unnest($1::text[], $2::text[]) AS k(queue, key)
         ON j.queue = k.queue AND j.idempotency_key = k.key
       WHERE j.idempotency_key IS NOT NULL`,
      [missing.map((spec) => spec.queue), missing.map((spec) => spec.idempotencyKey)],
    );
    for (const row of existing.rows) {
      byKey.set(keyOf(row.queue, row.idempotency_key as string), rowToJob(row));
    }
  }

  const results: SubmitResult[] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    const created = inserted.get(spec.id);
    if (created && !seen.has(spec.id)) {
      seen.add(spec.id);
      results.push({ job: created, deduplicated: false });
      continue;
    }
    const original =
      spec.idempotencyKey === undefined
        ? undefined
        : byKey.get(keyOf(spec.queue, spec.idempotencyKey));
    if (!original) {
      throw new GqError(ErrorCode.CONFLICT, `a job with id ${spec.id} already exists`, {
        details: { id: spec.id },
      });
    }
    results.push({ job: original, deduplicated: true });
  }

  const edges = results
    .filter((r) => !r.deduplicated && r.job.state === 'pending')
    .flatMap((r) => r.job.waitingOn.map((dep) => [r.job.id, dep] as const));
  if (edges.length > 0) {
    await client.query(
      `INSERT INTO ${s}.dependencies (job_id, depends_on_id)
       SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
      [edges.map((e) => e[0]), edges.map((e) => e[1])],
    );
  }
  for (const r of results) {
    if (r.deduplicated) continue;
    changes.push({
      kind: 'created',
      id: r.job.id,
      state: r.job.state,
      queue: r.job.queue,
      runAt: r.job.runAt,
      job: r.job,
    });
  }
  return results;
}

/**
 * Submits `specs` inside an application's open transaction on `client`, under a savepoint so a
 * failed submit leaves the application's transaction usable; the NOTIFY is part of that
 * transaction, so other nodes hear of the jobs only if it commits.
 * @throws GQ_INVALID_ARGUMENT when `client` is not inside a transaction.
 */
export async function submitInTransaction(
  client: pg.ClientBase,
  s: string,
  specs: readonly JobSpec[],
  now: number,
  feed: ChangeFeed,
  where: string,
): Promise<SubmitResult[]> {
  try {
    await client.query('SAVEPOINT gopherqueue_submit');
  } catch (err) {
    throw new GqError(
      ErrorCode.INVALID_ARGUMENT,
      "submit with { client } must run inside the client's transaction (after BEGIN)",
      { cause: err },
    );
  }
  try {
    const changes: StoreChange[] = [];
    const results = await submitJobs(client, s, specs, now, changes);
    await feed.notifyIn(client, changes);
    await client.query('RELEASE SAVEPOINT gopherqueue_submit');
    return results;
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT gopherqueue_submit').catch(() => undefined);
    throw toStoreError(err, where);
  }
}

/**
 * The INSERT of new jobs, in the given order (so `seq` follows it), skipping any whose id, or
 * idempotency key in its queue, is taken: `json` is where the {@link insertJobsJson} text goes
 * (a `$n` parameter or a quoted literal). It returns each inserted job's id and `seq` (see
 * {@link insertedJobs}). `leaveOut` names columns not to write (a test filling a schema of an
 * earlier migration, which lacks them).
 */
export function insertJobsSql(s: string, json: string, leaveOut: readonly string[] = []): string {
  const columns = INSERT_COLUMNS.filter((c) => !leaveOut.includes(c));
  return `INSERT INTO ${s}.jobs (${columns.join(', ')})
     SELECT ${recordSelectList(columns)}
     FROM jsonb_to_recordset(${json}::jsonb) AS x(${RECORD_COLUMNS}, ord integer)
     ORDER BY x.ord
     ON CONFLICT DO NOTHING
     RETURNING id, seq`;
}

/** A row {@link insertJobsSql} returns: a job it inserted, and the `seq` the table gave it. */
export interface InsertedRow {
  id: string;
  seq: string | number;
}

/**
 * The jobs of `jobs` that {@link insertJobsSql} inserted, by id, each with its `seq`. The rest of
 * a job is what was sent, so the rows need not come back (parsing them cost the client more than
 * building them did); a job skipped for a taken id or key has no row.
 */
export function insertedJobs(jobs: readonly Job[], rows: readonly InsertedRow[]): Map<string, Job> {
  const seqs = new Map(rows.map((row) => [row.id, Number(row.seq)]));
  const inserted = new Map<string, Job>();
  for (const job of jobs) {
    const seq = seqs.get(job.id);
    // A second job with the same id in one batch was skipped; the first is the one inserted.
    if (seq === undefined || inserted.has(job.id)) continue;
    inserted.set(job.id, { ...job, seq });
  }
  return inserted;
}

/** The rows of {@link insertJobsSql}, as JSON text. */
export function insertJobsJson(jobs: readonly Job[]): string {
  return jobRecordsJson(jobs);
}

/** The job a spec becomes, given the states of its dependencies (undefined: unknown). */
export function newJob(
  spec: JobSpec,
  now: number,
  depState: (id: string) => JobState | undefined,
): Job {
  const states = spec.dependsOn.map(depState);
  const failed = states.some((state) => state !== undefined && UNSUCCESSFUL.has(state));
  const waitingOn = spec.dependsOn.filter((_, i) => states[i] !== 'completed');
  const job = createdJob(spec, now, 0, waitingOn, failed);
  job.dependsOn = [...spec.dependsOn];
  return job;
}
