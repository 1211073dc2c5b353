import { isUuid, type Job, type JobEventName } from '@gopherqueue/core';
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { requirePermission } from '../auth.js';
import type { ApiEnv } from '../env.js';
import { HttpError } from '../errors.js';
import { toWireJob } from '../wire.js';

/** Every lifecycle event, as the stream names them (`job:created` is sent as `job.created`). */
export const STREAMED_EVENTS: readonly JobEventName[] = [
  'job:created',
  'job:started',
  'job:progress',
  'job:completed',
  'job:retrying',
  'job:failed',
  'job:dead_letter',
  'job:cancelled',
  'job:retried',
  'job:deleted',
];

/** Events buffered for a slow client before the oldest are dropped. */
const MAX_BUFFERED = 10_000;

/**
 * `GET /events?job_id=`: Server-Sent Events. A first `connected` event, a keep-alive comment
 * every `sseKeepAliveMs`, then every lifecycle event (of one job with `job_id`) with the job as
 * data and its id as the event id.
 */
export function registerEventRoutes(api: Hono<ApiEnv>): void {
  api.get('/events', requirePermission('jobs:read'), (c) => {
    const raw = c.req.query('job_id');
    const jobId = raw === undefined || raw === '' || raw === '*' ? undefined : raw;
    if (jobId !== undefined && !isUuid(jobId)) {
      throw new HttpError('invalid_request', 'invalid job ID format', { field: 'job_id' });
    }
    const { events, sseKeepAliveMs, logger } = c.get('options');
    const queues = c.get('principal').queues;
    const requestSignal = c.req.raw.signal;

    return streamSSE(c, async (stream) => {
      const buffered: { name: JobEventName; job: Job }[] = [];
      let wake: (() => void) | undefined;
      let keepAliveDue = false;
      let closed = false;
      const notify = (): void => {
        const resolve = wake;
        wake = undefined;
        resolve?.();
      };
      const offs = STREAMED_EVENTS.map((name) =>
        events.on(name, (job) => {
          if (jobId !== undefined && job.id !== jobId) return;
          if (queues !== undefined && !queues.includes(job.queue)) return;
          if (buffered.length >= MAX_BUFFERED) buffered.shift();
          buffered.push({ name, job });
          notify();
        }),
      );
      const close = (): void => {
        closed = true;
        notify();
      };
      stream.onAbort(close);
      requestSignal.addEventListener('abort', close, { once: true });
      const keepAlive = setInterval(() => {
        keepAliveDue = true;
        notify();
      }, sseKeepAliveMs);
      try {
        await stream.writeSSE({
          event: 'connected',
          data: JSON.stringify({ status: 'connected' }),
        });
        while (!closed && !stream.aborted) {
          if (buffered.length === 0 && !keepAliveDue) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
          if (keepAliveDue) {
            keepAliveDue = false;
            await stream.write(': keepalive\n\n');
          }
          for (let next = buffered.shift(); next !== undefined; next = buffered.shift()) {
            await stream.writeSSE({
              event: next.name.replace(':', '.'),
              data: JSON.stringify(toWireJob(next.job)),
              id: next.job.id,
            });
          }
        }
      } catch (err) {
        logger.warn('event stream failed', { err: String(err) });
      } finally {
        for (const off of offs) off();
        clearInterval(keepAlive);
        requestSignal.removeEventListener('abort', close);
      }
    });
  });
}
