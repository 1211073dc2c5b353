import {
  GqError,
  type ClaimOptions,
  type Job,
  type JobSpec,
  type SubmitResult,
} from '@gopherqueue/core';
import { claimMany, completeMany, type CompleteInput } from './batched-ops.js';
import type { BatchItem } from './batcher.js';
import type { PgExecutor } from './pg-executor.js';
import { submitJobs } from './submit-jobs.js';

/**
 * Set for claim transactions: walk the claim index in order and stop at the limit, even before
 * ANALYZE has seen a freshly loaded backlog (the planner would otherwise bitmap-scan and sort it).
 */
const CLAIM_SETTINGS = 'SET LOCAL enable_bitmapscan = off';

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
  const results = await exec.tx(async (c, changes) => {
    const out = new Map<BatchItem<ClaimOptions, Job[]>, Job[]>();
    for (const group of groups.values()) {
      const jobs = await claimMany(
        c,
        s,
        group.map((item) => item.input),
        now,
        changes,
      );
      group.forEach((item, i) => out.set(item, jobs[i] ?? []));
    }
    return out;
  }, CLAIM_SETTINGS);
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
  const results = await exec.tx((c, changes) =>
    completeMany(
      c,
      s,
      items.map((item) => item.input),
      changes,
    ),
  );
  items.forEach((item, i) => {
    const result = results[i];
    if (result instanceof GqError) item.reject(result);
    else item.resolve(result as Job);
  });
}

/**
 * Runs single submits that arrived together in one transaction (one commit for all). Each is
 * still its own submit: when the shared transaction fails (a duplicate id, an unknown dependency,
 * a value the database refuses), it rolled back whole, and every submit then runs alone, so each
 * caller gets its own result or error and no one's job depends on another's.
 */
export async function flushSubmits(
  exec: PgExecutor,
  s: string,
  now: () => number,
  items: BatchItem<JobSpec, SubmitResult>[],
): Promise<void> {
  const submit = (specs: JobSpec[]): Promise<SubmitResult[]> =>
    exec.tx((c, changes) => submitJobs(c, s, specs, now(), changes));
  if (items.length > 1) {
    try {
      const results = await submit(items.map((item) => item.input));
      items.forEach((item, i) => item.resolve(results[i] as SubmitResult));
      return;
    } catch {
      // Fall through: one transaction each.
    }
  }
  await Promise.all(
    items.map(async (item) => {
      try {
        const [result] = await submit([item.input]);
        item.resolve(result as SubmitResult);
      } catch (err) {
        item.reject(err);
      }
    }),
  );
}
