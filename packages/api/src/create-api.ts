import { Hono } from 'hono';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { authenticate } from './auth.js';
import type { ApiEnv } from './env.js';
import { describeError, errorResponse, HttpError } from './errors.js';
import { LongPolls, longPollRefusal } from './long-polls.js';
import { openApiDocument } from './openapi.js';
import { resolveApiOptions, type ApiOptions } from './options.js';
import { limitBody, requestContext } from './request-context.js';
import { guardRequest } from './request-guard.js';
import { registerDashboardRoutes } from './dashboard/dashboard-routes.js';
import { DashboardSessions, sessionAuth } from './dashboard/dashboard-sessions.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerBatchRoutes } from './routes/batch.js';
import { registerBulkRoutes } from './routes/bulk.js';
import { registerDeadLetterRoutes } from './routes/dead-letter.js';
import { registerEventRoutes } from './routes/events.js';
import { registerJobLogRoutes } from './routes/job-logs.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerKeyRoutes } from './routes/keys.js';
import { registerQueueRoutes } from './routes/queues.js';
import { registerScheduleRoutes } from './routes/schedules.js';
import { registerStatsHistoryRoutes } from './routes/stats-history.js';
import { registerStatsRoutes, registerSystemRoutes } from './routes/system.js';
import { registerWaitRoutes } from './routes/wait.js';
import { registerWorkerViewRoutes } from './routes/worker-views.js';
import { registerWorkerRoutes } from './routes/workers.js';
import { SseHub } from './sse-hub.js';

/**
 * Builds the HTTP API as a hono app: the original GopherQueue's routes and wire format, plus
 * queues, dead letter, API keys, audit and the remote worker lease API. Unless auth is `off`, web
 * pages of other origins, foreign `Host` names and bodies that are not JSON are refused first
 * (see `guardRequest`); no CORS header is ever sent. Serve it with
 * `@hono/node-server` (the app passes `getRemoteAddress`), or call `app.request()` in tests.
 * @throws TypeError or RangeError for invalid options
 */
export function createApi(options: ApiOptions): Hono<ApiEnv> {
  const resolved = resolveApiOptions(options);
  const app = new Hono<ApiEnv>();

  app.use('*', requestContext(resolved));
  app.use('*', guardRequest());
  app.use(
    '*',
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        errorResponse(
          c,
          new HttpError('method_not_allowed', `method ${c.req.method} not allowed`, {
            allowed: methods,
          }),
        ),
    }),
  );
  app.use('*', limitBody(resolved.bodyLimitBytes));

  registerSystemRoutes(app);
  const sessions = new DashboardSessions(() => Date.now());
  registerDashboardRoutes(app, sessions);
  app.get('/api/v1/openapi.json', (c) => c.json(openApiDocument));

  const api = new Hono<ApiEnv>();
  api.use('*', sessionAuth(sessions));
  api.use('*', authenticate());
  api.get('/', (c) =>
    c.json({
      name: 'GopherQueue API',
      version: resolved.version,
      openapi: '/api/v1/openapi.json',
    }),
  );
  registerBatchRoutes(api);
  registerBulkRoutes(api);
  registerJobRoutes(api);
  registerJobLogRoutes(api);
  registerWaitRoutes(
    api,
    new LongPolls(resolved.maxJobWaits, longPollRefusal('job waits open', 'max_job_waits')),
  );
  registerWorkerRoutes(
    api,
    new LongPolls(
      resolved.maxClaimWaits,
      longPollRefusal('claims waiting for work', 'max_claim_waits'),
    ),
  );
  registerEventRoutes(
    api,
    new SseHub({
      events: resolved.events,
      logger: resolved.logger,
      maxStreams: resolved.sseMaxStreams,
      bufferBytes: resolved.sseBufferBytes,
      keepAliveMs: resolved.sseKeepAliveMs,
      keyRevoked: async (actor) => {
        const record = await resolved.keys?.get(actor);
        return record === undefined || record.revokedAt !== undefined;
      },
    }),
  );
  registerStatsRoutes(api);
  registerStatsHistoryRoutes(api);
  registerWorkerViewRoutes(api);
  registerQueueRoutes(api);
  registerScheduleRoutes(api);
  registerDeadLetterRoutes(api);
  registerKeyRoutes(api);
  registerAuditRoutes(api);
  app.route('/api/v1', api);

  app.notFound((c) =>
    errorResponse(c, new HttpError('not_found', `no route for ${c.req.method} ${c.req.path}`)),
  );
  app.onError((err, c) => {
    const { code } = describeError(err);
    if (code === 'internal_error') {
      resolved.logger.error('request failed', {
        requestId: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        err: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
    return errorResponse(c, err);
  });
  return app;
}
