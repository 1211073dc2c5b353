import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '@gopherqueue/core';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

/** Submits `count` jobs and fails each straight to dead letter. */
async function deadLettered(
  fx: ApiFixture,
  type: string,
  count: number,
  queue = 'default',
): Promise<Job[]> {
  const jobs: Job[] = [];
  for (let i = 0; i < count; i++) {
    const job = await fx.submit(type, { i }, { queue, maxAttempts: 1 });
    const [claimed] = await fx.store.claim({
      workerId: 'w',
      limit: 1,
      leaseMs: 30_000,
      types: [type],
    });
    await fx.store.fail(claimed!.id, claimed!.leaseToken!, {
      error: { message: 'boom', errorClass: 'error' },
      outcome: { state: 'dead_letter' },
    });
    jobs.push(job);
  }
  return jobs;
}

describe('POST /api/v1/jobs/bulk', () => {
  it('retries the dead-lettered jobs of a type, in pages, and says how many', async () => {
    const fx = (f = await createApiFixture());
    await deadLettered(fx, 'a', 5);
    await deadLettered(fx, 'b', 2);
    const first = await fx.call('POST', '/api/v1/jobs/bulk', {
      body: { action: 'retry', filter: { state: 'dead_letter', type: 'a' }, limit: 3 },
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      action: 'retry',
      matched: 3,
      succeeded: 3,
      skipped: { invalid_state: 0, not_found: 0 },
    });
    expect(typeof first.body.next_cursor).toBe('string');
    const rest = await fx.call('POST', '/api/v1/jobs/bulk', {
      body: {
        action: 'retry',
        filter: { state: 'dead_letter', type: 'a' },
        cursor: first.body.next_cursor,
      },
    });
    expect(rest.body).toEqual({
      action: 'retry',
      matched: 2,
      succeeded: 2,
      skipped: { invalid_state: 0, not_found: 0 },
    });
    const counts = await fx.store.counts();
    expect(counts.byState.dead_letter).toBe(2);
    expect(counts.byState.scheduled).toBe(5);
  });

  it('retries a failed chain whole, dependency first, whatever order it was given in', async () => {
    const fx = (f = await createApiFixture());
    const [a] = await deadLettered(fx, 'a', 1);
    const b = await fx.submit('b', {}, { dependsOn: [a!.id] });
    const c = await fx.submit('c', {}, { dependsOn: [b.id] });
    // Submitted after a failed: both are cancelled as dependency_failed at once.
    expect((await fx.store.get(c.id))?.cancelReason).toBe('dependency_failed');
    const alone = await fx.call('POST', '/api/v1/jobs/bulk', {
      body: { action: 'retry', ids: [c.id, b.id] },
    });
    expect(alone.body).toEqual({
      action: 'retry',
      matched: 2,
      succeeded: 0,
      skipped: { invalid_state: 2, not_found: 0 },
    });
    const whole = await fx.call('POST', '/api/v1/jobs/bulk', {
      body: { action: 'retry', filter: {} },
    });
    expect(whole.body).toEqual({
      action: 'retry',
      matched: 3,
      succeeded: 3,
      skipped: { invalid_state: 0, not_found: 0 },
    });
    expect(await fx.store.get(a!.id)).toMatchObject({ state: 'scheduled', waitingOn: [] });
    expect(await fx.store.get(b.id)).toMatchObject({ state: 'pending', waitingOn: [a!.id] });
    expect(await fx.store.get(c.id)).toMatchObject({ state: 'pending', waitingOn: [b.id] });
  });

  it('acts on given ids, counting those in another state and unknown ones', async () => {
    const fx = (f = await createApiFixture());
    const [dead] = await deadLettered(fx, 'a', 1);
    const waiting = await fx.submit('a');
    const res = await fx.call('POST', '/api/v1/jobs/bulk', {
      body: {
        action: 'delete',
        ids: [dead!.id, waiting.id, '0190a0b0-0000-7000-8000-000000000000'],
      },
    });
    expect(res.body).toEqual({
      action: 'delete',
      matched: 3,
      succeeded: 2,
      skipped: { invalid_state: 0, not_found: 1 },
    });
    const cancel = await fx.call('POST', '/api/v1/jobs/bulk', {
      body: { action: 'cancel', ids: [waiting.id] },
    });
    expect(cancel.body.skipped).toEqual({ invalid_state: 0, not_found: 1 });
    const [other] = await deadLettered(fx, 'c', 1);
    const cancelDead = await fx.call('POST', '/api/v1/jobs/bulk', {
      body: { action: 'cancel', ids: [other!.id], reason: 'cleanup' },
    });
    expect(cancelDead.body).toMatchObject({
      succeeded: 0,
      skipped: { invalid_state: 1, not_found: 0 },
    });
  });

  it('refuses a bad body with a 400 naming the field', async () => {
    const fx = (f = await createApiFixture());
    const field = async (body: unknown): Promise<string> => {
      const res = await fx.call('POST', '/api/v1/jobs/bulk', { body });
      expect(res.status).toBe(400);
      return (res.body as { error: { details: { field: string } } }).error.details.field;
    };
    expect(await field({ action: 'explode', ids: ['0190a0b0-0000-7000-8000-000000000000'] })).toBe(
      'action',
    );
    expect(await field({ action: 'retry' })).toBe('filter');
    expect(
      await field({ action: 'retry', filter: {}, ids: ['0190a0b0-0000-7000-8000-000000000000'] }),
    ).toBe('filter');
    expect(await field({ action: 'retry', filter: { state: 'odd' } })).toBe('filter.state');
    expect(await field({ action: 'retry', filter: {}, limit: 10_001 })).toBe('limit');
    expect(
      await field({
        action: 'retry',
        ids: Array.from({ length: 1001 }, () => '0190a0b0-0000-7000-8000-000000000000'),
      }),
    ).toBe('ids');
    expect((await fx.call('GET', '/api/v1/jobs/bulk')).status).toBe(405);
  });

  it('keeps to the key’s role and queues', async () => {
    const fx = (f = await createApiFixture({ auth: 'required' }));
    const mine = await deadLettered(fx, 't', 2, 'mine');
    const theirs = await deadLettered(fx, 't', 2, 'theirs');
    const viewer = await fx.key('viewer');
    const denied = await fx.call('POST', '/api/v1/jobs/bulk', {
      key: viewer,
      body: { action: 'retry', filter: { state: 'dead_letter' } },
    });
    expect(denied.status).toBe(403);
    const operator = await fx.key('operator', ['mine']);
    const other = await fx.call('POST', '/api/v1/jobs/bulk', {
      key: operator,
      body: { action: 'retry', filter: { state: 'dead_letter', queue: 'theirs' } },
    });
    expect(other.status).toBe(403);
    // A key of one queue acts on that queue's jobs only, by filter or by ids.
    const own = await fx.call('POST', '/api/v1/jobs/bulk', {
      key: operator,
      body: { action: 'retry', filter: { state: 'dead_letter' } },
    });
    expect(own.body).toMatchObject({ matched: 2, succeeded: 2 });
    const byIds = await fx.call('POST', '/api/v1/jobs/bulk', {
      key: operator,
      body: { action: 'delete', ids: [theirs[0]!.id, mine[0]!.id] },
    });
    expect(byIds.body).toMatchObject({ matched: 2, succeeded: 1, skipped: { not_found: 1 } });
    expect((await fx.store.get(theirs[0]!.id))?.state).toBe('dead_letter');
    const audit = await fx.audit.list({ limit: 10 });
    expect(JSON.stringify(audit)).toContain('jobs.bulk_retry');
  });
});
