import type { Hono } from 'hono';
import { assertQueueAccess, audit, requirePermission } from '../auth.js';
import type { ApiContext, ApiEnv } from '../env.js';
import { validate } from '../request.js';
import { queueNameSchema } from '../schemas.js';
import type { WireQueue } from '@gopherqueue/client';

function queueParam(c: ApiContext): string {
  const { name } = validate(queueNameSchema, { name: c.req.param('name') });
  assertQueueAccess(c, name);
  return name;
}

/** Named queues: list with counts, pause, resume. */
export function registerQueueRoutes(api: Hono<ApiEnv>): void {
  api.get('/queues', requirePermission('stats:read'), async (c) => {
    const allowed = c.get('principal').queues;
    const queues: WireQueue[] = (await c.get('options').store.listQueues())
      .filter((q) => allowed === undefined || allowed.includes(q.name))
      .map((q) => ({
        name: q.name,
        paused: q.paused,
        counts: q.byState,
        total: Object.values(q.byState).reduce((a, b) => a + b, 0),
      }));
    return c.json({ queues });
  });

  for (const action of ['pause', 'resume'] as const) {
    api.post(`/queues/:name/${action}`, requirePermission('queues:manage'), async (c) => {
      const name = queueParam(c);
      const { store } = c.get('options');
      if (action === 'pause') await store.pauseQueue(name);
      else await store.resumeQueue(name);
      await audit(c, { action: `queue.${action}`, target: name, queues: [name] });
      return c.json({ name, paused: action === 'pause' });
    });
  }
}
