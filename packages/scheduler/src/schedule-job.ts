import {
  createJob,
  scheduleTickKey,
  type JobSpec,
  type ScheduleDefinition,
} from '@gopherqueue/core';
import { templateOptions } from './schedule-plan.js';

/** The tag that names a scheduled job's schedule. */
export const SCHEDULE_TAG = 'schedule';

/** The tag that holds a scheduled job's tick, as an RFC 3339 time. */
export const SCHEDULED_FOR_TAG = 'scheduled_for';

/** Input of {@link scheduledJob}. */
export interface ScheduledJobInput {
  name: string;
  definition: ScheduleDefinition;
  /** The tick (or, for a trigger, the time it was asked for). */
  tick: number;
  now: number;
  /** A tick's job carries the tick's idempotency key; a triggered one none. */
  kind: 'tick' | 'trigger';
  /** 0 <= random < 1, for the jitter. @defaultValue Math.random */
  random?: () => number;
}

/**
 * The job a schedule creates: its template, tagged with the schedule's name and the tick
 * (`schedule`, `scheduled_for`, over any template tags of those names), to run at the tick plus a
 * random jitter below `jitterMs`, keyed by {@link scheduleTickKey} for a tick.
 */
export function scheduledJob(input: ScheduledJobInput): JobSpec {
  const { definition, tick } = input;
  const options = templateOptions(definition.job) ?? {};
  options.tags = {
    ...(options.tags ?? {}),
    [SCHEDULE_TAG]: input.name,
    [SCHEDULED_FOR_TAG]: new Date(tick).toISOString(),
  };
  const jitterMs = definition.jitterMs ?? 0;
  const jitter = jitterMs > 0 ? Math.floor((input.random ?? Math.random)() * jitterMs) : 0;
  options.runAt = Math.max(tick, input.now) + jitter;
  if (input.kind === 'tick') options.idempotencyKey = scheduleTickKey(input.name, tick);
  return createJob(definition.job.type, definition.job.payload ?? null, options, input.now);
}
