import type { Job } from '@gopherqueue/core';

/** The fields a job keeps from submit to the end, and their JSON (without the closing brace). */
interface Head {
  type: string;
  queue: string;
  payload: unknown;
  priority: number;
  maxAttempts: number;
  timeoutMs: number;
  backoff: unknown;
  dependsOn: unknown;
  tags: unknown;
  seq: number;
  createdAt: number;
  idempotencyKey: string | undefined;
  correlationId: string | undefined;
  traceparent: string | undefined;
  group: string | undefined;
  retryOn: unknown;
  noRetryOn: unknown;
  /** How many of the job's own fields the head holds. */
  fields: number;
  json: string;
}

/**
 * Serialises jobs for the store. A running job is written again by each heartbeat and by its
 * completion or failure, but most of it (payload, backoff, tags, ...) never changes after submit:
 * the JSON of those fields is made once when the job is claimed and reused until it stops
 * running, so those writes serialise only what changed. Only running jobs are cached, so the cache
 * is bounded by the jobs in flight. The output parses to the same object as `JSON.stringify(job)`
 * (its fields in another order); a job whose fixed fields changed (a restore) is serialised anew.
 */
export class JobEncoder {
  readonly #heads = new Map<string, Head>();

  encode(job: Job): string {
    const cached = this.#heads.get(job.id);
    const running = job.state === 'running';
    if (cached === undefined && !running) return JSON.stringify(job);
    if (!running) this.#heads.delete(job.id);
    let head = cached !== undefined && sameHead(cached, job) ? cached : undefined;
    if (head === undefined) {
      head = headOf(job);
      if (running) this.#heads.set(job.id, head);
    }
    const tail = tailOf(job);
    if (head.fields + tail.fields !== Object.keys(job).length) return JSON.stringify(job);
    return head.json + ',' + tail.json.slice(1);
  }
}

function headOf(job: Job): Head {
  const fixed: Record<string, unknown> = {
    id: job.id,
    type: job.type,
    queue: job.queue,
    payload: job.payload,
    priority: job.priority,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    backoff: job.backoff,
    dependsOn: job.dependsOn,
    tags: job.tags,
    seq: job.seq,
    createdAt: job.createdAt,
  };
  let fields = 12;
  if (job.idempotencyKey !== undefined) {
    fixed.idempotencyKey = job.idempotencyKey;
    fields++;
  }
  if (job.correlationId !== undefined) {
    fixed.correlationId = job.correlationId;
    fields++;
  }
  if (job.traceparent !== undefined) {
    fixed.traceparent = job.traceparent;
    fields++;
  }
  if (job.group !== undefined) {
    fixed.group = job.group;
    fields++;
  }
  if (job.retryOn !== undefined) {
    fixed.retryOn = job.retryOn;
    fields++;
  }
  if (job.noRetryOn !== undefined) {
    fixed.noRetryOn = job.noRetryOn;
    fields++;
  }
  const json = JSON.stringify(fixed);
  return {
    type: job.type,
    queue: job.queue,
    payload: job.payload,
    priority: job.priority,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    backoff: job.backoff,
    dependsOn: job.dependsOn,
    tags: job.tags,
    seq: job.seq,
    createdAt: job.createdAt,
    idempotencyKey: job.idempotencyKey,
    correlationId: job.correlationId,
    traceparent: job.traceparent,
    group: job.group,
    retryOn: job.retryOn,
    noRetryOn: job.noRetryOn,
    fields,
    json: json.slice(0, -1),
  };
}

function sameHead(head: Head, job: Job): boolean {
  return (
    head.payload === job.payload &&
    head.backoff === job.backoff &&
    head.tags === job.tags &&
    head.dependsOn === job.dependsOn &&
    head.type === job.type &&
    head.queue === job.queue &&
    head.priority === job.priority &&
    head.maxAttempts === job.maxAttempts &&
    head.timeoutMs === job.timeoutMs &&
    head.seq === job.seq &&
    head.createdAt === job.createdAt &&
    head.idempotencyKey === job.idempotencyKey &&
    head.correlationId === job.correlationId &&
    head.traceparent === job.traceparent &&
    head.group === job.group &&
    head.retryOn === job.retryOn &&
    head.noRetryOn === job.noRetryOn
  );
}

/** The JSON of the fields that change as a job runs, and how many fields it holds. */
function tailOf(job: Job): { json: string; fields: number } {
  const tail: Record<string, unknown> = {
    state: job.state,
    attempt: job.attempt,
    runAt: job.runAt,
    waitingOn: job.waitingOn,
    errors: job.errors,
    updatedAt: job.updatedAt,
  };
  let fields = 6;
  if (job.transitions !== undefined) {
    tail.transitions = job.transitions;
    fields++;
  }
  if (job.checkpoint !== undefined) {
    tail.checkpoint = job.checkpoint;
    fields++;
  }
  if (job.progress !== undefined) {
    tail.progress = job.progress;
    fields++;
  }
  if (job.progressMessage !== undefined) {
    tail.progressMessage = job.progressMessage;
    fields++;
  }
  if (job.result !== undefined) {
    tail.result = job.result;
    fields++;
  }
  if (job.cancelReason !== undefined) {
    tail.cancelReason = job.cancelReason;
    fields++;
  }
  if (job.startedAt !== undefined) {
    tail.startedAt = job.startedAt;
    fields++;
  }
  if (job.finishedAt !== undefined) {
    tail.finishedAt = job.finishedAt;
    fields++;
  }
  if (job.leaseToken !== undefined) {
    tail.leaseToken = job.leaseToken;
    fields++;
  }
  if (job.leaseExpiresAt !== undefined) {
    tail.leaseExpiresAt = job.leaseExpiresAt;
    fields++;
  }
  if (job.workerId !== undefined) {
    tail.workerId = job.workerId;
    fields++;
  }
  return { json: JSON.stringify(tail), fields };
}
