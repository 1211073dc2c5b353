import type { JobSpec, SubmitResult } from '@gopherqueue/core';
import type { Hono } from 'hono';
import { assertQueueAccess, requirePermission } from '../auth.js';
import type { ApiContext, ApiEnv } from '../env.js';
import { describeError, HttpError } from '../errors.js';
import { readBody, validate } from '../request.js';
import { batchSchema, submitSchema } from '../schemas.js';
import type { WireBatchItem, WireBatchResult } from '@gopherqueue/client';
import { requestTraceparent } from '../trace-header.js';
import { toJobSpec } from '../wire.js';
import { deduplicatedAnswer } from './deduplicated.js';
import {
  assertSpecsAllowed,
  hiddenDependencies,
  submitting,
  unknownDependency,
  wireJob,
} from './job-access.js';

type Checked = { index: number; spec: JobSpec } | { index: number; error: HttpError };

function submitted(c: ApiContext, index: number, result: SubmitResult): WireBatchItem {
  const job = result.deduplicated ? deduplicatedAnswer(c, result) : wireJob(c, result.job);
  return { index, success: true, job };
}

/**
 * `POST /jobs/batch`: up to 1000 jobs. With `atomic`, nothing is stored unless every job is
 * valid and the store takes them all; without it, each valid job is stored and each invalid one
 * reported in `results`. Every job answered, deduplicated ones included, is of a queue the key
 * may use (idempotency keys are per queue, and the answer is checked all the same).
 */
export function registerBatchRoutes(api: Hono<ApiEnv>): void {
  api.post('/jobs/batch', requirePermission('jobs:submit'), async (c) => {
    const { scheduler, clock } = c.get('options');
    const body = await readBody(c, batchSchema);
    const now = clock.now();
    const traceparent = requestTraceparent(c);
    const parsed: Checked[] = body.jobs.map((raw, index) => {
      const prefix = `jobs.${index}`;
      try {
        return {
          index,
          spec: toJobSpec(validate(submitSchema, raw, prefix), now, prefix, traceparent),
        };
      } catch (err) {
        if (err instanceof HttpError) return { index, error: err };
        throw err;
      }
    });
    const specs = parsed.filter((item): item is { index: number; spec: JobSpec } => 'spec' in item);
    assertSpecsAllowed(
      c,
      specs.map((item) => item.spec),
    );
    const hidden = await hiddenDependencies(
      c,
      specs.map((item) => item.spec),
    );
    let next = 0;
    const checked: Checked[] = parsed.map((item) => {
      if (!('spec' in item)) return item;
      const id = hidden[next++];
      if (id === undefined) return item;
      return { index: item.index, error: unknownDependency(`jobs.${item.index}.depends_on`, id) };
    });
    const valid = checked.filter(
      (item): item is { index: number; spec: JobSpec } => 'spec' in item,
    );
    const results: WireBatchItem[] = [];

    if (body.atomic === true) {
      const invalid = checked.find((item) => 'error' in item);
      if (invalid !== undefined && 'error' in invalid) {
        throw new HttpError('validation_error', `job ${invalid.index}: ${invalid.error.message}`, {
          index: invalid.index,
          ...invalid.error.details,
        });
      }
      const stored = await submitting(() => scheduler.enqueueBatch(valid.map((v) => v.spec)));
      for (const result of stored) assertQueueAccess(c, result.job.queue);
      stored.forEach((result, index) => results.push(submitted(c, index, result)));
    } else {
      let stored: (SubmitResult | Error)[];
      try {
        stored = await scheduler.enqueueBatch(valid.map((v) => v.spec));
      } catch {
        // One job spoiled the all-or-nothing batch (an unknown dependency, ...): store them one
        // by one, in order, so each gets its own answer.
        stored = [];
        for (const { spec } of valid) {
          try {
            stored.push(await scheduler.enqueue(spec));
          } catch (err) {
            stored.push(err instanceof Error ? err : new Error(String(err)));
          }
        }
      }
      for (const outcome of stored) {
        if (!(outcome instanceof Error)) assertQueueAccess(c, outcome.job.queue);
      }
      let at = 0;
      for (const item of checked) {
        if ('error' in item) {
          results.push({ index: item.index, success: false, error: item.error.message });
          continue;
        }
        const outcome = stored[at++] as SubmitResult | Error;
        results.push(
          outcome instanceof Error
            ? { index: item.index, success: false, error: describeError(outcome).message }
            : submitted(c, item.index, outcome),
        );
      }
    }
    const accepted = results.filter((r) => r.success).length;
    const answer: WireBatchResult = {
      total: body.jobs.length,
      accepted,
      rejected: body.jobs.length - accepted,
      results,
    };
    return c.json(answer, 201);
  });
}
