/**
 * zod schemas of every request body and query, in the wire format (snake_case). Durations are
 * Go-style strings or numbers of milliseconds and come out as milliseconds, each within the
 * bound `@gopherqueue/core` sets for it; priorities come out as levels 0..4.
 */
import {
  durationProblem,
  isTraceparent,
  isUuid,
  isBadText,
  JOB_STATES,
  jsonValueProblem,
  MAX_ADMISSION_KEY_LENGTH,
  MAX_BACKOFF_MS,
  MAX_DELAY_MS,
  MAX_DURATION_MS,
  MAX_ERROR_NAME_LENGTH,
  MAX_ERROR_NAMES,
  MAX_LEASE_MS,
  MAX_TIME_MS,
  MAX_TIMEOUT_MS,
  MIN_LEASE_MS,
  MIN_TIME_MS,
  TRACEPARENT_LENGTH,
  concurrencyProblem,
  parseDuration,
  parsePriority,
  parseRate,
  progressProblem,
  rfc3339Ms,
  type QueueRate,
  agingProblem,
  GROUP_PATTERN,
  groupConcurrencyProblem,
  MAX_GROUP_LENGTH,
  parseAging,
} from '@gopherqueue/core';
import { z } from 'zod';

const NAME = /^[A-Za-z0-9_.:\-/]{1,200}$/;
const NAME_MESSAGE = 'must be 1..200 characters of letters, digits and _.:-/';

/** A Go-style duration (`"30s"`) or milliseconds, as milliseconds within `[min, max]`. */
export function boundedDuration(max: number, min = 0) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `must be a duration like "500ms", "30s" or "1h30m", or milliseconds; got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    const problem = durationProblem(ms, max, min);
    if (problem === undefined) return ms;
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  });
}

/** A Go-style duration (`"30s"`) or milliseconds, as milliseconds, at most 10 years. */
export const durationSchema = boundedDuration(MAX_DURATION_MS);

const leaseSchema = boundedDuration(MAX_LEASE_MS, MIN_LEASE_MS);

/** A priority level 0..4 or its name. */
export const prioritySchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  try {
    return parsePriority(value);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `must be 0..4 or critical, high, normal, low, bulk; got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
});

/**
 * A time as an RFC 3339 date-time with an offset, or ms since the epoch, from year 0 to 9999 (how
 * far ahead: `createJob`). Other text `Date.parse` reads (`12/25/2026`, a time without an offset,
 * `2026-02-30`) is refused, not guessed at.
 */
const timeSchema = z.union([z.string(), z.number()]).refine(
  (value) => {
    const ms = typeof value === 'number' ? value : rfc3339Ms(value);
    return ms !== undefined && Number.isFinite(ms) && ms >= MIN_TIME_MS && ms <= MAX_TIME_MS;
  },
  { error: 'must be an RFC 3339 time like "2026-01-01T00:00:00Z", at most 10 years ahead' },
);

const nameSchema = z.string().regex(NAME, NAME_MESSAGE);
/**
 * A job id: a UUID in either case, given back in lower case as ids are stored, so an upper-case
 * id in a body or query string finds the same job as a path parameter does.
 */
const uuidSchema = z
  .string()
  .refine(isUuid, { error: 'must be a UUID' })
  .transform((id) => id.toLowerCase());
/** Any JSON value, nested at most `MAX_JSON_DEPTH` deep, its text well-formed. */
const jsonSchema = z.unknown().superRefine((value, ctx) => {
  const problem = jsonValueProblem('value', value);
  if (problem !== undefined)
    ctx.addIssue({ code: 'custom', message: problem.replace(/^value /, '') });
});

/** Text of at most `max` characters that every store keeps as given (no NUL, no lone surrogate). */
const textSchema = (max: number) =>
  z
    .string()
    .max(max)
    .refine((text) => !isBadText(text), {
      error: 'must be well-formed Unicode text without NUL characters',
    });

const BACKOFF_MAX_MESSAGE = `must be at most ${MAX_BACKOFF_MS} ms (10 years)`;

/** `retry_on` or `no_retry_on`: error names or classes, bounded like `createJob` bounds them. */
const errorNamesSchema = z
  .array(z.string().min(1).max(MAX_ERROR_NAME_LENGTH))
  .max(MAX_ERROR_NAMES, `must list at most ${MAX_ERROR_NAMES} names`);

/** Retry backoff as a request gives it. */
export const backoffSchema = z.object({
  strategy: z.enum(['exponential', 'linear', 'constant']).optional(),
  initial: boundedDuration(MAX_BACKOFF_MS).optional(),
  max: boundedDuration(MAX_BACKOFF_MS).optional(),
  initial_ms: z.number().nonnegative().max(MAX_BACKOFF_MS, BACKOFF_MAX_MESSAGE).optional(),
  max_ms: z.number().nonnegative().max(MAX_BACKOFF_MS, BACKOFF_MAX_MESSAGE).optional(),
  multiplier: z.number().min(1).optional(),
  jitter: z.boolean().optional(),
});

/** A duration above 0, at most 10 years. */
const positiveDuration = boundedDuration(MAX_DELAY_MS, 1);

const admissionKey = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(MAX_ADMISSION_KEY_LENGTH, `must be at most ${MAX_ADMISSION_KEY_LENGTH} characters`);

/** `unique`: `{ key, until }`, until `"started"`, `"finished"` (the default) or a duration. */
const uniqueSchema = z.strictObject({
  key: admissionKey,
  until: z.union([z.enum(['started', 'finished']), positiveDuration]).optional(),
});

/** `debounce`: `{ key, wait, max_wait }` (durations). */
const debounceSchema = z.strictObject({
  key: admissionKey,
  wait: positiveDuration,
  max_wait: positiveDuration.optional(),
});

/** `POST /api/v1/jobs`, and each job of a batch. */
export const submitSchema = z.object({
  type: z.string({ error: 'type is required' }).regex(NAME, `type ${NAME_MESSAGE}`),
  payload: jsonSchema.optional(),
  priority: prioritySchema.optional(),
  delay: boundedDuration(MAX_DELAY_MS).optional(),
  scheduled_at: timeSchema.optional(),
  timeout: boundedDuration(MAX_TIMEOUT_MS).optional(),
  max_attempts: z.number().int().min(1).max(1000).optional(),
  idempotency_key: z.string().min(1).max(512).optional(),
  correlation_id: z.string().max(512).optional(),
  traceparent: z
    .string()
    .max(TRACEPARENT_LENGTH)
    .refine(isTraceparent, 'must be a W3C traceparent: 00-<32 hex>-<16 hex>-<2 hex>')
    .optional(),
  group: z
    .string({ error: 'group must be a string' })
    .regex(
      GROUP_PATTERN,
      `group must be 1..${MAX_GROUP_LENGTH} characters of letters, digits and _.:-/@+=`,
    )
    .optional(),
  tags: z.record(z.string(), z.string()).optional(),
  queue: nameSchema.optional(),
  depends_on: z.array(uuidSchema).max(1000).optional(),
  backoff: backoffSchema.optional(),
  retry_on: errorNamesSchema.optional(),
  no_retry_on: errorNamesSchema.optional(),
  unique: uniqueSchema.optional(),
  debounce: debounceSchema.optional(),
  ttl: positiveDuration.optional(),
  expires_at: timeSchema.optional(),
});

/** A parsed submit body. */
export type SubmitBody = z.output<typeof submitSchema>;

/** `POST /api/v1/jobs/batch`; each job is validated on its own with {@link submitSchema}. */
export const batchSchema = z.object({
  jobs: z
    .array(z.unknown(), { error: 'jobs must be an array of jobs' })
    .min(1, 'at least one job is required')
    .max(1000, 'maximum 1000 jobs per batch'),
  atomic: z.boolean().optional(),
});

/** `GET /api/v1/jobs` and `GET /api/v1/dead-letter` query strings. */
export const listQuerySchema = z.object({
  state: z.enum(JOB_STATES, { error: `state must be one of ${JOB_STATES.join(', ')}` }).optional(),
  type: z.string().min(1).optional(),
  queue: z.string().min(1).optional(),
  priority: prioritySchema.optional(),
  tag: z
    .string()
    .regex(/^[^:]+:.*$/, 'must be key:value')
    .transform((value) => {
      const at = value.indexOf(':');
      return { key: value.slice(0, at), value: value.slice(at + 1) };
    })
    .optional(),
  /** The dependents of this job: those whose `depends_on` lists it. */
  depends_on: uuidSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().min(1).optional(),
});

/** `POST /api/v1/jobs/:id/cancel`. */
export const cancelSchema = z.object({
  reason: textSchema(1000).optional(),
  force: z
    .boolean()
    .optional()
    .describe("The original's flag; changes nothing, since every cancel stops a running job"),
});

/** `POST /api/v1/jobs/:id/retry` and `POST /api/v1/dead-letter/:id/requeue`. */
export const retrySchema = z.object({ reset_attempts: z.boolean().optional() });

/** `POST /api/v1/jobs/:id/wait` (or the `timeout` query parameter of GET). */
export const waitSchema = z.object({ timeout: durationSchema.optional() });

/** `POST /api/v1/dead-letter/purge`. */
export const purgeSchema = z.object({ older_than: durationSchema.optional() });

/** `POST /api/v1/workers/claim`. */
export const claimSchema = z.object({
  worker_id: z.string({ error: 'worker_id is required' }).min(1).max(200),
  types: z.array(nameSchema).max(1000).optional(),
  queues: z.array(nameSchema).max(1000).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  lease: leaseSchema.optional(),
  wait: durationSchema.optional(),
  /** The worker's machine name, listed by `GET /workers` (else its peer address is). */
  host: z.string().min(1).max(255).optional(),
  /** Handlers the worker runs at once, listed by `GET /workers` and summed in `/stats`. */
  concurrency: z.number().int().min(1).max(100_000).optional(),
  /**
   * Jobs the worker will hold until a slot frees (its claim ahead): the claim takes no job of a
   * queue with a concurrency, rate or per-key limit or ordered keys, and never waits.
   */
  ahead: z.boolean().optional(),
});

const leaseTokenSchema = z.string({ error: 'lease_token is required' }).min(1);

/** `POST /api/v1/jobs/:id/heartbeat`. */
export const heartbeatSchema = z.object({
  lease_token: leaseTokenSchema,
  lease: leaseSchema.optional(),
  checkpoint: jsonSchema.optional(),
  progress: z
    .union([z.number().min(0).max(100), z.record(z.string(), z.unknown())])
    .superRefine((value, ctx) => {
      const problem = progressProblem(value);
      if (problem !== undefined) {
        ctx.addIssue({ code: 'custom', message: problem.replace(/^progress /, '') });
      }
    })
    .optional(),
  progress_message: textSchema(1000).optional(),
});

/** `POST /api/v1/jobs/:id/complete`. */
export const completeSchema = z.object({ lease_token: leaseTokenSchema, result: jsonSchema });

/** Most ends one `POST /api/v1/workers/complete` carries. */
export const MAX_ENDS = 1000;

/** `POST /api/v1/workers/complete`: several leased jobs completed in one request. */
export const completeManySchema = z.object({
  ends: z
    .array(z.object({ id: uuidSchema, lease_token: leaseTokenSchema, result: jsonSchema }))
    .min(1)
    .max(MAX_ENDS),
});

/** `POST /api/v1/jobs/:id/release`: back to scheduled without spending the attempt. */
export const releaseSchema = z.object({
  lease_token: leaseTokenSchema,
  delay: boundedDuration(MAX_DELAY_MS).optional(),
});

/** `POST /api/v1/jobs/:id/fail`. */
export const failSchema = z.object({
  lease_token: leaseTokenSchema,
  error: z.object(
    {
      message: z.string({ error: 'error.message is required' }),
      class: z
        .enum(['error', 'permanent', 'timeout', 'unknown_type', 'panic', 'sandbox_crashed'])
        .optional(),
      name: z.string().max(200).optional(),
      stack: z.string().max(20_000).optional(),
      retry_after: boundedDuration(MAX_BACKOFF_MS).optional(),
    },
    { error: 'error is required: { "message": "..." }' },
  ),
  permanent: z.boolean().optional(),
});

/** `POST /api/v1/keys`. */
export const createKeySchema = z.object({
  name: z
    .string({ error: 'name is required' })
    .max(200)
    .refine((name) => name.trim() !== '', 'must not be empty or blank'),
  role: z.enum(['admin', 'operator', 'producer', 'worker', 'viewer'], {
    error: 'role must be one of admin, operator, producer, worker, viewer',
  }),
  queues: z
    .array(nameSchema)
    .min(1, 'must name at least one queue; omit it for every queue')
    .max(1000)
    .optional(),
});

/** `GET /api/v1/audit` query string. */
export const auditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().min(1).optional(),
});

/** A queue name in a path. */
export const queueNameSchema = z.object({ name: nameSchema });

/** `GET /api/v1/queues`: a page of queues by name, after `cursor` (the last name of a page). */
export const queuesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: nameSchema.optional(),
});

/**
 * `PATCH /api/v1/queues/:name`: strict, so an unknown field is refused by name. `concurrency`
 * is an integer 1..100000 or null (no limit); `rate` is `"N/DURATION"` (N 1..1,000,000, the
 * duration 1ms..1h) or null; `group_concurrency` an integer 1..100000 or null; `ordered` a
 * boolean; `aging` a duration 1s..24h (`"5m"`) or null.
 */
export const queuePatchSchema = z.strictObject({
  paused: z.boolean({ error: 'paused must be true or false' }).optional(),
  concurrency: z
    .unknown()
    .transform((value, ctx) => {
      const problem = concurrencyProblem(value);
      if (problem === undefined) return value as number | null;
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    })
    .optional(),
  rate: z
    .unknown()
    .transform((value, ctx): QueueRate | null => {
      if (value === null) return null;
      if (typeof value === 'string' && value.length <= 64) {
        try {
          return parseRate(value);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }
      ctx.addIssue({
        code: 'custom',
        message: 'rate must be a string like "100/1s" or "1000/1m", or null for no limit',
      });
      return z.NEVER;
    })
    .optional(),
  group_concurrency: z
    .unknown()
    .transform((value, ctx) => {
      const problem = groupConcurrencyProblem(value);
      if (problem === undefined) return value as number | null;
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    })
    .optional(),
  ordered: z.boolean({ error: 'ordered must be true or false' }).optional(),
  aging: z
    .unknown()
    .transform((value, ctx): number | null => {
      if (value === null) return null;
      if (typeof value === 'string') {
        try {
          return parseAging(value);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }
      ctx.addIssue({
        code: 'custom',
        message: agingProblem(value) ?? 'aging must be a duration like "5m", or null for none',
      });
      return z.NEVER;
    })
    .optional(),
});
