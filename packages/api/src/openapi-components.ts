/** The response schemas of the OpenAPI document, after `wire-types.ts`. */
import { JOB_STATES } from '@gopherqueue/core';
import { ApiErrorCode } from './errors.js';
import { int, obj, ref, str, time, type Schema } from './openapi-builders.js';

const jobProperties: Schema = {
  id: { type: 'string', format: 'uuid' },
  type: str,
  state: { type: 'string', enum: [...JOB_STATES] },
  priority: { type: 'integer', minimum: 0, maximum: 4 },
  attempt: int,
  max_attempts: int,
  progress: {},
  progress_message: str,
  tags: { type: 'object', additionalProperties: str },
  created_at: time,
  updated_at: time,
  scheduled_at: time,
  started_at: time,
  completed_at: time,
  last_error: str,
  payload: {},
  queue: str,
  depends_on: { type: 'array', items: str },
  waiting_on: { type: 'array', items: str },
  checkpoint: {},
  errors: {
    type: 'array',
    items: obj({ attempt: int, message: str, class: str, name: str, stack: str, at: time }),
  },
  result: {},
  timeout_ms: int,
  backoff: obj({
    strategy: str,
    initial_ms: int,
    max_ms: int,
    multiplier: { type: 'number' },
    jitter: { type: 'boolean' },
  }),
  idempotency_key: str,
  correlation_id: str,
  cancel_reason: str,
  worker_id: str,
  waiting_reason: {
    type: 'string',
    description:
      'Why a job that could run now (scheduled, delayed or retrying, its scheduled_at passed) is not running. `no_handler`: no worker this server knows claims its type: the local pool has no handler for it (`gq serve --unknown-types wait`, the default) and no remote worker seen in the last two leases claims it. Absent otherwise. More reasons may come; show unknown ones as given.',
    examples: ['no_handler'],
  },
  deduplicated: { type: 'boolean' },
};
const jobRequired = [
  'id',
  'type',
  'state',
  'priority',
  'attempt',
  'max_attempts',
  'created_at',
  'updated_at',
  'queue',
  'payload',
];
const jobResult = obj(
  {
    job_id: str,
    success: { type: 'boolean' },
    output: {},
    error: str,
    error_category: str,
    duration: { type: 'integer', description: 'nanoseconds' },
    completed_at: time,
  },
  ['job_id', 'success', 'duration'],
);
const counts = obj(Object.fromEntries(JOB_STATES.map((s) => [s, int])));
const slots = obj({ busy: int, concurrency: int }, ['busy', 'concurrency']);

/** `components.schemas` of the OpenAPI document. */
export const componentSchemas: Record<string, Schema> = {
  Error: obj(
    {
      error: obj(
        {
          code: {
            type: 'string',
            enum: Object.values(ApiErrorCode),
          },
          message: str,
          details: { type: 'object' },
        },
        ['code', 'message'],
      ),
    },
    ['error'],
  ),
  Job: obj(jobProperties, jobRequired),
  LeasedJob: {
    allOf: [
      ref('Job'),
      obj({ lease_token: str, lease_expires_at: time }, ['lease_token', 'lease_expires_at']),
    ],
  },
  JobPage: obj(
    { jobs: { type: 'array', items: ref('Job') }, count: int, total: int, next_cursor: str },
    ['jobs', 'count'],
  ),
  JobResult: jobResult,
  WaitResult: obj(
    {
      id: str,
      state: str,
      completed: { type: 'boolean' },
      success: { type: 'boolean' },
      result: jobResult,
      timed_out: { type: 'boolean' },
    },
    ['id', 'state', 'completed', 'success', 'timed_out'],
  ),
  BatchResult: obj(
    {
      total: int,
      accepted: int,
      rejected: int,
      results: {
        type: 'array',
        items: obj({ index: int, success: { type: 'boolean' }, job: ref('Job'), error: str }, [
          'index',
          'success',
        ]),
      },
    },
    ['total', 'accepted', 'rejected', 'results'],
  ),
  Stats: obj({
    queue: obj({
      ...Object.fromEntries(JOB_STATES.map((s) => [s, int])),
      total_jobs: int,
      storage_bytes: int,
      timestamp: time,
    }),
    workers: obj(
      {
        busy: int,
        concurrency: int,
        local: { oneOf: [slots, { type: 'null' }] },
        remote: obj({ workers: int, busy: int, concurrency: int }),
      },
      ['busy', 'concurrency', 'local', 'remote'],
    ),
  }),
  Worker: obj(
    {
      id: str,
      kind: { type: 'string', enum: ['local', 'remote'] },
      host: {
        ...str,
        description: 'The name a remote worker sent in its claims, else its address',
      },
      address: { ...str, description: 'The peer address of a remote worker' },
      types: { type: ['array', 'null'], items: str, description: 'null: every type' },
      queues: { type: ['array', 'null'], items: str, description: 'null: every queue' },
      concurrency: { type: ['integer', 'null'] },
      busy: int,
      jobs: { type: 'array', items: str, description: 'Ids of the jobs it holds' },
      last_seen_at: time,
    },
    ['id', 'kind', 'host', 'types', 'queues', 'concurrency', 'busy', 'jobs', 'last_seen_at'],
  ),
  Queue: obj({ name: str, paused: { type: 'boolean' }, counts, total: int }),
  ApiKey: obj(
    {
      id: str,
      name: str,
      role: { type: 'string', enum: ['admin', 'operator', 'producer', 'worker', 'viewer'] },
      queues: { type: 'array', items: str },
      created_at: time,
      last_used_at: time,
      revoked_at: time,
    },
    ['id', 'name', 'role', 'created_at'],
  ),
  AuditEntry: obj(
    {
      id: str,
      at: time,
      actor: str,
      action: str,
      target: str,
      queues: { type: 'array', items: str },
      details: { type: 'object' },
    },
    ['id', 'at', 'actor', 'action'],
  ),
};
