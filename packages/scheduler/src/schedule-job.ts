import {
  createJob,
  scheduleTickKey,
  uuidv7,
  type JobSpec,
  type Json,
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
  /** 0 <= random < 1, for a tick's jitter. @defaultValue Math.random */
  random?: () => number;
}

/**
 * The job a schedule creates: its template, tagged with the schedule's name and the tick
 * (`schedule`, `scheduled_for`, over any template tags of those names). A tick's job runs at the
 * tick plus a random jitter below `jitterMs` and is keyed by {@link scheduleTickKey}; a
 * triggered one runs now, with no jitter and no key.
 */
export function scheduledJob(input: ScheduledJobInput): JobSpec {
  const { definition, tick } = input;
  const options = templateOptions(definition.job) ?? {};
  options.tags = {
    ...(options.tags ?? {}),
    [SCHEDULE_TAG]: input.name,
    [SCHEDULED_FOR_TAG]: new Date(tick).toISOString(),
  };
  const jitterMs = input.kind === 'tick' ? (definition.jitterMs ?? 0) : 0;
  const jitter = jitterMs > 0 ? Math.floor((input.random ?? Math.random)() * jitterMs) : 0;
  options.runAt = Math.max(tick, input.now) + jitter;
  if (input.kind === 'tick') options.idempotencyKey = scheduleTickKey(input.name, tick);
  return createJob(definition.job.type, definition.job.payload ?? null, options, input.now);
}

/** Builds the job of one tick: see {@link tickJobBuilder}. */
export type TickJobBuilder = (tick: number, now: number) => JobSpec;

/**
 * The jobs of a schedule's ticks, as {@link scheduledJob} builds them for `kind: 'tick'` (with no
 * trace parent: a tick belongs to no request), but fast: the template is checked and resolved
 * once, and each tick only adds what differs (its id, `scheduled_for` tag, run time and
 * idempotency key) to a copy, with a payload of its own.
 * @throws TypeError or RangeError as `createJob` for a template it refuses.
 */
export function tickJobBuilder(
  name: string,
  definition: ScheduleDefinition,
  random: () => number = Math.random,
): TickJobBuilder {
  const options = templateOptions(definition.job) ?? {};
  options.tags = { ...(options.tags ?? {}), [SCHEDULE_TAG]: name };
  options.traceparent = null;
  const base = createJob(definition.job.type, definition.job.payload ?? null, options, 0);
  const payload = base.payload;
  const payloadText =
    typeof payload === 'object' && payload !== null ? JSON.stringify(payload) : undefined;
  const jitterMs = definition.jitterMs ?? 0;
  return (tick, now) => {
    const spec: JobSpec = {
      ...base,
      id: uuidv7(now),
      payload: payloadText === undefined ? payload : (JSON.parse(payloadText) as Json),
      dependsOn: [],
      tags: { ...base.tags, [SCHEDULED_FOR_TAG]: new Date(tick).toISOString() },
      idempotencyKey: scheduleTickKey(name, tick),
    };
    const jitter = jitterMs > 0 ? Math.floor(random() * jitterMs) : 0;
    const runAt = Math.max(tick, now) + jitter;
    if (runAt > now) spec.runAt = runAt;
    return spec;
  };
}
