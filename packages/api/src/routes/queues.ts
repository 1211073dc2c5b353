import type { Hono } from 'hono';
import {
  formatAging,
  formatRate,
  type Json,
  type QueueInfo,
  type QueueState,
} from '@gopherqueue/core';
import type { WireQueue, WireQueueDetail } from '@gopherqueue/client';
import { assertQueueAccess, audit, requirePermission } from '../auth.js';
import type { ApiContext, ApiEnv } from '../env.js';
import { readBody, readQuery, validate } from '../request.js';
import { queueNameSchema, queuePatchSchema, queuesQuerySchema } from '../schemas.js';
import { rfc3339 } from '../wire.js';

function queueParam(c: ApiContext): string {
  const { name } = validate(queueNameSchema, { name: c.req.param('name') });
  assertQueueAccess(c, name);
  return name;
}

function toWireQueue(q: QueueInfo): WireQueue {
  return {
    name: q.name,
    paused: q.paused,
    concurrency: q.concurrency,
    rate: q.rate === null ? null : formatRate(q.rate),
    group_concurrency: q.groupConcurrency ?? null,
    ordered: q.ordered === true,
    aging: q.agingMs === undefined ? null : formatAging(q.agingMs),
    counts: q.byState,
    total: Object.values(q.byState).reduce((a, b) => a + b, 0),
  };
}

function toWireQueueDetail(q: QueueState, now: number): WireQueueDetail {
  const { pending, scheduled, delayed, retrying, running } = q.byState;
  return {
    ...toWireQueue(q),
    running,
    waiting: pending + scheduled + delayed + retrying,
    rate_remaining: q.rateRemaining,
    next_start_at: q.nextStartAt === undefined ? null : rfc3339(q.nextStartAt),
    oldest_waiting_at: q.oldestWaitingAt === undefined ? null : rfc3339(q.oldestWaitingAt),
    oldest_waiting_ms:
      q.oldestWaitingAt === undefined ? null : Math.max(0, now - q.oldestWaitingAt),
    groups_at_limit: (q.groupsAtLimit ?? []).map((g) => ({ group: g.group, running: g.running })),
  };
}

/** Named queues: list with counts, one with its limits, change settings, pause, resume. */
export function registerQueueRoutes(api: Hono<ApiEnv>): void {
  api.get('/queues', requirePermission('stats:read'), async (c) => {
    const { limit = 1000, cursor } = readQuery(c, queuesQuerySchema);
    const allowed = c.get('principal').queues;
    // Sorted here by code unit, the order the cursor compares in, whatever a store's collation.
    const all = (await c.get('options').store.listQueues())
      .filter(
        (q) =>
          (allowed === undefined || allowed.includes(q.name)) &&
          (cursor === undefined || q.name > cursor),
      )
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const queues: WireQueue[] = all.slice(0, limit).map(toWireQueue);
    const last = queues.at(-1);
    return c.json(
      all.length > limit && last !== undefined ? { queues, next_cursor: last.name } : { queues },
    );
  });

  api.get('/queues/:name', requirePermission('stats:read'), async (c) => {
    const name = queueParam(c);
    const { store, clock } = c.get('options');
    return c.json(toWireQueueDetail(await store.getQueue(name), clock.now()));
  });

  api.patch('/queues/:name', requirePermission('queues:manage'), async (c) => {
    const name = queueParam(c);
    const patch = await readBody(c, queuePatchSchema);
    const { store } = c.get('options');
    const state = await store.setQueue(name, {
      ...(patch.paused === undefined ? {} : { paused: patch.paused }),
      ...(patch.concurrency === undefined ? {} : { concurrency: patch.concurrency }),
      ...(patch.rate === undefined ? {} : { rate: patch.rate }),
      ...(patch.group_concurrency === undefined
        ? {}
        : { groupConcurrency: patch.group_concurrency }),
      ...(patch.ordered === undefined ? {} : { ordered: patch.ordered }),
      ...(patch.aging === undefined ? {} : { agingMs: patch.aging }),
    });
    const details: Record<string, Json> = {};
    if (patch.paused !== undefined) details.paused = patch.paused;
    if (patch.concurrency !== undefined) details.concurrency = patch.concurrency;
    if (patch.rate !== undefined)
      details.rate = patch.rate === null ? null : formatRate(patch.rate);
    if (patch.group_concurrency !== undefined) details.group_concurrency = patch.group_concurrency;
    if (patch.ordered !== undefined) details.ordered = patch.ordered;
    if (patch.aging !== undefined) {
      details.aging = patch.aging === null ? null : formatAging(patch.aging);
    }
    await audit(c, { action: 'queue.update', target: name, queues: [name], details });
    return c.json(toWireQueueDetail(state, c.get('options').clock.now()));
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
