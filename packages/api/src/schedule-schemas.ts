/**
 * zod schemas of the schedule routes' bodies, in the wire format, and their conversion to the
 * {@link ScheduleDefinition} the store keeps. The same schema checks the `schedules` a handlers
 * module declares (`gq serve --handlers`), so a declaration and a request take the same fields.
 */
import {
  MAX_DURATION_MS,
  MAX_ERROR_NAME_LENGTH,
  MAX_ERROR_NAMES,
  MAX_TIMEOUT_MS,
  SCHEDULE_NAME,
  type ScheduleDefinition,
  type ScheduleJobTemplate,
} from '@gopherqueue/core';
import { BACKOFF_INPUT_FIELDS, fieldEntries, SUBMIT_FIELDS } from '@gopherqueue/client';
import {
  checkScheduleDefinition,
  MAX_CATCH_UP,
  MAX_JITTER_MS,
  MIN_EVERY_MS,
} from '@gopherqueue/scheduler';
import { z } from 'zod';
import { validationError } from './errors.js';
import { validate } from './request.js';
import { backoffSchema, boundedDuration, prioritySchema } from './schemas.js';

const NAME = /^[A-Za-z0-9_.:\-/]{1,200}$/;
const NAME_MESSAGE = 'must be 1..200 characters of letters, digits and _.:-/';

const errorNamesSchema = z
  .array(z.string().min(1).max(MAX_ERROR_NAME_LENGTH))
  .max(MAX_ERROR_NAMES, `must list at most ${MAX_ERROR_NAMES} names`);

/** The job a schedule creates: a submit body without what belongs to one submission. */
export const scheduleJobSchema = z.strictObject({
  type: z.string({ error: 'type is required' }).regex(NAME, `type ${NAME_MESSAGE}`),
  payload: z.unknown().optional(),
  queue: z.string().regex(NAME, NAME_MESSAGE).optional(),
  priority: prioritySchema.optional(),
  max_attempts: z.number().int().min(1).max(1000).optional(),
  timeout: boundedDuration(MAX_TIMEOUT_MS).optional(),
  tags: z.record(z.string().max(200), z.string().max(1000)).optional(),
  backoff: backoffSchema.optional(),
  retry_on: errorNamesSchema.optional(),
  no_retry_on: errorNamesSchema.optional(),
});

const scheduleFields = {
  cron: z.string().min(1).max(200).optional(),
  timezone: z.string().min(1).max(100).optional(),
  every: boundedDuration(MAX_DURATION_MS, MIN_EVERY_MS).optional(),
  misfire: z
    .enum(['skip', 'once', 'catch_up'], { error: 'misfire must be skip, once or catch_up' })
    .optional(),
  catch_up_limit: z.number().int().min(1).max(MAX_CATCH_UP).optional(),
  jitter: boundedDuration(MAX_JITTER_MS).optional(),
};

/** What a schedule name must be, for messages. */
export const SCHEDULE_NAME_RULE =
  'name must be 1..128 letters, digits and _.:-, and not only dots ("." and ".." cannot be named in a URL)';

/**
 * The names a store may hold: those of {@link SCHEDULE_NAME} and the names of only dots an older
 * version took, so such a schedule can still be read, listed past and deleted.
 */
export const STORED_SCHEDULE_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

/** `POST /api/v1/schedules`, and each declared schedule (without `paused`). */
export const createScheduleSchema = z.strictObject({
  name: z.string({ error: 'name is required' }).regex(SCHEDULE_NAME, SCHEDULE_NAME_RULE),
  ...scheduleFields,
  job: scheduleJobSchema,
  paused: z.boolean().optional(),
});

/** `PATCH /api/v1/schedules/:name`: the fields to change; `job` is replaced whole. */
export const patchScheduleSchema = z.strictObject({
  ...scheduleFields,
  job: scheduleJobSchema.optional(),
  paused: z.boolean().optional(),
});

/** A parsed create body. */
export type ScheduleBody = z.output<typeof createScheduleSchema>;
/** A parsed patch body. */
export type SchedulePatchBody = z.output<typeof patchScheduleSchema>;
type JobBody = z.output<typeof scheduleJobSchema>;

/** A job body as the template the store keeps (durations in ms, camelCase). */
export function toTemplate(job: JobBody): ScheduleJobTemplate {
  const template: ScheduleJobTemplate = { type: job.type };
  if (job.payload !== undefined) template.payload = job.payload as ScheduleJobTemplate['payload'];
  if (job.queue !== undefined) template.queue = job.queue;
  if (job.priority !== undefined) template.priority = job.priority;
  if (job.max_attempts !== undefined) template.maxAttempts = job.max_attempts;
  if (job.timeout !== undefined) template.timeoutMs = job.timeout;
  if (job.tags !== undefined) template.tags = job.tags;
  if (job.retry_on !== undefined) template.retryOn = job.retry_on;
  if (job.no_retry_on !== undefined) template.noRetryOn = job.no_retry_on;
  if (job.backoff !== undefined) {
    const backoff: Record<string, unknown> = {};
    const wire = job.backoff as Record<string, unknown>;
    for (const [field, name] of fieldEntries(BACKOFF_INPUT_FIELDS)) {
      if (wire[name] !== undefined) backoff[field] = wire[name];
    }
    template.backoff = backoff;
  }
  return template;
}

/** The timing fields of a body, as definition fields (only those given). */
function timing(body: SchedulePatchBody): Partial<ScheduleDefinition> {
  const d: Partial<ScheduleDefinition> = {};
  if (body.cron !== undefined) d.cron = body.cron;
  if (body.timezone !== undefined) d.timezone = body.timezone;
  if (body.every !== undefined) d.everyMs = body.every;
  if (body.misfire !== undefined) d.misfire = body.misfire;
  if (body.catch_up_limit !== undefined) d.catchUpLimit = body.catch_up_limit;
  if (body.jitter !== undefined) d.jitterMs = body.jitter;
  return d;
}

/**
 * A create body as a checked definition.
 * @param prefix - prepended to the field an error names (`schedules.3`).
 * @throws HttpError `validation_error` naming the field (`cron`, `timezone`, `job.max_attempts`).
 */
export function toScheduleDefinition(body: ScheduleBody, prefix?: string): ScheduleDefinition {
  return checked({ ...timing(body), job: toTemplate(body.job) }, prefix);
}

/**
 * A stored definition with a patch applied: given fields replace stored ones; `cron` drops a
 * stored `every` (a stored `timezone` stays: a new expression is read in the same zone unless the
 * patch names one), `every` a stored `cron` and `timezone`.
 * @throws HttpError `validation_error` naming the field.
 */
export function patchedDefinition(
  stored: ScheduleDefinition,
  patch: SchedulePatchBody,
): ScheduleDefinition {
  const next: ScheduleDefinition = { ...stored };
  if (patch.cron !== undefined) delete next.everyMs;
  if (patch.every !== undefined) {
    delete next.cron;
    delete next.timezone;
  }
  Object.assign(next, timing(patch));
  if (patch.job !== undefined) next.job = toTemplate(patch.job);
  return checked(next);
}

/** Wire names of a template's `createJob` options, for error messages. */
const WIRE_OPTION: Readonly<Record<string, string>> = { ...SUBMIT_FIELDS, timeout: 'timeout' };

function checked(definition: ScheduleDefinition, prefix?: string): ScheduleDefinition {
  try {
    checkScheduleDefinition(definition);
  } catch (err) {
    if (!(err instanceof TypeError || err instanceof RangeError)) throw err;
    const first = /^[A-Za-z_.]+/.exec(err.message)?.[0] ?? 'body';
    const wire = first.startsWith('job.')
      ? `job.${WIRE_OPTION[first.slice(4)] ?? first.slice(4)}`
      : first;
    const field = prefix === undefined ? wire : `${prefix}.${wire}`;
    const rest = err.message.slice(first.length).replace(/^:?\s*/, '');
    throw validationError(field, `${field}: ${rest}`);
  }
  return definition;
}

/**
 * One schedule a handlers module declares (the fields of a create body, without `paused`), as
 * the name and definition to store.
 * @param prefix - names where it was declared in error messages (`schedules.nightly`).
 * @throws HttpError `validation_error` whose message names the field.
 */
export function parseDeclaredSchedule(
  value: unknown,
  prefix: string,
): { name: string; definition: ScheduleDefinition } {
  const body = validate(createScheduleSchema.omit({ paused: true }), value, prefix);
  return { name: body.name, definition: toScheduleDefinition(body, prefix) };
}

/** The schedules a list answers when the request names no `limit`. */
export const DEFAULT_SCHEDULE_PAGE = 100;

/** The most schedules one list answers. */
export const MAX_SCHEDULE_LIST = 1000;

/** `GET /schedules`: a page by name, after `cursor` (a schedule name). */
export const scheduleListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_SCHEDULE_LIST).optional(),
  cursor: z.string().regex(STORED_SCHEDULE_NAME, 'cursor must be a schedule name').optional(),
});
