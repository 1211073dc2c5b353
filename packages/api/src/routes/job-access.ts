import {
  ErrorCode,
  groupLimitOf,
  isGqError,
  RUNNABLE_STATES,
  type Job,
  type JobSpec,
  type SubmitResult,
} from '@gopherqueue/core';
import { canAccessQueue } from '@gopherqueue/security';
import { assertQueueAccess } from '../auth.js';
import type { ApiContext } from '../env.js';
import { HttpError, validationError } from '../errors.js';
import { jobIdParam, jobNotFound } from '../request.js';
import type { listQuerySchema } from '../schemas.js';
import type { WireJob, WireJobPage } from '@gopherqueue/client';
import { toWireJob } from '../wire.js';
import type { z } from 'zod';

/**
 * A job in the wire format with its `waiting_reason`: the one the API's options give it
 * (`no_handler`), else, for a runnable job whose time has come, what its queue holds it back by:
 * `queue_paused`, `queue_concurrency` (as many of its jobs run as the queue allows),
 * `queue_rate` (its rate allows no start now) or `group_concurrency` (its group key has as many
 * running jobs as the queue allows per key, or, in an ordered queue, an earlier job of its key
 * has not finished). Reads the queue: for one job, not for lists.
 */
export async function wireJobWithReason(c: ApiContext, job: Job): Promise<WireJob> {
  const { waitingReason, store, clock } = c.get('options');
  const reason = waitingReason?.(job);
  if (reason !== undefined || !RUNNABLE_STATES.has(job.state) || job.runAt > clock.now()) {
    return toWireJob(job, reason);
  }
  const queue = await store.getQueue(job.queue);
  if (queue.paused) return toWireJob(job, 'queue_paused');
  if (queue.concurrency !== null && queue.byState.running >= queue.concurrency) {
    return toWireJob(job, 'queue_concurrency');
  }
  if (queue.rateRemaining === 0) return toWireJob(job, 'queue_rate');
  const groupLimit = groupLimitOf(queue);
  if (job.group !== undefined && groupLimit !== null) {
    const group = await store.getGroup(job.queue, job.group);
    if (group.running >= groupLimit || (queue.ordered === true && group.headId !== job.id)) {
      return toWireJob(job, 'group_concurrency');
    }
  }
  return toWireJob(job, undefined);
}

/** A job in the wire format, with the `waiting_reason` the API's options give it. */
export function wireJob(c: ApiContext, job: Job): WireJob {
  return toWireJob(job, c.get('options').waitingReason?.(job));
}

/**
 * The job named by the `:id` parameter, checked against the key's queues. A job of a queue the key
 * may not use is answered as unknown, so a restricted key learns nothing of it, not even that it
 * exists or its queue's name.
 * @throws HttpError 400 for a malformed id, 404 for an unknown job or one of a queue not allowed
 */
export async function loadJob(c: ApiContext): Promise<Job> {
  const id = jobIdParam(c);
  const job = await c.get('options').store.get(id);
  if (job === undefined || !canAccessQueue(c.get('principal'), job.queue)) throw jobNotFound(id);
  return job;
}

/** Runs a store call, answering an unknown dependency as a validation error of `depends_on`. */
export async function submitting<T extends SubmitResult | SubmitResult[]>(
  run: () => Promise<T>,
  field = 'depends_on',
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (isGqError(err, ErrorCode.NOT_FOUND))
      throw validationError(field, `${field}: ${err.message}`);
    throw err;
  }
}

/**
 * For each spec, the first dependency the caller may not name, or undefined: an id no job has,
 * or, for a key restricted to queues, the id of a job of another queue. Both are answered alike
 * (`job <id> not found`), so a restricted key learns nothing of other queues. A job of the same
 * batch counts as known. Specs without dependencies cost no read.
 */
export async function hiddenDependencies(
  c: ApiContext,
  specs: readonly JobSpec[],
): Promise<(string | undefined)[]> {
  const ids = [...new Set(specs.flatMap((spec) => spec.dependsOn))];
  if (ids.length === 0) return specs.map(() => undefined);
  const principal = c.get('principal');
  const jobs = await c.get('options').store.getMany(ids);
  const visible = new Set(specs.map((spec) => spec.id));
  jobs.forEach((job, i) => {
    if (job !== undefined && canAccessQueue(principal, job.queue)) visible.add(ids[i] as string);
  });
  return specs.map((spec) => spec.dependsOn.find((id) => !visible.has(id)));
}

/** The answer to a dependency the caller may not name (see {@link hiddenDependencies}). */
export function unknownDependency(field: string, id: string): HttpError {
  return validationError(field, `${field}: job ${id} not found`);
}

/** Checks every spec's queue against the key's queues. */
export function assertSpecsAllowed(c: ApiContext, specs: readonly JobSpec[]): void {
  for (const spec of specs) assertQueueAccess(c, spec.queue);
}

type ListQuery = z.output<typeof listQuerySchema>;

/**
 * One page of jobs for a list query; `total` is given when the counts answer it without a scan
 * (no filter but state and queue).
 */
export async function listJobs(c: ApiContext, query: ListQuery): Promise<WireJobPage> {
  const { store } = c.get('options');
  const allowed = c.get('principal').queues;
  let queue = query.queue;
  if (allowed !== undefined && queue === undefined) {
    if (allowed.length !== 1) {
      throw new HttpError('forbidden', 'this key is limited to some queues: pass ?queue=', {
        queues: allowed,
      });
    }
    queue = allowed[0];
  }
  if (queue !== undefined) assertQueueAccess(c, queue);
  const filter = {
    limit: query.limit ?? 100,
    ...(query.state === undefined ? {} : { state: query.state }),
    ...(query.type === undefined ? {} : { type: query.type }),
    ...(queue === undefined ? {} : { queue }),
    ...(query.priority === undefined ? {} : { priority: query.priority }),
    ...(query.tag === undefined ? {} : { tag: query.tag }),
    ...(query.depends_on === undefined ? {} : { dependsOn: query.depends_on }),
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  };
  const page = await store.list(filter);
  const answer: WireJobPage = {
    jobs: page.jobs.map((job) => wireJob(c, job)),
    count: page.jobs.length,
  };
  if (
    query.type === undefined &&
    query.priority === undefined &&
    query.tag === undefined &&
    query.depends_on === undefined
  ) {
    if (queue === undefined) {
      const counts = await store.counts();
      answer.total = query.state === undefined ? counts.total : counts.byState[query.state];
    } else {
      const info = (await store.listQueues()).find((q) => q.name === queue);
      const byState = info?.byState;
      answer.total =
        byState === undefined
          ? 0
          : query.state === undefined
            ? Object.values(byState).reduce((a, b) => a + b, 0)
            : byState[query.state];
    }
  }
  if (page.nextCursor !== undefined) answer.next_cursor = page.nextCursor;
  return answer;
}
