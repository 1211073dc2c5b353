/** The response schemas of the OpenAPI document; a job's are built from the job field table. */
import {
  ApiErrorCode,
  BACKOFF_FIELDS,
  DEBOUNCE_FIELDS,
  JOB_ERROR_FIELDS,
  JOB_FIELDS,
  TRANSITION_FIELDS,
  UNIQUE_FIELDS,
  type FieldKind,
  type WireField,
} from '@gopherqueue/client';
import { JOB_STATES, MAX_TRANSITIONS } from '@gopherqueue/core';
import { int, obj, ref, str, time, type Schema } from './openapi-builders.js';

/** The schema of a field of each plain kind the job field table names. */
const SCHEMA_OF: Record<
  Exclude<FieldKind, 'backoff' | 'errors' | 'transitions' | 'unique' | 'debounce' | 'until'>,
  Schema
> = {
  uuid: { type: 'string', format: 'uuid' },
  name: str,
  string: str,
  number: { type: 'number' },
  boolean: { type: 'boolean' },
  json: {},
  priority: { type: 'integer', minimum: 0, maximum: 4 },
  state: { type: 'string', enum: [...JOB_STATES] },
  count: { type: 'integer', minimum: 0 },
  positive: { type: 'integer', minimum: 1 },
  ms: { type: 'integer', minimum: 0, description: 'milliseconds' },
  time,
  ids: { type: 'array', items: { type: 'string', format: 'uuid' } },
  tags: { type: 'object', additionalProperties: str },
  names: { type: 'array', items: str },
};

/** The schema of a field of `kind`; a backoff and the errors are objects of their own tables. */
function schemaOf(kind: FieldKind): Schema {
  if (kind === 'backoff') return tableSchema(BACKOFF_FIELDS);
  if (kind === 'errors') return { type: 'array', items: tableSchema(JOB_ERROR_FIELDS) };
  if (kind === 'transitions') {
    return { type: 'array', maxItems: MAX_TRANSITIONS, items: tableSchema(TRANSITION_FIELDS) };
  }
  if (kind === 'unique') return tableSchema(UNIQUE_FIELDS);
  if (kind === 'debounce') return tableSchema(DEBOUNCE_FIELDS);
  if (kind === 'until') {
    return {
      oneOf: [
        { type: 'string', enum: ['started', 'finished'] },
        { type: 'integer', minimum: 1, description: 'milliseconds after the submit' },
      ],
    };
  }
  return SCHEMA_OF[kind];
}

/** An object with the fields of a table under their wire names; the required ones required. */
function tableSchema(table: Readonly<Record<string, WireField>>): Schema {
  const fields = Object.values(table);
  return obj(
    Object.fromEntries(fields.map((f) => [f.wire, schemaOf(f.kind)])),
    fields.filter((f) => f.required).map((f) => f.wire),
  );
}

const sentFields = Object.values(JOB_FIELDS).filter((f) => f.sent === 'always');
const jobProperties: Schema = {
  ...Object.fromEntries(sentFields.map((f) => [f.wire, schemaOf(f.kind)])),
  last_error: { ...str, description: 'The message of the last failed attempt.' },
  waiting_reason: {
    type: 'string',
    description:
      'Why a job that could run now (scheduled, delayed or retrying, its scheduled_at passed) is not running. `no_handler`: no worker this server knows claims its type: the local pool has no handler for it (`gq serve --unknown-types wait`, the default) and no remote worker seen in the last two leases claims it. Read one job (`GET /api/v1/jobs/{id}`) to see what its queue holds it back by: `queue_paused`, `queue_concurrency` (as many of its jobs run as the queue allows), `queue_rate` (its rate allows no start now), `group_concurrency` (its group key is at the per-key limit of its queue, or an earlier job of its key in an ordered queue has not finished). Absent otherwise. More reasons may come; show unknown ones as given.',
    examples: ['no_handler', 'queue_concurrency', 'queue_rate', 'group_concurrency'],
  },
  deduplicated: { type: 'boolean' },
  deduplicated_by: {
    type: 'string',
    enum: ['unique', 'debounce'],
    description: 'With deduplicated: which key matched (absent for an idempotency key).',
  },
};
/** Fields every job has, and `progress`, which reads 0 before any report. */
const jobRequired = sentFields.filter((f) => f.required || 'absent' in f).map((f) => f.wire);
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
      obj(
        {
          [JOB_FIELDS.leaseToken.wire]: str,
          [JOB_FIELDS.leaseExpiresAt.wire]: time,
        },
        [JOB_FIELDS.leaseToken.wire, JOB_FIELDS.leaseExpiresAt.wire],
      ),
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
  Queue: obj(
    {
      name: str,
      paused: { type: 'boolean' },
      concurrency: {
        type: ['integer', 'null'],
        description: 'At most this many of its jobs running at once, across every node',
      },
      rate: {
        type: ['string', 'null'],
        description: 'At most N starts in any window of the duration (a sliding window): "100/1s"',
      },
      group_concurrency: {
        type: ['integer', 'null'],
        description: 'At most this many running jobs per group key, across every node',
      },
      ordered: {
        type: 'boolean',
        description: 'Strict FIFO per group key: one running job per key, in submission order',
      },
      aging: {
        type: ['string', 'null'],
        description: 'One priority level gained per this duration waited ("5m"); null: none',
      },
      counts,
      total: int,
    },
    [
      'name',
      'paused',
      'concurrency',
      'rate',
      'group_concurrency',
      'ordered',
      'aging',
      'counts',
      'total',
    ],
  ),
  QueueDetail: {
    allOf: [
      { $ref: '#/components/schemas/Queue' },
      obj(
        {
          running: int,
          waiting: { ...int, description: 'Pending, scheduled, delayed and retrying jobs' },
          rate_remaining: { type: ['integer', 'null'], description: 'Starts its rate allows now' },
          next_start_at: {
            type: ['string', 'null'],
            format: 'date-time',
            description: 'When its rate allows the next start, when it allows none now',
          },
          oldest_waiting_at: {
            type: ['string', 'null'],
            format: 'date-time',
            description: 'When its longest-waiting due job became due',
          },
          oldest_waiting_ms: {
            type: ['integer', 'null'],
            description: 'How long its longest-waiting due job has waited',
          },
          groups_at_limit: {
            type: 'array',
            description: 'Group keys at the per-key limit, by key (at most 100)',
            items: obj({ group: str, running: int }, ['group', 'running']),
          },
        },
        [
          'running',
          'waiting',
          'rate_remaining',
          'next_start_at',
          'oldest_waiting_at',
          'oldest_waiting_ms',
          'groups_at_limit',
        ],
      ),
    ],
  },
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
