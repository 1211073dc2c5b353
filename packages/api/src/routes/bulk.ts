import { ErrorCode, isGqError, JOB_STATES, type Job, type ListFilter } from '@gopherqueue/core';
import type { WireBulkResult } from '@gopherqueue/client';
import { canAccessQueue } from '@gopherqueue/security';
import type { Hono } from 'hono';
import { z } from 'zod';
import { assertQueueAccess, audit, requirePermission } from '../auth.js';
import type { ApiContext, ApiEnv } from '../env.js';
import { HttpError } from '../errors.js';
import { readBody } from '../request.js';

/** Jobs one bulk request acts on at most. */
export const MAX_BULK_JOBS = 10_000;
/** Jobs read per page of the store's listing. */
const PAGE = 200;
/** Actions run at once. */
const PARALLEL = 16;

const filterSchema = z
  .object({
    state: z.enum(JOB_STATES, { error: `must be one of ${JOB_STATES.join(', ')}` }).optional(),
    type: z.string().min(1).max(200).optional(),
    queue: z.string().min(1).max(200).optional(),
    tag: z
      .string()
      .regex(/^[^:]+:.*$/, 'must be key:value')
      .max(400)
      .transform((value) => {
        const at = value.indexOf(':');
        return { key: value.slice(0, at), value: value.slice(at + 1) };
      })
      .optional(),
  })
  .strict();

/** `POST /api/v1/jobs/bulk`. */
export const bulkSchema = z
  .object({
    action: z.enum(['retry', 'cancel', 'delete'], { error: 'must be retry, cancel or delete' }),
    filter: filterSchema.optional(),
    ids: z.array(z.uuid()).min(1).max(1000).optional(),
    limit: z.number().int().min(1).max(MAX_BULK_JOBS).optional(),
    cursor: z.string().min(1).max(200).optional(),
    reason: z.string().max(1000).optional(),
    reset_attempts: z.boolean().optional(),
  })
  .strict()
  .refine((b) => (b.filter === undefined) !== (b.ids === undefined), {
    error: 'give either filter or ids',
    path: ['filter'],
  });

type BulkBody = z.output<typeof bulkSchema>;
type Outcome = 'done' | 'invalid_state' | 'not_found' | 'dependency_failed';

/** Runs the action on one job; a job that moved on meanwhile counts, it does not fail the rest. */
async function act(c: ApiContext, body: BulkBody, job: Job): Promise<Outcome> {
  const { store } = c.get('options');
  try {
    if (body.action === 'retry') {
      await store.retry(job.id, { resetAttempts: body.reset_attempts ?? false });
    } else if (body.action === 'cancel') {
      await store.cancel(
        job.id,
        body.reason === undefined || body.reason === '' ? undefined : body.reason,
      );
    } else {
      await store.delete(job.id);
    }
    return 'done';
  } catch (err) {
    if (isGqError(err, ErrorCode.INVALID_STATE)) {
      return body.action === 'retry' && err.details?.['dependsOn'] !== undefined
        ? 'dependency_failed'
        : 'invalid_state';
    }
    if (isGqError(err, ErrorCode.NOT_FOUND)) return 'not_found';
    throw err;
  }
}

/** The filter a key may list with: a key limited to queues must name one (or have only one). */
function listFilterOf(c: ApiContext, body: BulkBody): ListFilter {
  const filter = body.filter ?? {};
  const allowed = c.get('principal').queues;
  let queue = filter.queue;
  if (allowed !== undefined && queue === undefined) {
    if (allowed.length !== 1) {
      throw new HttpError('forbidden', 'this key is limited to some queues: give filter.queue', {
        queues: allowed,
      });
    }
    queue = allowed[0];
  }
  if (queue !== undefined) assertQueueAccess(c, queue);
  return {
    ...(filter.state === undefined ? {} : { state: filter.state }),
    ...(filter.type === undefined ? {} : { type: filter.type }),
    ...(queue === undefined ? {} : { queue }),
    ...(filter.tag === undefined ? {} : { tag: filter.tag }),
  };
}

/**
 * `POST /jobs/bulk`: retry, cancel or delete the jobs a filter matches (read from the store's
 * indexed listing a page at a time, newest first, at most `limit`; `next_cursor` continues), or
 * the jobs of `ids`. Answers how many it acted on and how many it skipped and why; a job of a
 * queue the key may not use reads as not found.
 */
export function registerBulkRoutes(api: Hono<ApiEnv>): void {
  api.post('/jobs/bulk', requirePermission('jobs:manage'), async (c) => {
    const body = await readBody(c, bulkSchema);
    const { store } = c.get('options');
    const principal = c.get('principal');
    const counts: Record<Outcome, number> = {
      done: 0,
      invalid_state: 0,
      not_found: 0,
      dependency_failed: 0,
    };
    // Jobs a retry refused because a dependency of theirs is still failed: that dependency may
    // be among the jobs retried after them (pages go newest first), so they are tried once more.
    const deferred: Job[] = [];
    const queues = new Set<string>();
    let matched = 0;
    let nextCursor: string | undefined;
    const run = async (jobs: (Job | undefined)[]): Promise<void> => {
      for (let i = 0; i < jobs.length; i += PARALLEL) {
        const outcomes = await Promise.all(
          jobs.slice(i, i + PARALLEL).map((job) => {
            if (job === undefined || !canAccessQueue(principal, job.queue)) {
              return Promise.resolve<Outcome>('not_found');
            }
            queues.add(job.queue);
            return act(c, body, job);
          }),
        );
        outcomes.forEach((outcome, j) => {
          if (outcome === 'dependency_failed') deferred.push(jobs[i + j] as Job);
          else counts[outcome]++;
        });
      }
    };
    if (body.ids !== undefined) {
      const ids = [...new Set(body.ids.map((id) => id.toLowerCase()))];
      matched = ids.length;
      await run(await store.getMany(ids));
    } else {
      const filter = listFilterOf(c, body);
      const limit = body.limit ?? 1000;
      let cursor = body.cursor;
      while (matched < limit) {
        const page = await store.list({
          ...filter,
          limit: Math.min(PAGE, limit - matched),
          ...(cursor === undefined ? {} : { cursor }),
        });
        matched += page.jobs.length;
        await run(page.jobs);
        cursor = page.nextCursor;
        if (cursor === undefined) break;
      }
      nextCursor = cursor;
    }
    // Oldest first and one at a time: a dependency is older than its dependents, so a chain
    // whose jobs were all matched comes back whole.
    deferred.sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const job of deferred) {
      const outcome = await act(c, body, job);
      counts[outcome === 'dependency_failed' ? 'invalid_state' : outcome]++;
    }
    const answer: WireBulkResult = {
      action: body.action,
      matched,
      succeeded: counts.done,
      skipped: { invalid_state: counts.invalid_state, not_found: counts.not_found },
      ...(nextCursor === undefined ? {} : { next_cursor: nextCursor }),
    };
    await audit(c, {
      action: `jobs.bulk_${body.action}`,
      queues: [...queues],
      details: {
        matched,
        succeeded: counts.done,
        ...(body.ids === undefined ? { filter: JSON.stringify(body.filter ?? {}) } : {}),
      },
    });
    return c.json(answer);
  });
}
