/** OpenAPI paths of job logs (and later additions), kept apart from the original's routes. */
import { body, err, int, json, obj, str, time, type Schema } from './openapi-builders.js';
import { bulkSchema } from './routes/bulk.js';
import { workerLogsSchema } from './routes/job-logs.js';

const ERRORS = {
  '400': err('Invalid request or validation error (details.field names the field)'),
  '401': err('No valid API key'),
  '403': err('The key lacks the permission or the queue'),
};
const JSON_ONLY = { '415': err('The body is not JSON (Content-Type: application/json)') };
const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'uuid' },
};
const q = (name: string, schema: Schema, description: string): Schema => ({
  name,
  in: 'query',
  schema,
  description,
});

const logLine = obj(
  {
    attempt: int,
    seq: int,
    at: time,
    level: { type: 'string', enum: ['debug', 'info', 'warn', 'error'] },
    message: str,
    fields: { type: 'object' },
  },
  ['attempt', 'seq', 'at', 'level', 'message'],
);

/** Paths added to the document's. */
export const extraPaths: Record<string, Record<string, Schema>> = {
  '/api/v1/jobs/{id}/logs': {
    get: {
      summary: "A job's log lines (what its handlers wrote through ctx.logger), in bounded pages",
      'x-permission': 'jobs:read',
      parameters: [
        idParam,
        q('attempt', { type: 'integer', minimum: 1 }, 'only this attempt'),
        q('after', str, '<attempt>:<seq> of the last line read (the `last` of the previous page)'),
        q('limit', { type: 'integer', minimum: 1, maximum: 1000 }, 'default 200'),
      ],
      responses: {
        '200': json(
          obj({
            job_id: str,
            lines: { type: 'array', items: logLine },
            dropped: { type: 'array', items: obj({ attempt: int, count: int }) },
            more: { type: 'boolean' },
            last: str,
          }),
        ),
        ...ERRORS,
        '404': err('Unknown job'),
      },
    },
  },
  '/api/v1/jobs/bulk': {
    post: {
      summary:
        'Retry, cancel or delete the jobs a filter matches (at most limit, newest first; next_cursor goes on) or the given ids',
      'x-permission': 'jobs:manage',
      requestBody: body(bulkSchema),
      responses: {
        '200': json(
          obj({
            action: str,
            matched: int,
            succeeded: int,
            skipped: obj({ invalid_state: int, not_found: int }),
            next_cursor: str,
          }),
        ),
        ...ERRORS,
        ...JSON_ONLY,
      },
    },
  },
  '/api/v1/workers/logs': {
    post: {
      summary: "Keep the log lines of a remote worker's attempts with their jobs",
      'x-permission': 'workers:lease',
      requestBody: body(workerLogsSchema),
      responses: { '200': json(obj({ accepted: int })), ...ERRORS, ...JSON_ONLY },
    },
  },
};
