import type { GqError } from '@gopherqueue/core';
import { type ClaimOptions, type Job, type JobSpec, type SubmitResult } from '@gopherqueue/core';
import {
  claimStatement,
  completeStatements,
  completionErrors,
  distributeClaims,
  readCompletions,
  type CompleteInput,
} from './batched-ops.js';
import type { JobRow } from './job-row.js';
import { dollarQuoted } from './sql.js';
import type { BatchItem } from './batcher.js';
import type { PgExecutor } from './pg-executor.js';
import {
  insertedJobs,
  insertJobsJson,
  insertJobsSql,
  newJob,
  submitJobs,
  type InsertedRow,
} from './submit-jobs.js';

/**
 * Set for claim transactions: walk the claim index in order and stop at the limit, even before
 * ANALYZE has seen a freshly loaded backlog (the planner would otherwise bitmap-scan and sort it);
 * and commit without waiting for the WAL flush. A claim acknowledges nothing to a producer (see
 * the Store contract's durability): other sessions see it at its commit, only a crash of the
 * server can forget it (its jobs are then runnable again), and any later synchronous commit,
 * such as the completion of one of its jobs, flushes it first, as the WAL is written in order.
 * That spares one WAL flush between a submit and its handler's start.
 */
export const CLAIM_SETTINGS =
  'SET LOCAL enable_bitmapscan = off; SET LOCAL synchronous_commit = off';

/**
 * Set for completion transactions: find each job of the batch by its primary key. The planner
 * costs a batch of 100 or more completions against a table of some ten thousand rows as cheaper
 * by a hash join over a sequential scan of the whole table, which then reads every row, dead
 * versions included: 30 to 50 ms for one batch where the lookups by key take 4.
 */
export const COMPLETE_SETTINGS = 'SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off';

/**
 * Runs the claims queued together in one transaction: one statement per distinct
 * (`types`, `queues`) filter, each claimer getting its own jobs in claim order.
 */
export async function flushClaims(
  exec: PgExecutor,
  s: string,
  now: number,
  items: BatchItem<ClaimOptions, Job[]>[],
): Promise<void> {
  const groups = new Map<string, BatchItem<ClaimOptions, Job[]>[]>();
  for (const item of items) {
    const key = JSON.stringify([item.input.types ?? null, item.input.queues ?? null]);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  const requests = [...groups.values()];
  const results = await exec.script(
    requests.map((group) =>
      claimStatement(
        s,
        group.map((item) => item.input),
        now,
      ),
    ),
    CLAIM_SETTINGS,
    (rowSets, changes) => {
      const out = new Map<BatchItem<ClaimOptions, Job[]>, Job[]>();
      requests.forEach((group, g) => {
        const rows = (rowSets[g] ?? []) as (JobRow & { previous: Job['state']; rn: number })[];
        const jobs = distributeClaims(
          rows,
          group.map((item) => item.input),
          changes,
        );
        group.forEach((item, i) => out.set(item, jobs[i] ?? []));
      });
      return out;
    },
  );
  for (const [item, jobs] of results) item.resolve(jobs);
}

/**
 * Runs the completions queued together in one transaction (one commit, one WAL flush); each is
 * still its own compare-and-set, and a stale token rejects only its own call.
 */
export async function flushCompletes(
  exec: PgExecutor,
  s: string,
  items: BatchItem<CompleteInput, Job>[],
): Promise<void> {
  const inputs = items.map((item) => item.input);
  const jobs = await exec.script(
    completeStatements(s, inputs),
    COMPLETE_SETTINGS,
    (rowSets, changes) => readCompletions(rowSets, inputs, changes),
  );
  const missed = inputs.flatMap((input, i) => (jobs[i] === undefined ? [input.id] : []));
  const errors = new Map<string, GqError>();
  if (missed.length > 0) {
    const rows = await exec.query<{ id: string; state: Job['state'] }>(
      `SELECT id, state FROM ${s}.jobs WHERE id = ANY($1::text[])`,
      [missed],
    );
    const states = new Map(rows.map((r) => [r.id, r.state]));
    completionErrors(missed, states).forEach((err, i) => errors.set(missed[i] as string, err));
  }
  items.forEach((item, i) => {
    const job = jobs[i];
    if (job !== undefined) item.resolve(job);
    else item.reject(errors.get(item.input.id));
  });
}

/**
 * Runs single submits that arrived together in one transaction (one commit for all), each still
 * its own submit. Without dependencies they are one INSERT in one round trip, and any whose id or
 * idempotency key was taken is then submitted alone (to dedupe it or reject it by itself). With
 * dependencies they share one transaction; if it fails (a duplicate id, an unknown dependency, a
 * value the database refuses) it rolled back whole, and every submit runs alone, so each caller
 * gets its own result or error and no one's job depends on another's.
 */
export async function flushSubmits(
  exec: PgExecutor,
  s: string,
  now: () => number,
  items: BatchItem<JobSpec, SubmitResult>[],
): Promise<void> {
  const submit = (specs: JobSpec[]): Promise<SubmitResult[]> =>
    exec.tx((c, changes) => submitJobs(c, s, specs, now(), changes));
  let alone = items;
  if (items.length > 1 || items[0]?.input.dependsOn.length === 0) {
    try {
      alone = items.every((item) => item.input.dependsOn.length === 0)
        ? await insertIndependent(exec, s, now(), items)
        : await submitTogether(submit, items);
    } catch {
      // Fall through: one transaction each.
    }
  }
  await Promise.all(
    alone.map(async (item) => {
      try {
        const [result] = await submit([item.input]);
        item.resolve(result as SubmitResult);
      } catch (err) {
        item.reject(err);
      }
    }),
  );
}

/** All in one transaction, all or nothing; resolves every item. */
async function submitTogether(
  submit: (specs: JobSpec[]) => Promise<SubmitResult[]>,
  items: BatchItem<JobSpec, SubmitResult>[],
): Promise<BatchItem<JobSpec, SubmitResult>[]> {
  const results = await submit(items.map((item) => item.input));
  items.forEach((item, i) => item.resolve(results[i] as SubmitResult));
  return [];
}

/**
 * Submits without dependencies in one round trip: one INSERT that skips taken ids and keys.
 * Resolves the items it inserted and returns the others (a duplicate id or idempotency key),
 * which the caller submits alone to get each its own answer.
 */
async function insertIndependent(
  exec: PgExecutor,
  s: string,
  now: number,
  items: BatchItem<JobSpec, SubmitResult>[],
): Promise<BatchItem<JobSpec, SubmitResult>[]> {
  const jobs = items.map((item) => newJob(item.input, now, () => undefined));
  const sql = insertJobsSql(s, dollarQuoted(insertJobsJson(jobs)));
  const inserted = await exec.script([sql], undefined, (rowSets, changes) => {
    const byId = insertedJobs(jobs, (rowSets[0] ?? []) as InsertedRow[]);
    for (const job of byId.values()) {
      changes.push({
        kind: 'created',
        id: job.id,
        state: job.state,
        queue: job.queue,
        runAt: job.runAt,
        job,
      });
    }
    return byId;
  });
  const rest: BatchItem<JobSpec, SubmitResult>[] = [];
  for (const item of items) {
    const job = inserted.get(item.input.id);
    if (job === undefined) {
      rest.push(item);
      continue;
    }
    inserted.delete(item.input.id);
    item.resolve({ job, deduplicated: false });
  }
  return rest;
}

/**
 * Runs single submits with unique or debounce keys that arrived together in one transaction:
 * racing submits of one key then take one row lock in turn instead of a connection each. If the
 * transaction fails (an unknown dependency, a duplicate id), each runs alone, one after another,
 * so each caller gets its own result or error.
 */
export async function flushKeyedSubmits(
  exec: PgExecutor,
  s: string,
  now: () => number,
  items: BatchItem<JobSpec, SubmitResult>[],
): Promise<void> {
  const submit = (specs: JobSpec[]): Promise<SubmitResult[]> =>
    exec.tx((c, changes) => submitJobs(c, s, specs, now(), changes));
  try {
    await submitTogether(submit, items);
    return;
  } catch (err) {
    const only = items.length === 1 ? items[0] : undefined;
    if (only !== undefined) {
      only.reject(err);
      return;
    }
  }
  for (const item of items) {
    try {
      const [result] = await submit([item.input]);
      item.resolve(result as SubmitResult);
    } catch (err) {
      item.reject(err);
    }
  }
}
