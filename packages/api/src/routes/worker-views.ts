import { canAccessQueue } from '@gopherqueue/security';
import type { Hono } from 'hono';
import { requirePermission } from '../auth.js';
import type { ApiContext, ApiEnv } from '../env.js';
import type { WireWorker, WireWorkerList, WireWorkerStats } from '@gopherqueue/client';
import { rfc3339 } from '../wire.js';

/**
 * The workers a request may see, the local pool first: a key restricted to queues sees the
 * workers that may claim from one of its queues (those that claim from every queue included),
 * each with only the jobs of its queues, and `busy` counting those.
 */
export async function visibleWorkers(c: ApiContext): Promise<WireWorker[]> {
  const { workers, workerRegistry, store, clock } = c.get('options');
  const principal = c.get('principal');
  const allowed = principal.queues;
  const mayClaimFor = (queues: readonly string[] | undefined): boolean =>
    allowed === undefined || queues === undefined || queues.some((q) => allowed.includes(q));
  const heldIds = (jobs: readonly { id: string; queue: string }[]): string[] =>
    jobs.filter((job) => canAccessQueue(principal, job.queue)).map((job) => job.id);

  const views: WireWorker[] = [];
  const local = workers?.();
  if (local !== undefined) {
    const jobs = local.jobs === undefined ? undefined : heldIds(local.jobs);
    views.push({
      id: local.id ?? 'local',
      kind: 'local',
      host: local.host ?? 'localhost',
      types: local.types === undefined ? null : [...local.types],
      queues: null,
      concurrency: local.concurrency,
      busy: jobs?.length ?? local.busy,
      jobs: jobs ?? [],
      last_seen_at: rfc3339(clock.now()),
    });
  }
  for (const remote of await workerRegistry.list(store)) {
    if (!mayClaimFor(remote.queues)) continue;
    const jobs = heldIds(remote.jobs);
    views.push({
      id: remote.id,
      kind: 'remote',
      host: remote.host,
      ...(remote.address === undefined ? {} : { address: remote.address }),
      types: remote.types === undefined ? null : [...remote.types],
      queues: remote.queues === undefined ? null : [...remote.queues],
      concurrency: remote.concurrency ?? null,
      busy: jobs.length,
      jobs,
      last_seen_at: rfc3339(remote.lastSeenAt),
    });
  }
  return views;
}

/**
 * The slots of `GET /api/v1/stats` from the workers a request sees: the local pool and the
 * remote workers apart, and their sums. A remote worker that did not say its concurrency counts
 * the jobs it holds.
 */
export function workerStats(views: readonly WireWorker[]): WireWorkerStats {
  const local = views.find((view) => view.kind === 'local');
  const remote = { workers: 0, busy: 0, concurrency: 0 };
  for (const view of views) {
    if (view.kind !== 'remote') continue;
    remote.workers++;
    remote.busy += view.busy;
    remote.concurrency += Math.max(view.concurrency ?? 0, view.busy);
  }
  const localSlots =
    local === undefined ? null : { busy: local.busy, concurrency: local.concurrency ?? 0 };
  return {
    busy: (localSlots?.busy ?? 0) + remote.busy,
    concurrency: (localSlots?.concurrency ?? 0) + remote.concurrency,
    local: localSlots,
    remote,
  };
}

/**
 * `GET /api/v1/workers` (`stats:read`): the local pool and every remote worker seen recently,
 * with the jobs each holds. A server knows only the remote workers that talk to it.
 */
export function registerWorkerViewRoutes(api: Hono<ApiEnv>): void {
  api.get('/workers', requirePermission('stats:read'), async (c) => {
    const answer: WireWorkerList = { workers: await visibleWorkers(c) };
    return c.json(answer);
  });
}
