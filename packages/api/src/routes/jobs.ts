import { isTerminal } from '@gopherqueue/core';
import type { Hono } from 'hono';
import { assertQueueAccess, audit, requirePermission } from '../auth.js';
import type { ApiEnv } from '../env.js';
import { HttpError } from '../errors.js';
import { readBody, readQuery } from '../request.js';
import { cancelSchema, listQuerySchema, retrySchema, submitSchema } from '../schemas.js';
import { requestTraceparent } from '../trace-header.js';
import { toJobSpec, toWireJob, toWireResult } from '../wire.js';
import {
  hiddenDependencies,
  listJobs,
  loadJob,
  submitting,
  unknownDependency,
  wireJob,
  wireJobWithReason,
} from './job-access.js';
import { deduplicatedAnswer } from './deduplicated.js';

/**
 * Jobs: submit (201, or 200 with the stored job for a known idempotency, unique or debounce
 * key, announced as `job:deduplicated`), list, get,
 * cancel, retry, delete (204) and result.
 */
export function registerJobRoutes(api: Hono<ApiEnv>): void {
  api.post('/jobs', requirePermission('jobs:submit'), async (c) => {
    const { scheduler, clock } = c.get('options');
    const body = await readBody(c, submitSchema);
    const spec = toJobSpec(body, clock.now(), undefined, requestTraceparent(c));
    assertQueueAccess(c, spec.queue);
    const [hidden] = await hiddenDependencies(c, [spec]);
    if (hidden !== undefined) throw unknownDependency('depends_on', hidden);
    const result = await submitting(() => scheduler.enqueue(spec));
    const { job } = result;
    // Keys are scoped per queue, so a deduplicated job is of the checked queue; checked anyway,
    // since the answer carries the job's payload and result.
    assertQueueAccess(c, job.queue);
    if (result.deduplicated) return c.json(deduplicatedAnswer(c, result), 200);
    return c.json(wireJob(c, job), 201);
  });

  api.get('/jobs', requirePermission('jobs:read'), async (c) => {
    return c.json(await listJobs(c, readQuery(c, listQuerySchema)));
  });

  api.get('/jobs/:id', requirePermission('jobs:read'), async (c) => {
    return c.json(await wireJobWithReason(c, await loadJob(c)));
  });

  api.delete('/jobs/:id', requirePermission('jobs:manage'), async (c) => {
    const job = await loadJob(c);
    await c.get('options').store.delete(job.id);
    await audit(c, {
      action: 'job.delete',
      target: job.id,
      queues: [job.queue],
      details: { type: job.type, queue: job.queue, state: job.state },
    });
    return c.body(null, 204);
  });

  api.post('/jobs/:id/cancel', requirePermission('jobs:manage'), async (c) => {
    const job = await loadJob(c);
    const body = await readBody(c, cancelSchema, true);
    const reason = body.reason === undefined || body.reason === '' ? undefined : body.reason;
    const cancelled = await c.get('options').store.cancel(job.id, reason);
    await audit(c, {
      action: 'job.cancel',
      target: job.id,
      queues: [job.queue],
      details: {
        previous: job.state,
        ...(reason === undefined ? {} : { reason }),
        ...(body.force === undefined ? {} : { force: body.force }),
      },
    });
    return c.json(toWireJob(cancelled));
  });

  api.post('/jobs/:id/retry', requirePermission('jobs:manage'), async (c) => {
    const job = await loadJob(c);
    const body = await readBody(c, retrySchema, true);
    const retried = await c
      .get('options')
      .store.retry(job.id, { resetAttempts: body.reset_attempts ?? false });
    await audit(c, {
      action: 'job.retry',
      target: job.id,
      queues: [job.queue],
      details: { previous: job.state, reset_attempts: body.reset_attempts ?? false },
    });
    return c.json(wireJob(c, retried));
  });

  api.get('/jobs/:id/result', requirePermission('jobs:read'), async (c) => {
    const job = await loadJob(c);
    if (!isTerminal(job.state)) {
      throw new HttpError('not_found', `job ${job.id} has no result yet: it is ${job.state}`, {
        id: job.id,
        state: job.state,
      });
    }
    return c.json(toWireResult(job));
  });
}
