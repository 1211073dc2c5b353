import type { Hono } from 'hono';
import { audit, requirePermission } from '../auth.js';
import type { ApiEnv } from '../env.js';
import { HttpError } from '../errors.js';
import { readBody, readQuery } from '../request.js';
import { listQuerySchema, purgeSchema, retrySchema } from '../schemas.js';
import { listJobs, loadJob, wireJob } from './job-access.js';

/** Purged per store call; the route repeats until nothing is left. */
const PURGE_CHUNK = 1000;

/** The dead letter: list, requeue one job, purge. */
export function registerDeadLetterRoutes(api: Hono<ApiEnv>): void {
  api.get('/dead-letter', requirePermission('jobs:read'), async (c) => {
    const query = readQuery(c, listQuerySchema.omit({ state: true }));
    return c.json(await listJobs(c, { ...query, state: 'dead_letter' }));
  });

  api.post('/dead-letter/:id/requeue', requirePermission('dlq:manage'), async (c) => {
    const job = await loadJob(c);
    if (job.state !== 'dead_letter') {
      throw new HttpError('conflict', `job ${job.id} is ${job.state}, not dead_letter`, {
        id: job.id,
        state: job.state,
      });
    }
    const body = await readBody(c, retrySchema, true);
    const resetAttempts = body.reset_attempts ?? true;
    const requeued = await c.get('options').store.retry(job.id, { resetAttempts });
    await audit(c, {
      action: 'dead_letter.requeue',
      target: job.id,
      queues: [job.queue],
      details: { reset_attempts: resetAttempts },
    });
    return c.json(wireJob(c, requeued));
  });

  api.post('/dead-letter/purge', requirePermission('dlq:manage'), async (c) => {
    if (c.get('principal').queues !== undefined) {
      throw new HttpError(
        'forbidden',
        'a key limited to some queues may not purge the dead letter',
      );
    }
    const body = await readBody(c, purgeSchema, true);
    const { store, clock } = c.get('options');
    // "Older than 0" must include a job dead-lettered in this very millisecond.
    const finishedBefore = clock.now() - (body.older_than ?? 0) + 1;
    let purged = 0;
    for (;;) {
      const n = await store.purgeFinished({
        states: ['dead_letter'],
        finishedBefore,
        limit: PURGE_CHUNK,
      });
      purged += n;
      if (n < PURGE_CHUNK) break;
    }
    await audit(c, {
      action: 'dead_letter.purge',
      details: {
        purged,
        ...(body.older_than === undefined ? {} : { older_than_ms: body.older_than }),
      },
    });
    return c.json({ purged });
  });
}
