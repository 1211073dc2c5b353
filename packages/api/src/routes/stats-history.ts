import type { DurationPercentiles, HistorySnapshot } from '@gopherqueue/observability';
import type { Hono } from 'hono';
import { z } from 'zod';
import { assertQueueAccess, requirePermission } from '../auth.js';
import type { ApiEnv } from '../env.js';
import { HttpError } from '../errors.js';
import { readQuery } from '../request.js';
import { queueNameSchema } from '../schemas.js';

/** `GET /api/v1/stats/history` query string. */
export const historyQuerySchema = z.strictObject({ queue: queueNameSchema.shape.name.optional() });

/** Percentiles on the wire: ms, rounded to the microsecond. */
export interface WirePercentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** One minute of `GET /api/v1/stats/history`. */
export interface WireHistoryMinute {
  start: string;
  completed: number;
  failed: number;
  wait_ms: WirePercentiles | null;
  run_ms: WirePercentiles | null;
  incomplete: boolean;
}

/** The answer of `GET /api/v1/stats/history`. */
export interface WireHistory {
  since: string;
  now: string;
  minute_seconds: 60;
  /** The queues counted, when not every queue: the one asked for, or the key's queues. */
  queues?: string[];
  minutes: WireHistoryMinute[];
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

function wirePercentiles(p: DurationPercentiles | null): WirePercentiles | null {
  return p === null ? null : { p50: round(p.p50), p95: round(p.p95), p99: round(p.p99) };
}

/** A history snapshot in the wire format. */
export function toWireHistory(snapshot: HistorySnapshot, queues?: readonly string[]): WireHistory {
  return {
    since: new Date(snapshot.since).toISOString(),
    now: new Date(snapshot.now).toISOString(),
    minute_seconds: 60,
    ...(queues === undefined ? {} : { queues: [...queues] }),
    minutes: snapshot.minutes.map((m) => ({
      start: new Date(m.start).toISOString(),
      completed: m.completed,
      failed: m.failed,
      wait_ms: wirePercentiles(m.waitMs),
      run_ms: wirePercentiles(m.runMs),
      incomplete: m.incomplete,
    })),
  };
}

/**
 * `GET /api/v1/stats/history` (`stats:read`): jobs completed and failed per minute over the last
 * hour, with wait and run time percentiles, as this process saw them since it started (see
 * `ThroughputHistory`). `?queue=` narrows it to one queue; a key limited to queues gets the sum
 * of its queues (or the one it names, if allowed) and never every queue's.
 */
export function registerStatsHistoryRoutes(api: Hono<ApiEnv>): void {
  api.get('/stats/history', requirePermission('stats:read'), (c) => {
    const { history } = c.get('options');
    const query = readQuery(c, historyQuerySchema);
    if (history === undefined) {
      throw new HttpError('not_found', 'this server keeps no throughput history');
    }
    if (query.queue !== undefined) assertQueueAccess(c, query.queue);
    const queues = query.queue === undefined ? c.get('principal').queues : [query.queue];
    return c.json(toWireHistory(history.snapshot(queues), queues));
  });
}
