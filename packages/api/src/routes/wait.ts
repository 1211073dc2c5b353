import { isTerminal, type Job, type JobEventName } from '@gopherqueue/core';
import type { Hono } from 'hono';
import { canAccessQueue } from '@gopherqueue/security';
import { requirePermission } from '../auth.js';
import type { ApiContext, ApiEnv } from '../env.js';
import type { LongPolls } from '../long-polls.js';
import { jobIdParam, jobNotFound, readBody, validate } from '../request.js';
import { waitSchema } from '../schemas.js';
import { toWireWait } from '../wire.js';

const DEFAULT_WAIT_MS = 30_000;

const FINISHED: readonly JobEventName[] = [
  'job:completed',
  'job:failed',
  'job:dead_letter',
  'job:cancelled',
];

type Outcome = { kind: 'finished'; job: Job } | { kind: 'deleted' } | { kind: 'timeout' };

async function waitForJob(
  c: ApiContext,
  waits: LongPolls,
  requestedMs: number | undefined,
): Promise<Response> {
  const id = jobIdParam(c);
  const { events, store, clock, maxWaitMs } = c.get('options');
  const timeoutMs = Math.min(requestedMs ?? DEFAULT_WAIT_MS, maxWaitMs);

  let settle: (outcome: Outcome) => void = () => undefined;
  const outcome = new Promise<Outcome>((resolve) => {
    settle = resolve;
  });
  // Listen before reading the job, so a finish between the read and the wait is not missed.
  const offs = FINISHED.map((event) =>
    events.on(event, (job) => {
      if (job.id === id) settle({ kind: 'finished', job });
    }),
  );
  offs.push(
    events.on('job:deleted', (job) => {
      if (job.id === id) settle({ kind: 'deleted' });
    }),
  );
  let cancelTimer: (() => void) | undefined;
  let giveBack: (() => void) | undefined;
  const signal = c.req.raw.signal;
  const onAbort = (): void => settle({ kind: 'timeout' });
  try {
    const job = await store.get(id);
    if (job === undefined || !canAccessQueue(c.get('principal'), job.queue)) throw jobNotFound(id);
    if (isTerminal(job.state) || timeoutMs === 0) {
      return c.json(toWireWait(job, !isTerminal(job.state)));
    }
    // Only a request that waits holds a slot; it is given back however the wait ends.
    giveBack = waits.take();
    cancelTimer = clock.setTimer(() => settle({ kind: 'timeout' }), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    // A client gone while the job was read would otherwise hold its slot until the timeout.
    if (signal.aborted) onAbort();
    const result = await outcome;
    if (result.kind === 'deleted') throw jobNotFound(id);
    if (result.kind === 'finished' && isTerminal(result.job.state)) {
      return c.json(toWireWait(result.job, false));
    }
    const latest = await store.get(id);
    if (latest === undefined) throw jobNotFound(id);
    return c.json(toWireWait(latest, !isTerminal(latest.state)));
  } finally {
    for (const off of offs) off();
    cancelTimer?.();
    signal.removeEventListener('abort', onAbort);
    giveBack?.();
  }
}

/**
 * `GET|POST /jobs/:id/wait`: long-polls until the job finishes (answered the moment its event
 * arrives) or the timeout (`?timeout=30s` or `{"timeout": "30s"}`, at most `maxWaitMs`) passes.
 * A job already finished is answered at once; past `waits`' cap (`maxJobWaits`), a wait that
 * would have to wait gets 503 with `Retry-After`.
 */
export function registerWaitRoutes(api: Hono<ApiEnv>, waits: LongPolls): void {
  api.get('/jobs/:id/wait', requirePermission('jobs:read'), async (c) => {
    const timeout = c.req.query('timeout');
    const query = validate(waitSchema, timeout === undefined || timeout === '' ? {} : { timeout });
    return waitForJob(c, waits, query.timeout);
  });
  api.post('/jobs/:id/wait', requirePermission('jobs:read'), async (c) => {
    const body = await readBody(c, waitSchema, true);
    return waitForJob(c, waits, body.timeout);
  });
}
