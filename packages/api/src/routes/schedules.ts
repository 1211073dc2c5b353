import type { Hono } from 'hono';
import type { StoredSchedule } from '@gopherqueue/core';
import { checkScheduleDefinition, scheduledJob } from '@gopherqueue/scheduler';
import { assertQueueAccess, audit, requirePermission } from '../auth.js';
import type { ApiContext, ApiEnv } from '../env.js';
import { HttpError, validationError } from '../errors.js';
import { readBody, readQuery } from '../request.js';
import {
  createScheduleSchema,
  patchedDefinition,
  patchScheduleSchema,
  scheduleListQuerySchema,
  STORED_SCHEDULE_NAME,
  toScheduleDefinition,
  DEFAULT_SCHEDULE_PAGE,
} from '../schedule-schemas.js';
import { toWireSchedule } from '../schedule-wire.js';
import { wireJob } from './job-access.js';

/** The queue of a schedule's jobs; `default` for a stored definition without one that reads. */
function queueOf(schedule: Pick<StoredSchedule, 'definition'>): string {
  const job = (schedule.definition as Partial<StoredSchedule['definition']> | null)?.job;
  const queue = typeof job === 'object' && job !== null ? job.queue : undefined;
  return typeof queue === 'string' ? queue : 'default';
}

/** The `:name` of a request: any name a store may hold, so an older odd one stays reachable. */
function nameParam(c: ApiContext): string {
  const name = c.req.param('name') ?? '';
  if (!STORED_SCHEDULE_NAME.test(name)) {
    throw validationError('name', 'name must be 1..128 letters, digits and _.:-');
  }
  return name;
}

/** The schedule named by `:name`, checked against the key's queues. @throws 404, 403 */
async function loadSchedule(c: ApiContext): Promise<StoredSchedule> {
  const name = nameParam(c);
  const schedule = await c.get('options').store.schedules.get(name);
  if (schedule === undefined) {
    throw new HttpError('not_found', `schedule ${JSON.stringify(name)} not found`, { name });
  }
  assertQueueAccess(c, queueOf(schedule));
  return schedule;
}

async function changed(c: ApiContext): Promise<void> {
  await c.get('options').schedulesChanged?.();
}

/**
 * Recurring schedules: list (a page by name: `limit`, default 100, at most 1000, and `cursor`,
 * the `next_cursor` of the page before) and read (with next run times), create, change, delete, trigger a
 * job now, pause and resume. Changing them takes `queues:manage` (operator, admin), triggering
 * `jobs:submit`, reading `jobs:read`; a key restricted to queues sees and acts on the schedules
 * whose jobs go to its queues only.
 */
export function registerScheduleRoutes(api: Hono<ApiEnv>): void {
  api.get('/schedules', requirePermission('jobs:read'), async (c) => {
    const { store, clock } = c.get('options');
    const query = readQuery(c, scheduleListQuerySchema);
    const limit = query.limit ?? DEFAULT_SCHEDULE_PAGE;
    const allowed = c.get('principal').queues;
    const now = clock.now();
    // One more than the page, to know whether a next page exists.
    const page = await store.schedules.list({
      limit: limit + 1,
      ...(query.cursor === undefined ? {} : { after: query.cursor }),
    });
    const more = page.length > limit;
    const shown = more ? page.slice(0, limit) : page;
    const schedules = shown
      .filter((s) => allowed === undefined || allowed.includes(queueOf(s)))
      .map((s) => toWireSchedule(s, now));
    const last = shown[shown.length - 1];
    return c.json({
      schedules,
      ...(more && last !== undefined ? { next_cursor: last.name } : {}),
    });
  });

  api.post('/schedules', requirePermission('queues:manage'), async (c) => {
    const body = await readBody(c, createScheduleSchema);
    const definition = toScheduleDefinition(body);
    assertQueueAccess(c, definition.job.queue ?? 'default');
    const { store, clock } = c.get('options');
    // Create-only at the store (409 when the name exists), so of two creates at once one wins.
    const schedule = await store.schedules.create({
      name: body.name,
      definition,
      source: 'api',
      paused: body.paused === true,
    });
    await audit(c, { action: 'schedule.create', target: body.name, queues: [queueOf(schedule)] });
    await changed(c);
    return c.json(toWireSchedule(schedule, clock.now()), 201);
  });

  api.get('/schedules/:name', requirePermission('jobs:read'), async (c) => {
    const schedule = await loadSchedule(c);
    return c.json(toWireSchedule(schedule, c.get('options').clock.now()));
  });

  api.patch('/schedules/:name', requirePermission('queues:manage'), async (c) => {
    const stored = await loadSchedule(c);
    const patch = await readBody(c, patchScheduleSchema);
    const { store, clock } = c.get('options');
    let schedule = stored;
    const { paused, ...fields } = patch;
    if (Object.keys(fields).length > 0) {
      const definition = patchedDefinition(stored.definition, fields);
      assertQueueAccess(c, definition.job.queue ?? 'default');
      schedule = await store.schedules.put({
        name: stored.name,
        definition,
        source: stored.source,
      });
    }
    if (paused !== undefined && paused !== schedule.paused) {
      schedule = await store.schedules.setPaused(stored.name, paused);
    }
    await audit(c, {
      action: 'schedule.update',
      target: stored.name,
      queues: [queueOf(schedule)],
      details: { fields: Object.keys(patch) },
    });
    await changed(c);
    return c.json(toWireSchedule(schedule, clock.now()));
  });

  api.delete('/schedules/:name', requirePermission('queues:manage'), async (c) => {
    const schedule = await loadSchedule(c);
    await c.get('options').store.schedules.delete(schedule.name);
    await audit(c, {
      action: 'schedule.delete',
      target: schedule.name,
      queues: [queueOf(schedule)],
    });
    await changed(c);
    return c.body(null, 204);
  });

  api.post('/schedules/:name/trigger', requirePermission('jobs:submit'), async (c) => {
    const schedule = await loadSchedule(c);
    const { scheduler, clock } = c.get('options');
    let definition: StoredSchedule['definition'];
    try {
      definition = checkScheduleDefinition(schedule.definition);
    } catch (err) {
      // A stored definition this version cannot run: the same error the schedule is listed with.
      const error = (err as Error).message;
      throw new HttpError(
        'conflict',
        `schedule ${JSON.stringify(schedule.name)} cannot be triggered: its stored definition is invalid: ${error}`,
        { name: schedule.name, error },
      );
    }
    const now = clock.now();
    const spec = scheduledJob({
      name: schedule.name,
      definition,
      tick: now,
      now,
      kind: 'trigger',
    });
    const { job } = await scheduler.enqueue(spec);
    await audit(c, {
      action: 'schedule.trigger',
      target: schedule.name,
      queues: [job.queue],
      details: { job_id: job.id },
    });
    return c.json(wireJob(c, job), 201);
  });

  for (const action of ['pause', 'resume'] as const) {
    api.post(`/schedules/:name/${action}`, requirePermission('queues:manage'), async (c) => {
      const stored = await loadSchedule(c);
      const { store, clock } = c.get('options');
      const schedule = await store.schedules.setPaused(stored.name, action === 'pause');
      await audit(c, {
        action: `schedule.${action}`,
        target: stored.name,
        queues: [queueOf(schedule)],
      });
      await changed(c);
      return c.json(toWireSchedule(schedule, clock.now()));
    });
  }
}
