import {
  ErrorCode,
  GqError,
  neverStarted,
  uniqueHolds,
  type Job,
  type JobSpec,
  type SubmitResult,
} from '@gopherqueue/core';
import type { JobLookup } from './job-lookup.js';
import { keys } from './level-keys.js';
import { createdJob, debouncedJob } from '../job-versions.js';
import { checkSpecTimes } from '../time-bounds.js';

/** Where a submit starts from. */
export interface SubmitContext {
  now: number;
  /** The last `seq` handed out. */
  seq: number;
  /** The greatest job id ever stored: a larger id cannot exist yet. */
  maxId: string;
}

/** What a submit will write. */
export interface SubmitPlan {
  /** New jobs, in submission order. */
  created: Job[];
  /** Stored jobs a debounce changed: the stored version and the new one. */
  updated: { before: Job; after: Job }[];
  results: SubmitResult[];
  seq: number;
  maxId: string;
}

/**
 * Decides, without writing, what a batch of specs creates: deduplicates by idempotency key within
 * the spec's queue (against stored jobs and earlier specs of the batch), rejects ids that exist, and resolves
 * dependencies (waiting on active ones, cancelled for a failed one, rejected for unknown ones).
 * All or nothing: it throws before anything is written.
 * @throws GQ_CONFLICT for an existing id, GQ_NOT_FOUND for an unknown dependency,
 * GQ_INVALID_ARGUMENT for a `runAt`, timeout or backoff out of bounds.
 */
export function planSubmit(
  specs: readonly JobSpec[],
  lookup: JobLookup,
  context: SubmitContext,
): SubmitPlan {
  checkSpecTimes(specs, context.now);
  const local = new Map<string, Job>();
  const localKeys = new Map<string, Job>();
  /** The jobs holding unique and debounce keys (by index key) as this batch leaves them. */
  const holders = new Map<string, Job>();
  const changed = new Map<string, { before: Job; after: Job }>();
  const created: Job[] = [];
  const results: SubmitResult[] = [];
  let { seq, maxId } = context;
  for (const spec of specs) {
    // Keys are scoped per queue, and queue names contain no `!`.
    const key =
      spec.idempotencyKey === undefined ? undefined : `${spec.queue}!${spec.idempotencyKey}`;
    if (key !== undefined) {
      const existing = localKeys.get(key) ?? stored(lookup, spec);
      if (existing !== undefined) {
        results.push({ job: existing, deduplicated: true });
        continue;
      }
    }
    if (spec.unique !== undefined) {
      const key = keys.unique(spec.queue, spec.unique.key);
      const holder = holders.get(key) ?? pointed(lookup, key);
      if (holder !== undefined && uniqueHolds(holder, context.now)) {
        results.push({ job: holder, deduplicated: true, matched: 'unique' });
        continue;
      }
    }
    if (spec.debounce !== undefined) {
      const key = keys.debounce(spec.queue, spec.debounce.key);
      const holder = holders.get(key) ?? pointed(lookup, key);
      if (holder !== undefined && neverStarted(holder)) {
        const after = debouncedJob(holder, context.now, spec.payload, spec.debounce.waitMs);
        holders.set(key, after);
        if (local.has(after.id)) {
          local.set(after.id, after);
          created[created.findIndex((job) => job.id === after.id)] = after;
        } else {
          changed.set(after.id, { before: changed.get(after.id)?.before ?? holder, after });
        }
        results.push({ job: after, deduplicated: true, matched: 'debounce' });
        continue;
      }
    }
    if (local.has(spec.id) || (spec.id <= context.maxId && lookup.job(spec.id) !== undefined)) {
      throw lookup.fail(
        new GqError(ErrorCode.CONFLICT, `job ${spec.id} already exists`, {
          details: { id: spec.id },
        }),
      );
    }
    const waitingOn: string[] = [];
    let dependencyFailed = false;
    for (const dep of spec.dependsOn) {
      const job = local.get(dep) ?? lookup.job(dep);
      if (job === undefined) {
        throw lookup.fail(
          new GqError(ErrorCode.NOT_FOUND, `dependency ${dep} of job ${spec.id} not found`, {
            details: { id: spec.id, dependsOn: dep },
          }),
        );
      }
      if (job.state === 'completed') continue;
      if (job.state === 'failed' || job.state === 'dead_letter' || job.state === 'cancelled') {
        dependencyFailed = true;
      } else {
        waitingOn.push(dep);
      }
    }
    seq++;
    const job = createdJob(
      spec,
      context.now,
      seq,
      dependencyFailed ? [] : waitingOn,
      dependencyFailed,
    );
    local.set(job.id, job);
    if (key !== undefined) localKeys.set(key, job);
    if (spec.unique !== undefined) holders.set(keys.unique(spec.queue, spec.unique.key), job);
    if (spec.debounce !== undefined) holders.set(keys.debounce(spec.queue, spec.debounce.key), job);
    if (job.id > maxId) maxId = job.id;
    created.push(job);
    results.push({ job, deduplicated: false });
  }
  lookup.done();
  // A job debounced again later in the batch is returned as the batch leaves it.
  for (const result of results) {
    const latest = local.get(result.job.id) ?? changed.get(result.job.id)?.after;
    if (latest !== undefined) result.job = latest;
  }
  return { created, updated: [...changed.values()], results, seq, maxId };
}

/** The job an index key (`quniq!`, `qdeb!`) points to, if it is still stored. */
function pointed(lookup: JobLookup, key: string): Job | undefined {
  const id = lookup.pointer(key);
  return id === undefined ? undefined : lookup.job(id);
}

/** The stored job holding the spec's idempotency key in the spec's queue. */
function stored(lookup: JobLookup, spec: JobSpec): Job | undefined {
  if (spec.idempotencyKey === undefined) return undefined;
  const id = lookup.idem(spec.queue, spec.idempotencyKey);
  return id === undefined ? undefined : lookup.job(id);
}
