import { JOB_STATES, type JobCounts, type JobState, type QueueInfo } from '@gopherqueue/core';
import type { Hono, MiddlewareHandler } from 'hono';
import { authenticate, requirePermission } from '../auth.js';
import type { ApiEnv } from '../env.js';
import { HttpError } from '../errors.js';
import type { WireStats } from '@gopherqueue/client';
import { toWireQueueStats } from '../wire.js';
import { visibleWorkers, workerStats } from './worker-views.js';

/**
 * Who may read `/metrics`: anyone with `metricsPublic`, else a principal with `stats:read` whose
 * key is not limited to queues (the series are every queue's, and are not filtered).
 */
function metricsAccess(): MiddlewareHandler<ApiEnv> {
  const auth = authenticate();
  const permission = requirePermission('stats:read');
  const everyQueue: MiddlewareHandler<ApiEnv> = async (c, next) => {
    const queues = c.get('principal').queues;
    if (queues !== undefined) {
      throw new HttpError(
        'forbidden',
        'metrics span every queue: reading them needs a key without a queue restriction',
        { queues: [...queues] },
      );
    }
    await next();
  };
  return async (c, next) => {
    if (c.get('options').metricsPublic) {
      await next();
      return;
    }
    await auth(c, async () => {
      await permission(c, async () => {
        await everyQueue(c, next);
      });
    });
  };
}

/**
 * Root routes: `/live` and `/ready` (never behind a key), `/health` and `/metrics` (Prometheus
 * text; JSON with `?format=json` or `Accept: application/json`). `/health` and `/metrics` need a
 * key with `stats:read` where keys are needed (`/metrics` not with `metricsPublic`); `/metrics`
 * shows the series of every queue, so a key limited to queues gets 403 there.
 */
export function registerSystemRoutes(app: Hono<ApiEnv>): void {
  app.get('/live', (c) => c.json({ alive: true }));

  // Ready means started (store open, startup recovery done) and every critical component answers
  // now: a PostgreSQL that went away makes the node unready, and the answer says why.
  app.get('/ready', async (c) => {
    const { health } = c.get('options');
    if (health === undefined) return c.json({ ready: true });
    if (!health.isReady()) return c.json({ ready: false, reason: 'starting' }, 503);
    const report = await health.check();
    if (report.status !== 'unhealthy') return c.json({ ready: true });
    const failing = Object.entries(report.components)
      .filter(([, component]) => component.status === 'unhealthy')
      .map(([name, component]) => `${name}: ${component.error ?? 'unhealthy'}`);
    return c.json({ ready: false, reason: failing.join('; ') }, 503);
  });

  app.get('/health', authenticate(), requirePermission('stats:read'), async (c) => {
    const { health } = c.get('options');
    if (health === undefined) return c.json({ status: 'healthy', ready: true, components: {} });
    const report = await health.check();
    const components = Object.fromEntries(
      Object.entries(report.components).map(([name, component]) => [
        name,
        {
          status: component.status,
          latency_ms: component.latencyMs,
          ...(component.error === undefined ? {} : { error: component.error }),
        },
      ]),
    );
    return c.json(
      {
        status: report.status,
        ready: report.ready,
        components,
        uptime_ms: report.uptimeMs,
        timestamp: report.timestamp,
      },
      report.status === 'unhealthy' ? 503 : 200,
    );
  });

  app.get('/metrics', metricsAccess(), async (c) => {
    const { metrics } = c.get('options');
    if (metrics === undefined) throw new HttpError('not_found', 'metrics are not enabled');
    const wantsJson =
      c.req.query('format') === 'json' ||
      (c.req.header('accept') ?? '').toLowerCase().includes('application/json');
    if (wantsJson) return c.json(await metrics.json());
    return c.body(await metrics.render(), 200, { 'Content-Type': metrics.contentType });
  });
}

/** The counts of the queues in `names`, summed from the per-queue counts. */
function countsOfQueues(
  queues: readonly QueueInfo[],
  names: readonly string[],
): Pick<JobCounts, 'total' | 'byState'> {
  const byState = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as Record<
    JobState,
    number
  >;
  let total = 0;
  for (const queue of queues) {
    if (!names.includes(queue.name)) continue;
    for (const state of JOB_STATES) {
      byState[state] += queue.byState[state];
      total += queue.byState[state];
    }
  }
  return { total, byState };
}

/**
 * `GET /api/v1/stats`: job counts in the original's shape, and the workers: the local pool and
 * the remote workers seen recently, apart and summed (see `GET /api/v1/workers`). A key
 * restricted to queues gets the counts of its queues only, the workers that may claim from them
 * and their jobs of those queues, and `storage_bytes` 0: the size of the whole store is for
 * unrestricted keys, as `/metrics` is.
 */
export function registerStatsRoutes(api: Hono<ApiEnv>): void {
  api.get('/stats', requirePermission('stats:read'), async (c) => {
    const { store, clock } = c.get('options');
    const allowed = c.get('principal').queues;
    const [counts, sizeBytes] =
      allowed === undefined
        ? await Promise.all([store.counts(), store.sizeBytes()])
        : [countsOfQueues(await store.listQueues(), allowed), 0];
    const answer: WireStats = {
      queue: toWireQueueStats(counts, sizeBytes, clock.now()),
      workers: workerStats(await visibleWorkers(c)),
    };
    return c.json(answer);
  });
}
