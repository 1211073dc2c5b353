import { isUuid, type Job } from '@gopherqueue/core';
import type { Hono } from 'hono';
import { requirePermission } from '../auth.js';
import type { ApiEnv } from '../env.js';
import { HttpError } from '../errors.js';
import { nodeResponseOf } from '../request-context.js';
import type { SseHub } from '../sse-hub.js';
import type { SseConnection } from '../sse-stream.js';

/**
 * `GET /events?job_id=&worker_id=`: Server-Sent Events. A first `connected` event, a keep-alive
 * comment every `sseKeepAliveMs`, then every lifecycle event (of one job with `job_id`; of the
 * jobs the remote worker `worker_id` holds through the lease API, so it learns at once that one
 * was cancelled or taken back, but not the changes of the attempt it was handed, which it made
 * itself: its start, progress and checkpoints) with the job as data and its id as the event id. A client that falls more than `sseBufferBytes` behind gets a
 * final `overflow` event (when it can still take it) and is disconnected; past `sseMaxStreams`
 * open streams, a new one gets 503. The stream of a key ends at the first keep-alive after the
 * key is revoked.
 */
export function registerEventRoutes(api: Hono<ApiEnv>, hub: SseHub): void {
  api.get('/events', requirePermission('jobs:read'), (c) => {
    const raw = c.req.query('job_id');
    if (raw !== undefined && raw !== '' && raw !== '*' && !isUuid(raw)) {
      throw new HttpError('invalid_request', 'invalid job ID format', { field: 'job_id' });
    }
    // Ids are stored in lower case: an upper-case one must still match its job's events.
    const jobId = raw === undefined || raw === '' || raw === '*' ? undefined : raw.toLowerCase();
    const workerId = c.req.query('worker_id');
    if (workerId !== undefined && (workerId === '' || workerId.length > 200)) {
      throw new HttpError('invalid_request', 'worker_id must be 1..200 characters', {
        field: 'worker_id',
      });
    }
    const { workerRegistry } = c.get('options');
    const { queues, actor } = c.get('principal');
    const response = nodeResponseOf(c);
    const connection: SseConnection | undefined =
      response === undefined
        ? undefined
        : {
            unsentBytes: () => response.writableLength,
            cut: () => response.destroy(),
          };
    const stream = hub.open(
      {
        ...(jobId === undefined ? {} : { jobId }),
        ...(workerId === undefined
          ? {}
          : { needs: (job: Job) => workerRegistry.needsChange(workerId, job) }),
        ...(queues === undefined ? {} : { queues }),
        // A trusted caller without a key ('local') has nothing to revoke.
        ...(actor === 'local' ? {} : { actor }),
      },
      connection,
    );
    if (stream === undefined) {
      const max = c.get('options').sseMaxStreams;
      throw new HttpError(
        'service_unavailable',
        `too many event streams open (at most ${max}); try again later`,
        { max_streams: max },
      );
    }
    return c.body(stream.readable, 200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'Transfer-Encoding': 'chunked',
    });
  });
}
