/**
 * The OpenAPI 3.1 document of the API, served at `/api/v1/openapi.json`. Request bodies are
 * generated from the zod schemas the routes validate with, so they cannot drift; responses are
 * written here by hand, after `wire-types.ts`.
 */
import { extraPaths } from './openapi-extra-paths.js';
import { statsHistoryPaths } from './openapi-stats-history.js';
import { JOB_STATES, MAX_QUEUE_CONCURRENCY } from '@gopherqueue/core';
import { componentSchemas } from './openapi-components.js';
import { body, err, int, json, obj, ref, str, time, type Schema } from './openapi-builders.js';
import { schedulePaths, scheduleSchemas } from './openapi-schedules.js';
import {
  batchSchema,
  cancelSchema,
  claimSchema,
  completeManySchema,
  completeSchema,
  createKeySchema,
  failSchema,
  heartbeatSchema,
  releaseSchema,
  purgeSchema,
  retrySchema,
  submitSchema,
  waitSchema,
} from './schemas.js';

const STANDARD_ERRORS = {
  '400': err('Invalid request or validation error (details.field names the field)'),
  '401': err('No valid API key'),
  '403': err(
    'The key lacks the permission or the queue, or the request comes from a web page of another origin or names a Host that is not the server',
  ),
};
const ID_ERRORS = { ...STANDARD_ERRORS, '404': err('Unknown job') };
const TOO_MANY_WAITS = err(
  'Too many waits open (maxJobWaits) and the job not finished; retry after Retry-After seconds',
);

interface Op {
  summary: string;
  permission?: string;
  parameters?: Schema[];
  requestBody?: Schema;
  responses: Schema;
}

const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'uuid' },
};
const q = (name: string, schema: Schema = str, description?: string): Schema => ({
  name,
  in: 'query',
  schema,
  ...(description === undefined ? {} : { description }),
});
const listParams = [
  q('state', { type: 'string', enum: [...JOB_STATES] }),
  q('type'),
  q('queue'),
  q('priority', { type: ['integer', 'string'] }, '0..4 or critical, high, normal, low, bulk'),
  q('tag', str, 'key:value'),
  q('depends_on', str, 'a job id: only the jobs whose depends_on lists it (its dependents)'),
  q('limit', { type: 'integer', minimum: 1, maximum: 1000 }),
  q('cursor', str, 'next_cursor of the previous page'),
];

function op(o: Op): Schema {
  return {
    summary: o.summary,
    ...(o.permission === undefined ? {} : { 'x-permission': o.permission }),
    ...(o.parameters === undefined ? {} : { parameters: o.parameters }),
    ...(o.requestBody === undefined ? {} : { requestBody: o.requestBody }),
    responses:
      o.requestBody === undefined
        ? o.responses
        : { ...o.responses, '415': err('The body is not JSON (Content-Type: application/json)') },
  };
}

const jobOk = json(ref('Job'));
const lease = { ...ID_ERRORS, '409': err('lease_lost: the token is stale') };

const paths: Record<string, Record<string, Schema>> = {
  '/health': {
    get: op({
      summary: 'Component health with latency',
      permission: 'stats:read',
      responses: { '200': json({ type: 'object' }), '503': json({ type: 'object' }, 'Unhealthy') },
    }),
  },
  '/live': {
    get: op({
      summary: 'Liveness (no key needed)',
      responses: { '200': json(obj({ alive: { type: 'boolean' } })) },
    }),
  },
  '/ready': {
    get: op({
      summary: 'Readiness (no key needed)',
      responses: {
        '200': json(obj({ ready: { type: 'boolean' } })),
        '503': json(obj({ ready: { type: 'boolean' } }), 'Not ready'),
      },
    }),
  },
  '/metrics': {
    get: op({
      summary:
        'Prometheus text; JSON with ?format=json or Accept: application/json. Needs a key where keys are needed, unless the server runs with --metrics-public; a key limited to queues gets 403 (the series span every queue)',
      permission: 'stats:read',
      parameters: [q('format', { type: 'string', enum: ['json'] })],
      responses: {
        '200': {
          description: 'Metrics',
          content: {
            'text/plain': { schema: str },
            'application/json': { schema: { type: 'object' } },
          },
        },
      },
    }),
  },
  '/api/v1/openapi.json': {
    get: op({ summary: 'This document', responses: { '200': json({ type: 'object' }) } }),
  },
  '/api/v1/jobs': {
    post: op({
      summary: 'Submit a job',
      permission: 'jobs:submit',
      requestBody: body(submitSchema),
      responses: {
        '201': json(ref('Job'), 'Created'),
        '200': json(
          ref('Job'),
          'Deduplicated: the stored job with this idempotency key, the job holding this unique key, or the waiting job of this debounce key (its payload replaced, its run put off); announced as job.deduplicated',
        ),
        ...STANDARD_ERRORS,
        '413': err('Body over the limit'),
      },
    }),
    get: op({
      summary: 'List jobs, newest first',
      permission: 'jobs:read',
      parameters: listParams,
      responses: { '200': json(ref('JobPage')), ...STANDARD_ERRORS },
    }),
  },
  '/api/v1/jobs/batch': {
    post: op({
      summary: 'Submit up to 1000 jobs; atomic stores all or none',
      permission: 'jobs:submit',
      requestBody: body(batchSchema),
      responses: { '201': json(ref('BatchResult'), 'Created'), ...STANDARD_ERRORS },
    }),
  },
  '/api/v1/jobs/{id}': {
    get: op({
      summary: 'A job, payload included',
      permission: 'jobs:read',
      parameters: [idParam],
      responses: { '200': jobOk, ...ID_ERRORS },
    }),
    delete: op({
      summary: 'Delete a job that is not running',
      permission: 'jobs:manage',
      parameters: [idParam],
      responses: { '204': { description: 'Deleted' }, ...ID_ERRORS, '409': err('Running') },
    }),
  },
  '/api/v1/jobs/{id}/cancel': {
    post: op({
      summary: "Cancel a job that has not finished, a running one too (its handler's signal fires)",
      permission: 'jobs:manage',
      parameters: [idParam],
      requestBody: body(cancelSchema),
      responses: { '200': jobOk, ...ID_ERRORS, '409': err('Already finished') },
    }),
  },
  '/api/v1/jobs/{id}/retry': {
    post: op({
      summary: 'Run a failed, dead-lettered or cancelled job again',
      permission: 'jobs:manage',
      parameters: [idParam],
      requestBody: body(retrySchema),
      responses: { '200': jobOk, ...ID_ERRORS, '409': err('Not retryable') },
    }),
  },
  '/api/v1/jobs/{id}/result': {
    get: op({
      summary: "A finished job's result (duration in ns)",
      permission: 'jobs:read',
      parameters: [idParam],
      responses: { '200': json(ref('JobResult')), ...ID_ERRORS },
    }),
  },
  '/api/v1/jobs/{id}/wait': {
    get: op({
      summary: 'Long-poll until the job finishes',
      permission: 'jobs:read',
      parameters: [idParam, q('timeout', str, 'e.g. 30s; at most 5m')],
      responses: { '200': json(ref('WaitResult')), ...ID_ERRORS, '503': TOO_MANY_WAITS },
    }),
    post: op({
      summary: 'Long-poll until the job finishes',
      permission: 'jobs:read',
      parameters: [idParam],
      requestBody: body(waitSchema),
      responses: { '200': json(ref('WaitResult')), ...ID_ERRORS, '503': TOO_MANY_WAITS },
    }),
  },
  '/api/v1/jobs/{id}/heartbeat': {
    post: op({
      summary: 'Extend a lease; save checkpoint and progress',
      permission: 'workers:lease',
      parameters: [idParam],
      requestBody: body(heartbeatSchema),
      responses: { '200': json(obj({ id: str, state: str, lease_expires_at: time })), ...lease },
    }),
  },
  '/api/v1/jobs/{id}/complete': {
    post: op({
      summary: 'Complete a leased job',
      permission: 'workers:lease',
      parameters: [idParam],
      requestBody: body(completeSchema),
      responses: { '200': jobOk, ...lease },
    }),
  },
  '/api/v1/workers/complete': {
    post: op({
      summary:
        'Complete several leased jobs in one request (up to 1000): each end is fenced by its own lease token and answered in order, ok or with the error code the single complete route would give (lease_lost, not_found)',
      permission: 'workers:lease',
      requestBody: body(completeManySchema),
      responses: {
        '200': json(
          obj(
            {
              results: {
                type: 'array',
                items: obj(
                  {
                    id: str,
                    ok: { type: 'boolean' },
                    error: obj({ code: str, message: str }, ['code', 'message']),
                  },
                  ['id', 'ok'],
                ),
              },
            },
            ['results'],
          ),
        ),
        ...STANDARD_ERRORS,
      },
    }),
  },
  '/api/v1/jobs/{id}/fail': {
    post: op({
      summary: 'Fail a leased job; the retry policy decides where it goes',
      permission: 'workers:lease',
      parameters: [idParam],
      requestBody: body(failSchema),
      responses: { '200': jobOk, ...lease },
    }),
  },
  '/api/v1/jobs/{id}/release': {
    post: op({
      summary: 'Release a leased job back to scheduled (after delay) without spending the attempt',
      permission: 'workers:lease',
      parameters: [idParam],
      requestBody: body(releaseSchema),
      responses: { '200': jobOk, ...lease },
    }),
  },
  '/api/v1/workers/claim': {
    post: op({
      summary:
        'Claim jobs with a lease, long-polling up to wait; the worker is listed by GET /api/v1/workers until two of its leases after its last request',
      permission: 'workers:lease',
      requestBody: body(claimSchema),
      responses: {
        '200': json(obj({ jobs: { type: 'array', items: ref('LeasedJob') } })),
        ...STANDARD_ERRORS,
        '503': err(
          'Too many claims waiting for work (maxClaimWaits) and none found; retry after Retry-After seconds',
        ),
      },
    }),
  },
  '/api/v1/stats': {
    get: op({
      summary: 'Job counts, and the workers: the local pool and the remote ones, apart and summed',
      permission: 'stats:read',
      responses: { '200': json(ref('Stats')), ...STANDARD_ERRORS },
    }),
  },
  '/api/v1/workers': {
    get: op({
      summary:
        'The local pool and the remote workers seen in the last two leases, with the jobs each holds (a server knows only the remote workers that talk to it; a key restricted to queues sees the workers that may claim from them, and only their jobs)',
      permission: 'stats:read',
      responses: {
        '200': json(obj({ workers: { type: 'array', items: ref('Worker') } })),
        ...STANDARD_ERRORS,
      },
    }),
  },
  '/api/v1/events': {
    get: op({
      summary:
        'Server-Sent Events: connected, then job.created ... job.deleted, job.deduplicated, job.expired',
      permission: 'jobs:read',
      parameters: [
        q('job_id', { type: 'string', format: 'uuid' }),
        q(
          'worker_id',
          str,
          'Only the jobs this remote worker holds through the lease API (what `gq work` watches to learn of a cancel at once)',
        ),
      ],
      responses: {
        '200': {
          description:
            'An event stream. A client that falls too far behind (8 MiB by default) gets a ' +
            'final `overflow` event when it can still take one and is disconnected; events ' +
            'after it are not replayed, so reconnect and re-read what changed.',
          content: { 'text/event-stream': { schema: str } },
        },
        ...STANDARD_ERRORS,
        '503': err('Too many event streams open'),
      },
    }),
  },
  '/api/v1/queues': {
    get: op({
      summary: 'Named queues with counts, by name, a page at a time',
      permission: 'stats:read',
      parameters: [
        q('limit', { type: 'integer', minimum: 1, maximum: 1000 }, 'at most this many (1000)'),
        q('cursor', str, 'next_cursor of the previous page: the last queue name it listed'),
      ],
      responses: {
        '200': json(obj({ queues: { type: 'array', items: ref('Queue') }, next_cursor: str })),
        ...STANDARD_ERRORS,
      },
    }),
  },
  '/api/v1/queues/{name}': {
    get: op({
      summary: 'One queue: settings, counts, running, waiting and the state of its limits',
      permission: 'stats:read',
      parameters: [{ name: 'name', in: 'path', required: true, schema: str }],
      responses: { '200': json(ref('QueueDetail')), ...STANDARD_ERRORS },
    }),
    patch: op({
      summary: "Change a queue's settings (given fields change; null clears a limit)",
      permission: 'queues:manage',
      parameters: [{ name: 'name', in: 'path', required: true, schema: str }],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              additionalProperties: false,
              properties: {
                paused: { type: 'boolean' },
                concurrency: {
                  type: ['integer', 'null'],
                  minimum: 1,
                  maximum: MAX_QUEUE_CONCURRENCY,
                  description: 'At most this many of its jobs running at once; null: no limit',
                },
                rate: {
                  type: ['string', 'null'],
                  examples: ['100/1s', '1000/1m'],
                  description:
                    'N/DURATION: at most N (1..1000000) starts in any window of DURATION (1ms..1h); null: no limit',
                },
              },
            },
          },
        },
      },
      responses: { '200': json(ref('QueueDetail')), ...STANDARD_ERRORS },
    }),
  },
  '/api/v1/queues/{name}/pause': {
    post: op({
      summary: 'Pause a queue',
      permission: 'queues:manage',
      parameters: [{ name: 'name', in: 'path', required: true, schema: str }],
      responses: {
        '200': json(obj({ name: str, paused: { type: 'boolean' } })),
        ...STANDARD_ERRORS,
      },
    }),
  },
  '/api/v1/queues/{name}/resume': {
    post: op({
      summary: 'Resume a queue',
      permission: 'queues:manage',
      parameters: [{ name: 'name', in: 'path', required: true, schema: str }],
      responses: {
        '200': json(obj({ name: str, paused: { type: 'boolean' } })),
        ...STANDARD_ERRORS,
      },
    }),
  },
  '/api/v1/dead-letter': {
    get: op({
      summary: 'Dead-lettered jobs',
      permission: 'jobs:read',
      parameters: listParams.filter((p) => p.name !== 'state'),
      responses: { '200': json(ref('JobPage')), ...STANDARD_ERRORS },
    }),
  },
  '/api/v1/dead-letter/{id}/requeue': {
    post: op({
      summary: 'Requeue a dead-lettered job (attempts reset unless reset_attempts is false)',
      permission: 'dlq:manage',
      parameters: [idParam],
      requestBody: body(retrySchema),
      responses: { '200': jobOk, ...ID_ERRORS, '409': err('Not dead-lettered') },
    }),
  },
  '/api/v1/dead-letter/purge': {
    post: op({
      summary: 'Delete dead-lettered jobs older than older_than',
      permission: 'dlq:manage',
      requestBody: body(purgeSchema),
      responses: { '200': json(obj({ purged: int })), ...STANDARD_ERRORS },
    }),
  },
  '/api/v1/keys': {
    get: op({
      summary: 'API keys',
      permission: 'keys:manage',
      responses: {
        '200': json(obj({ keys: { type: 'array', items: ref('ApiKey') } })),
        ...STANDARD_ERRORS,
      },
    }),
    post: op({
      summary: 'Create an API key (shown once)',
      permission: 'keys:manage',
      requestBody: body(createKeySchema),
      responses: {
        '201': json({ allOf: [ref('ApiKey'), obj({ key: str }, ['key'])] }, 'Created'),
        ...STANDARD_ERRORS,
      },
    }),
  },
  '/api/v1/keys/{id}': {
    delete: op({
      summary: 'Revoke an API key',
      permission: 'keys:manage',
      parameters: [{ name: 'id', in: 'path', required: true, schema: str }],
      responses: {
        '204': { description: 'Revoked' },
        ...STANDARD_ERRORS,
        '404': err('Unknown key'),
      },
    }),
  },
  '/api/v1/audit': {
    get: op({
      summary: 'Audit log, newest first',
      permission: 'audit:read',
      parameters: [q('limit', int), q('cursor')],
      responses: {
        '200': json(
          obj({ entries: { type: 'array', items: ref('AuditEntry') }, next_cursor: str }),
        ),
        ...STANDARD_ERRORS,
      },
    }),
  },
};

/** The OpenAPI 3.1 document. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'GopherQueue API',
    version: '1.0.0',
    description:
      'Wire-compatible with the original GopherQueue: snake_case fields, RFC 3339 times, Go-style durations in requests.',
  },
  components: {
    securitySchemes: {
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      bearer: { type: 'http', scheme: 'bearer' },
    },
    schemas: { ...componentSchemas, ...scheduleSchemas },
  },
  security: [{ apiKey: [] }, { bearer: [] }, {}],
  paths: { ...paths, ...schedulePaths, ...extraPaths, ...statsHistoryPaths },
} as const;
