import { JOB_LOG_LEVELS, JOB_LOG_LIMITS, type JobLogAppend, type Json } from '@gopherqueue/core';
import type { WireJobLogPage } from '@gopherqueue/client';
import { canAccessQueue } from '@gopherqueue/security';
import type { Hono } from 'hono';
import { z } from 'zod';
import { requirePermission } from '../auth.js';
import type { ApiEnv } from '../env.js';
import { readBody, readQuery } from '../request.js';
import { rfc3339 } from '../wire.js';
import { loadJob } from './job-access.js';

/** `GET /api/v1/jobs/:id/logs`. */
export const logsQuerySchema = z.object({
  attempt: z.coerce.number().int().min(1).max(100_000).optional(),
  /** `<attempt>:<seq>` of the last line read. */
  after: z
    .string()
    .regex(/^\d{1,6}:\d{1,9}$/, 'must be <attempt>:<seq> of the last line read')
    .transform((value) => {
      const [attempt, seq] = value.split(':').map(Number);
      return { attempt: attempt ?? 0, seq: seq ?? 0 };
    })
    .optional(),
  limit: z.coerce.number().int().min(1).max(JOB_LOG_LIMITS.readLimit).optional(),
});

const lineSchema = z.object({
  at: z.number().min(0),
  level: z.enum(JOB_LOG_LEVELS),
  // Cut to the line bound by the store; refused only far past it.
  message: z.string().max(JOB_LOG_LIMITS.lineBytes * 4),
  fields: z.record(z.string(), z.unknown()).optional(),
});

/** `POST /api/v1/workers/logs`: lines of the attempts a remote worker runs. */
export const workerLogsSchema = z.object({
  entries: z
    .array(
      z.object({
        job_id: z.uuid(),
        attempt: z.number().int().min(1).max(100_000),
        lines: z.array(lineSchema).max(JOB_LOG_LIMITS.linesPerAppend),
        dropped: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
      }),
    )
    .max(100)
    .refine(
      (entries) =>
        entries.reduce((sum, e) => sum + e.lines.length, 0) <= JOB_LOG_LIMITS.linesPerAppend,
      `must hold at most ${JOB_LOG_LIMITS.linesPerAppend} lines in all`,
    ),
});

/**
 * A job's log lines: read them (`GET /jobs/:id/logs`, bounded pages after the last line read),
 * and the lease API's `POST /workers/logs`, through which `gq work` sends the lines its handlers
 * write. Lines of a job of a queue the key may not use, or of an unknown job, are left out.
 */
export function registerJobLogRoutes(api: Hono<ApiEnv>): void {
  api.get('/jobs/:id/logs', requirePermission('jobs:read'), async (c) => {
    const job = await loadJob(c);
    const query = readQuery(c, logsQuerySchema);
    const page = await c.get('options').store.logs.read(job.id, {
      ...(query.attempt === undefined ? {} : { attempt: query.attempt }),
      ...(query.after === undefined ? {} : { after: query.after }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
    });
    const last = page.lines.at(-1);
    const answer: WireJobLogPage = {
      job_id: job.id,
      lines: page.lines.map((line) => ({
        attempt: line.attempt,
        seq: line.seq,
        at: rfc3339(line.at),
        level: line.level,
        message: line.message,
        ...(line.fields === undefined ? {} : { fields: line.fields }),
      })),
      dropped: page.dropped,
      more: page.more,
      ...(last === undefined ? {} : { last: `${last.attempt}:${last.seq}` }),
    };
    return c.json(answer);
  });

  api.post('/workers/logs', requirePermission('workers:lease'), async (c) => {
    const body = await readBody(c, workerLogsSchema);
    const { store } = c.get('options');
    const principal = c.get('principal');
    const ids = [...new Set(body.entries.map((e) => e.job_id.toLowerCase()))];
    const jobs = await store.getMany(ids);
    const allowed = new Set<string>();
    jobs.forEach((job) => {
      if (job !== undefined && canAccessQueue(principal, job.queue)) allowed.add(job.id);
    });
    const entries: JobLogAppend[] = body.entries
      .filter((e) => allowed.has(e.job_id.toLowerCase()))
      .map((e) => ({
        jobId: e.job_id.toLowerCase(),
        attempt: e.attempt,
        lines: e.lines.map((line) => ({
          at: line.at,
          level: line.level,
          message: line.message,
          ...(line.fields === undefined ? {} : { fields: line.fields as Record<string, Json> }),
        })),
        ...(e.dropped === undefined ? {} : { dropped: e.dropped }),
      }));
    if (entries.length > 0) await store.logs.append(entries);
    return c.json({ accepted: entries.reduce((sum, e) => sum + e.lines.length, 0) });
  });
}
