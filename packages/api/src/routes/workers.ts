import {
  ErrorCode,
  isGqError,
  MAX_LEASE_MS,
  MIN_LEASE_MS,
  type ClaimOptions,
  type FailureReport,
  type Job,
  type Json,
  type Store,
} from '@gopherqueue/core';
import { failureOutcome } from '@gopherqueue/scheduler';
import type { Hono } from 'hono';
import { canAccessQueue } from '@gopherqueue/security';
import { assertQueueAccess, requirePermission } from '../auth.js';
import type { ApiContext, ApiEnv } from '../env.js';
import { describeError, HttpError, validationError } from '../errors.js';
import type { LongPolls } from '../long-polls.js';
import { jobIdParam, jobNotFound, readBody } from '../request.js';
import {
  claimSchema,
  completeManySchema,
  completeSchema,
  failSchema,
  heartbeatSchema,
  releaseSchema,
} from '../schemas.js';
import type { WireHeartbeatResult } from '@gopherqueue/client';
import type { WorkerRegistry } from '../worker-registry.js';
import { rfc3339, toWireJob, toWireLeasedJob } from '../wire.js';

/** The lease asked for, or the server's default; either must lie within 1 s..1 h. */
function leaseOf(requested: number | undefined, fallback: number): number {
  const leaseMs = requested ?? fallback;
  if (leaseMs < MIN_LEASE_MS || leaseMs > MAX_LEASE_MS) {
    throw validationError('lease', `lease: must be between 1s and 1h; got ${leaseMs}ms`);
  }
  return leaseMs;
}

function leaseLost(id: string): HttpError {
  return new HttpError('lease_lost', `the lease of job ${id} is no longer held by this token`, {
    id,
  });
}

/** Gives back a job claimed for a caller that hung up; a job taken back meanwhile is left. */
async function releaseQuietly(store: Store, job: Job): Promise<void> {
  try {
    await store.release(job.id, job.leaseToken ?? '');
  } catch (err) {
    if (!isGqError(err, ErrorCode.LEASE_LOST)) throw err;
  }
}

/**
 * Runs a worker's call about job `id` under lease `token` and tells `registry` when the job left
 * the worker's hands: before the call (`always`: an end it reported, whether it is taken or comes
 * too late; so the worker's event stream does not echo the end back to it, a frame per job it has
 * no use for), or only when the call says the lease is lost or the job gone (`lost`: a
 * heartbeat). Only the token the holder was handed ends its hold: a call with another token
 * cannot keep a cancel from reaching the worker that runs the job.
 */
async function ending<T>(
  registry: WorkerRegistry,
  id: string,
  token: string,
  when: 'always' | 'lost',
  call: () => Promise<T>,
): Promise<T> {
  if (when === 'always') registry.jobEnded(id, token);
  try {
    return await call();
  } catch (err) {
    if (
      isGqError(err, ErrorCode.LEASE_LOST) ||
      isGqError(err, ErrorCode.NOT_FOUND) ||
      (err instanceof HttpError && (err.code === 'lease_lost' || err.code === 'not_found'))
    ) {
      registry.jobEnded(id, token);
    }
    throw err;
  }
}

/**
 * The ids of `ids` a key limited to queues may not use (a job of another queue, or none): a
 * worker call about them answers 404 as for an unknown id, so the key learns nothing of other
 * queues' jobs. An unrestricted key reads nothing.
 */
async function hiddenJobs(c: ApiContext, ids: readonly string[]): Promise<Set<string>> {
  const principal = c.get('principal');
  if (principal.queues === undefined) return new Set();
  const jobs = await c.get('options').store.getMany(ids);
  return new Set(
    ids.filter((id, i) => {
      const job = jobs[i];
      return job === undefined || !canAccessQueue(principal, job.queue);
    }),
  );
}

/** Throws {@link jobNotFound} for a job the key may not use (see {@link hiddenJobs}). */
async function assertJobVisible(c: ApiContext, id: string): Promise<void> {
  if ((await hiddenJobs(c, [id])).has(id)) throw jobNotFound(id);
}

/**
 * The remote worker lease API: claim jobs with a lease (long-polling up to `wait`), heartbeat
 * (extends the lease, saves checkpoint and progress), complete, fail and release (back to
 * scheduled without spending the attempt, for a worker shutting down), each fenced by the
 * lease token: a stale token gets 409 `lease_lost` and changes nothing. Past `claimWaits`' cap
 * (`maxClaimWaits`), a claim that finds no job gets 503 with `Retry-After` instead of waiting.
 */
export function registerWorkerRoutes(api: Hono<ApiEnv>, claimWaits: LongPolls): void {
  api.post('/workers/claim', requirePermission('workers:lease'), async (c) => {
    const body = await readBody(c, claimSchema);
    const { store, scheduler, clock, leaseMs, maxWaitMs, workerRegistry, getRemoteAddress } =
      c.get('options');
    const allowed = c.get('principal').queues;
    const queues = body.queues ?? (allowed === undefined ? undefined : [...allowed]);
    for (const queue of queues ?? []) assertQueueAccess(c, queue);
    const claim: ClaimOptions = {
      workerId: body.worker_id,
      limit: body.limit ?? 1,
      leaseMs: leaseOf(body.lease, leaseMs),
      ...(body.types === undefined ? {} : { types: body.types }),
      ...(queues === undefined ? {} : { queues }),
      ...(body.ahead === true ? { ahead: true } : {}),
    };
    const address = getRemoteAddress?.(c);
    const ended = workerRegistry.claimStarted({
      id: claim.workerId,
      host: body.host ?? address ?? 'unknown',
      ...(address === undefined ? {} : { address }),
      ...(claim.types === undefined ? {} : { types: claim.types }),
      ...(queues === undefined ? {} : { queues }),
      ...(body.concurrency === undefined ? {} : { concurrency: body.concurrency }),
      leaseMs: claim.leaseMs,
    });
    let handed: Job[] = [];
    // A claim ahead is for jobs ready now: it never waits.
    const waitMs = body.ahead === true ? 0 : Math.min(body.wait ?? 0, maxWaitMs);
    const request = c.req.raw.signal;
    const done = new AbortController();
    const stop = (): void => done.abort();
    const cancelTimer = waitMs > 0 ? clock.setTimer(stop, waitMs) : undefined;
    request.addEventListener('abort', stop, { once: true });
    let giveBack: (() => void) | undefined;
    try {
      for (;;) {
        const epoch = scheduler.epoch;
        const jobs = await store.claim(claim);
        if (request.aborted) {
          // A worker that hung up must not be handed jobs it will never run.
          await Promise.all(jobs.map((job) => releaseQuietly(store, job)));
          return c.json({ jobs: [] });
        }
        if (jobs.length > 0 || waitMs === 0 || done.signal.aborted) {
          handed = jobs;
          return c.json({ jobs: jobs.map(toWireLeasedJob) });
        }
        // Only a claim that waits holds a slot, from its first wait to its answer.
        giveBack ??= claimWaits.take();
        await scheduler.waitForWork(done.signal, epoch);
      }
    } finally {
      giveBack?.();
      cancelTimer?.();
      request.removeEventListener('abort', stop);
      ended(handed);
    }
  });

  api.post('/jobs/:id/heartbeat', requirePermission('workers:lease'), async (c) => {
    const id = jobIdParam(c);
    const body = await readBody(c, heartbeatSchema);
    const { store, leaseMs, workerRegistry } = c.get('options');
    await assertJobVisible(c, id);
    const job = await ending(workerRegistry, id, body.lease_token, 'lost', () =>
      store.heartbeat(id, body.lease_token, {
        leaseMs: leaseOf(body.lease, leaseMs),
        ...(body.checkpoint === undefined ? {} : { checkpoint: body.checkpoint as Json }),
        ...(body.progress === undefined ? {} : { progress: body.progress as Json }),
        ...(body.progress_message === undefined ? {} : { progressMessage: body.progress_message }),
      }),
    );
    workerRegistry.jobSeen(id);
    const answer: WireHeartbeatResult = {
      id: job.id,
      state: job.state,
      lease_expires_at: rfc3339(job.leaseExpiresAt ?? job.updatedAt),
    };
    return c.json(answer);
  });

  api.post('/jobs/:id/complete', requirePermission('workers:lease'), async (c) => {
    const id = jobIdParam(c);
    const body = await readBody(c, completeSchema);
    const { store, workerRegistry } = c.get('options');
    await assertJobVisible(c, id);
    const job = await ending(workerRegistry, id, body.lease_token, 'always', () =>
      store.complete(id, body.lease_token, (body.result ?? null) as Json),
    );
    return c.json(toWireJob(job));
  });

  // The ends of several jobs in one request (a remote worker's completes of one moment): each is
  // fenced by its own lease token and answered on its own, in order, as the single route would.
  api.post('/workers/complete', requirePermission('workers:lease'), async (c) => {
    const body = await readBody(c, completeManySchema);
    const { store, workerRegistry } = c.get('options');
    const hidden = await hiddenJobs(
      c,
      body.ends.map((end) => end.id),
    );
    const results = await Promise.all(
      body.ends.map(async (end) => {
        try {
          if (hidden.has(end.id)) throw jobNotFound(end.id);
          await ending(workerRegistry, end.id, end.lease_token, 'always', () =>
            store.complete(end.id, end.lease_token, (end.result ?? null) as Json),
          );
          return { id: end.id, ok: true };
        } catch (err) {
          const { code, message } = describeError(err);
          return { id: end.id, ok: false, error: { code, message } };
        }
      }),
    );
    return c.json({ results });
  });

  api.post('/jobs/:id/fail', requirePermission('workers:lease'), async (c) => {
    const id = jobIdParam(c);
    const body = await readBody(c, failSchema);
    const { store, clock, workerRegistry } = c.get('options');
    await assertJobVisible(c, id);
    const failed = await ending(workerRegistry, id, body.lease_token, 'always', async () => {
      const job = await store.get(id);
      if (job === undefined) throw jobNotFound(id);
      if (job.state !== 'running' || job.leaseToken !== body.lease_token) throw leaseLost(id);
      const errorClass = body.permanent === true ? 'permanent' : (body.error.class ?? 'error');
      const error: FailureReport = { message: body.error.message, errorClass };
      if (body.error.name !== undefined) error.name = body.error.name;
      if (body.error.stack !== undefined) error.stack = body.error.stack;
      if (body.error.retry_after !== undefined) error.retryAfterMs = body.error.retry_after;
      return store.fail(id, body.lease_token, {
        error,
        outcome: failureOutcome(job, error, clock.now()),
      });
    });
    return c.json(toWireJob(failed));
  });

  api.post('/jobs/:id/release', requirePermission('workers:lease'), async (c) => {
    const id = jobIdParam(c);
    const body = await readBody(c, releaseSchema);
    const { store, clock, workerRegistry } = c.get('options');
    await assertJobVisible(c, id);
    const job = await ending(workerRegistry, id, body.lease_token, 'always', () =>
      store.release(
        id,
        body.lease_token,
        body.delay === undefined ? {} : { runAt: clock.now() + body.delay },
      ),
    );
    return c.json(toWireJob(job));
  });
}
