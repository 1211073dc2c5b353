/** The OpenAPI paths and schemas of the schedule routes (merged into `openapi.ts`). */
import { body, err, int, json, obj, ref, str, time, type Schema } from './openapi-builders.js';
import { createScheduleSchema, patchScheduleSchema } from './schedule-schemas.js';

const ERRORS = {
  '400': err('Invalid request or validation error (details.field names the field)'),
  '401': err('No valid API key'),
  '403': err('The key lacks the permission or the queue of the schedule job'),
};
const NAMED = { ...ERRORS, '404': err('Unknown schedule') };
const JSON_BODY = { '415': err('The body is not JSON (Content-Type: application/json)') };

const nameParam = {
  name: 'name',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
};

const op = (
  summary: string,
  permission: string,
  responses: Schema,
  extra: Schema = {},
): Schema => ({ summary, 'x-permission': permission, ...extra, responses });

const scheduleOk = json(ref('Schedule'));

/** The schedule paths. */
export const schedulePaths: Record<string, Record<string, Schema>> = {
  '/api/v1/schedules': {
    get: op(
      'A page of schedules, by name, with their next run times; next_cursor continues',
      'jobs:read',
      {
        '200': json(
          obj({ schedules: { type: 'array', items: ref('Schedule') }, next_cursor: str }, [
            'schedules',
          ]),
        ),
        ...ERRORS,
      },
      {
        parameters: [
          {
            name: 'limit',
            in: 'query',
            description: 'default 100',
            schema: { type: 'integer', minimum: 1, maximum: 1000 },
          },
          {
            name: 'cursor',
            in: 'query',
            description: 'the next_cursor of the page before',
            schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
          },
        ],
      },
    ),
    post: op(
      'Create a schedule: a job template with a cron expression (and time zone) or an interval',
      'queues:manage',
      {
        '201': json(ref('Schedule'), 'Created'),
        ...ERRORS,
        '409': err('A schedule of this name exists'),
        ...JSON_BODY,
      },
      { requestBody: body(createScheduleSchema) },
    ),
  },
  '/api/v1/schedules/{name}': {
    get: op(
      'One schedule with its next five run times',
      'jobs:read',
      { '200': scheduleOk, ...NAMED },
      {
        parameters: [nameParam],
      },
    ),
    patch: op(
      'Change the given fields of a schedule (job is replaced whole; cron drops every, every drops cron)',
      'queues:manage',
      { '200': scheduleOk, ...NAMED, ...JSON_BODY },
      { parameters: [nameParam], requestBody: body(patchScheduleSchema) },
    ),
    delete: op(
      'Delete a schedule (its jobs stay; a schedule declared in code comes back at the next start that declares it)',
      'queues:manage',
      { '204': { description: 'Deleted' }, ...NAMED },
      { parameters: [nameParam] },
    ),
  },
  '/api/v1/schedules/{name}/trigger': {
    post: op(
      'Create a job from the schedule now, outside its ticks',
      'jobs:submit',
      {
        '201': json(ref('Job'), 'Created'),
        ...NAMED,
        '409': err('The stored definition cannot be read: its error'),
      },
      { parameters: [nameParam] },
    ),
  },
  '/api/v1/schedules/{name}/pause': {
    post: op(
      'Pause a schedule: no job at its ticks until resumed',
      'queues:manage',
      {
        '200': scheduleOk,
        ...NAMED,
      },
      { parameters: [nameParam] },
    ),
  },
  '/api/v1/schedules/{name}/resume': {
    post: op(
      'Resume a schedule; the ticks that passed while paused do not run',
      'queues:manage',
      { '200': scheduleOk, ...NAMED },
      { parameters: [nameParam] },
    ),
  },
};

const ms = (description: string): Schema => ({ ...int, description });

/** The `Schedule` component. */
export const scheduleSchemas: Record<string, Schema> = {
  Schedule: obj(
    {
      name: str,
      cron: { ...str, description: '5 fields, or 6 with seconds' },
      timezone: { ...str, description: 'IANA time zone of cron' },
      every_ms: ms('Interval: ticks at every multiple of it since the Unix epoch'),
      misfire: {
        type: 'string',
        enum: ['skip', 'once', 'catch_up'],
        description: 'What happens to ticks missed while no server ran',
      },
      catch_up_limit: ms('With catch_up: at most this many missed ticks run, the latest'),
      jitter_ms: ms('Each job runs at its tick plus a random delay below this'),
      job: obj(
        {
          type: str,
          payload: {},
          queue: str,
          priority: int,
          max_attempts: int,
          timeout_ms: int,
          tags: { type: 'object', additionalProperties: str },
          backoff: { type: 'object' },
          retry_on: { type: 'array', items: str },
          no_retry_on: { type: 'array', items: str },
        },
        ['type', 'payload'],
      ),
      source: {
        type: 'string',
        enum: ['code', 'api'],
        description:
          'code: declared by the handlers module of gq serve, removed when no longer declared; api: made at run time',
      },
      paused: { type: 'boolean' },
      revision: int,
      last_tick_at: { ...time, description: 'The latest tick handled, or when created or resumed' },
      next_runs: { type: 'array', items: time },
      created_at: time,
      updated_at: time,
      error: { ...str, description: 'Why a stored definition cannot run' },
    },
    [
      'name',
      'misfire',
      'jitter_ms',
      'job',
      'source',
      'paused',
      'revision',
      'last_tick_at',
      'next_runs',
      'created_at',
      'updated_at',
    ],
  ),
};
