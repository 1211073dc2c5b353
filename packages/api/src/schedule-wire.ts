import type { StoredSchedule } from '@gopherqueue/core';
import { BACKOFF_INPUT_FIELDS, fieldEntries } from '@gopherqueue/client';
import type { WireSchedule, WireScheduleJob } from '@gopherqueue/client';
import { checkScheduleDefinition, planOf } from '@gopherqueue/scheduler';
import { rfc3339 } from './wire.js';

/** Next run times a schedule shows. */
const NEXT_RUNS = 5;

function toWireTemplate(job: StoredSchedule['definition']['job']): WireScheduleJob {
  const wire: WireScheduleJob = { type: job.type, payload: job.payload ?? null };
  if (job.queue !== undefined) wire.queue = job.queue;
  if (job.priority !== undefined) wire.priority = job.priority;
  if (job.maxAttempts !== undefined) wire.max_attempts = job.maxAttempts;
  if (job.timeoutMs !== undefined) wire.timeout_ms = job.timeoutMs;
  if (job.tags !== undefined) wire.tags = job.tags;
  if (job.retryOn !== undefined) wire.retry_on = job.retryOn;
  if (job.noRetryOn !== undefined) wire.no_retry_on = job.noRetryOn;
  if (job.backoff !== undefined) {
    const backoff: Record<string, unknown> = {};
    const given = job.backoff as Record<string, unknown>;
    for (const [field, name] of fieldEntries(BACKOFF_INPUT_FIELDS)) {
      if (given[field] !== undefined) backoff[name] = given[field];
    }
    wire.backoff = backoff;
  }
  return wire;
}

/**
 * A stored schedule as the API answers it, with its next run times after `now` (or after its
 * last tick, if later). A stored definition this version cannot run (written by another one, or
 * by hand) is shown as stored with `error` and no next runs: one odd record never breaks a list.
 */
export function toWireSchedule(schedule: StoredSchedule, now: number): WireSchedule {
  const d = (
    typeof schedule.definition === 'object' && schedule.definition !== null
      ? schedule.definition
      : {}
  ) as Partial<StoredSchedule['definition']>;
  let nextRuns: string[] = [];
  let error: string | undefined;
  let misfire: WireSchedule['misfire'] = 'skip';
  let catchUpLimit: number | undefined;
  let jitterMs = 0;
  try {
    const checked = checkScheduleDefinition(d);
    misfire = checked.misfire;
    jitterMs = checked.jitterMs;
    if (misfire === 'catch_up') catchUpLimit = checked.catchUpLimit;
    if (!schedule.paused) {
      nextRuns = planOf(checked)
        .nextRuns(NEXT_RUNS, Math.max(now, schedule.lastTick))
        .map((t) => rfc3339(t));
    }
  } catch (err) {
    error = (err as Error).message;
  }
  const wire: WireSchedule = {
    name: schedule.name,
    misfire,
    jitter_ms: jitterMs,
    job:
      typeof d.job === 'object' && d.job !== null
        ? toWireTemplate(d.job)
        : { type: '', payload: null },
    source: schedule.source,
    paused: schedule.paused,
    revision: schedule.revision,
    last_tick_at: rfc3339(schedule.lastTick),
    next_runs: nextRuns,
    created_at: rfc3339(schedule.createdAt),
    updated_at: rfc3339(schedule.updatedAt),
  };
  if (typeof d.cron === 'string') {
    wire.cron = d.cron;
    wire.timezone = d.timezone ?? 'UTC';
  }
  if (typeof d.everyMs === 'number') wire.every_ms = d.everyMs;
  if (catchUpLimit !== undefined) wire.catch_up_limit = catchUpLimit;
  if (error !== undefined) wire.error = error;
  return wire;
}
