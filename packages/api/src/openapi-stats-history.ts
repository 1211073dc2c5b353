/** OpenAPI path of the per-minute throughput history. */
import { err, int, json, obj, str, time, type Schema } from './openapi-builders.js';

const BUCKETS =
  'Milliseconds; each percentile is the upper bound of the histogram bucket it falls in (buckets are 2^(1/4), about 19 %, apart); null when the minute has no finished job with a start time';
const percentiles = (what: string): Schema => ({
  ...obj({ p50: { type: 'number' }, p95: { type: 'number' }, p99: { type: 'number' } }, [
    'p50',
    'p95',
    'p99',
  ]),
  type: ['object', 'null'],
  description: `${what}. ${BUCKETS}`,
});

const minute = obj(
  {
    start: { ...time, description: 'Start of the minute' },
    completed: { ...int, description: 'Jobs completed in the minute' },
    failed: {
      ...int,
      description: 'Jobs that failed for good (failed or dead letter) in the minute',
    },
    wait_ms: percentiles(
      'From when the job could run (the later of run_at and created_at) to its start',
    ),
    run_ms: percentiles("From the start of the job's last attempt to its end"),
    incomplete: {
      type: 'boolean',
      description:
        'Only for some queues: the minute saw more queues than the server counts apart (32 by default), so jobs of these queues may be missing',
    },
  },
  ['start', 'completed', 'failed', 'wait_ms', 'run_ms', 'incomplete'],
);

/** `GET /api/v1/stats/history`. */
export const statsHistoryPaths: Record<string, Record<string, Schema>> = {
  '/api/v1/stats/history': {
    get: {
      summary:
        'Jobs completed and failed per minute over the last hour, with wait and run time percentiles (p50, p95, p99)',
      description:
        'Kept in memory by the server process from the job events it sees: it starts empty when the process starts, and with PostgreSQL each node answers its own history. A key limited to queues gets the sum of its queues.',
      'x-permission': 'stats:read',
      parameters: [
        {
          name: 'queue',
          in: 'query',
          schema: str,
          description: 'only the jobs of this queue (a key limited to queues must be allowed it)',
        },
      ],
      responses: {
        '200': json(
          obj(
            {
              since: { ...time, description: 'When this history started (the process start)' },
              now: time,
              minute_seconds: { type: 'integer', enum: [60] },
              queues: {
                type: 'array',
                items: str,
                description: 'The queues counted, when not every queue',
              },
              minutes: {
                type: 'array',
                items: minute,
                minItems: 60,
                maxItems: 60,
                description: 'Oldest first; the last one is the current, partial minute',
              },
            },
            ['since', 'now', 'minute_seconds', 'minutes'],
          ),
        ),
        '400': err('Invalid query (details.field names the field)'),
        '401': err('No valid API key'),
        '403': err('The key lacks stats:read or the queue'),
        '404': err('The server keeps no history'),
      },
    },
  },
};
