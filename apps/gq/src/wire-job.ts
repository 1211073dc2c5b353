import type { WireJob, WireLeasedJob } from '@gopherqueue/api';
import type { ErrorClass, Job, PriorityLevel } from '@gopherqueue/core';

function time(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Date.parse(value);
}

/**
 * A job as the API sent it, back in the engine's shape, so handlers run by `gq work` see the same
 * `ctx.job` as handlers run inside `gq serve`. `seq` is not sent over the wire and reads 0.
 */
export function fromWireJob(wire: WireJob | WireLeasedJob): Job {
  const job: Job = {
    id: wire.id,
    type: wire.type,
    queue: wire.queue,
    payload: wire.payload,
    priority: wire.priority as PriorityLevel,
    state: wire.state,
    attempt: wire.attempt,
    maxAttempts: wire.max_attempts,
    timeoutMs: wire.timeout_ms,
    backoff: {
      strategy: wire.backoff.strategy,
      initialMs: wire.backoff.initial_ms,
      maxMs: wire.backoff.max_ms,
      multiplier: wire.backoff.multiplier,
      jitter: wire.backoff.jitter,
    },
    runAt: time(wire.scheduled_at) ?? Date.parse(wire.created_at),
    dependsOn: wire.depends_on,
    waitingOn: wire.waiting_on,
    tags: wire.tags,
    errors: wire.errors.map((e) => {
      const error: Job['errors'][number] = {
        attempt: e.attempt,
        message: e.message,
        errorClass: e.class as ErrorClass,
        at: Date.parse(e.at),
      };
      if (e.name !== undefined) error.name = e.name;
      if (e.stack !== undefined) error.stack = e.stack;
      return error;
    }),
    seq: 0,
    createdAt: Date.parse(wire.created_at),
    updatedAt: Date.parse(wire.updated_at),
  };
  const optional: Partial<Job> = {
    idempotencyKey: wire.idempotency_key,
    correlationId: wire.correlation_id,
    checkpoint: wire.checkpoint,
    progress: wire.progress,
    progressMessage: wire.progress_message,
    result: wire.result,
    cancelReason: wire.cancel_reason,
    startedAt: time(wire.started_at),
    finishedAt: time(wire.completed_at),
    workerId: wire.worker_id,
  };
  if ('lease_token' in wire) {
    optional.leaseToken = wire.lease_token;
    optional.leaseExpiresAt = Date.parse(wire.lease_expires_at);
  }
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (job as unknown as Record<string, unknown>)[key] = value;
  }
  return job;
}
