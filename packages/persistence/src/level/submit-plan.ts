import { ErrorCode, GqError, type Job, type JobSpec, type SubmitResult } from '@gopherqueue/core';
import type { JobLookup } from './job-lookup.js';
import { createdJob } from '../job-versions.js';
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
    if (job.id > maxId) maxId = job.id;
    created.push(job);
    results.push({ job, deduplicated: false });
  }
  lookup.done();
  return { created, results, seq, maxId };
}

/** The stored job holding the spec's idempotency key in the spec's queue. */
function stored(lookup: JobLookup, spec: JobSpec): Job | undefined {
  if (spec.idempotencyKey === undefined) return undefined;
  const id = lookup.idem(spec.queue, spec.idempotencyKey);
  return id === undefined ? undefined : lookup.job(id);
}
