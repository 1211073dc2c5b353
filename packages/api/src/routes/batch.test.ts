/* eslint-disable @typescript-eslint/no-unsafe-call -- tests read JSON answers as any */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

let f: ApiFixture;
beforeEach(async () => {
  f = await createApiFixture();
});
afterEach(async () => {
  await f.close();
});

describe('POST /api/v1/jobs/batch', () => {
  it('stores the valid jobs and reports the invalid ones when not atomic', async () => {
    const res = await f.call('POST', '/api/v1/jobs/batch', {
      body: { jobs: [{ type: 'a', payload: 1 }, { payload: 2 }, { type: 'c', priority: 'low' }] },
    });
    expect(res.status).toBe(201);
    expect(res.body.total).toBe(3);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected).toBe(1);
    expect(
      res.body.results.map((r: { index: number; success: boolean }) => [r.index, r.success]),
    ).toEqual([
      [0, true],
      [1, false],
      [2, true],
    ]);
    expect(res.body.results[1].error).toBe('jobs.1.type: type is required');
    expect(res.body.results[2].job).toMatchObject({ type: 'c', priority: 3, state: 'scheduled' });
    expect((await f.store.counts()).total).toBe(2);
  });

  it('stores nothing with atomic when one job is invalid', async () => {
    await f.submit('existing');
    const before = await f.store.counts();
    const res = await f.call('POST', '/api/v1/jobs/batch', {
      body: { atomic: true, jobs: [{ type: 'a' }, { type: 'b' }, { type: 'c', max_attempts: -1 }] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.details).toEqual({ index: 2, field: 'jobs.2.max_attempts' });
    expect(res.body.error.message).toMatch(/^job 2: jobs\.2\.max_attempts/);
    expect(await f.store.counts()).toEqual(before);
  });

  it('stores nothing with atomic when the store refuses one job (unknown dependency)', async () => {
    const res = await f.call('POST', '/api/v1/jobs/batch', {
      body: {
        atomic: true,
        jobs: [{ type: 'a' }, { type: 'b', depends_on: ['0190a4b2-7c3e-7000-8000-000000000000'] }],
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      code: 'validation_error',
      message: 'job 1: jobs.1.depends_on: job 0190a4b2-7c3e-7000-8000-000000000000 not found',
      details: { index: 1, field: 'jobs.1.depends_on' },
    });
    expect((await f.store.counts()).total).toBe(0);
  });

  it('stores every job with atomic when all are valid, deduplicating known keys', async () => {
    const first = await f.call('POST', '/api/v1/jobs', {
      body: { type: 'x', idempotency_key: 'k' },
    });
    const res = await f.call('POST', '/api/v1/jobs/batch', {
      body: { atomic: true, jobs: [{ type: 'a' }, { type: 'x', idempotency_key: 'k' }] },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ total: 2, accepted: 2, rejected: 0 });
    expect(res.body.results[1].job.id).toBe(first.body.id);
    expect(res.body.results[1].job.deduplicated).toBe(true);
    expect((await f.store.counts()).total).toBe(2);
  });

  it('reports a job the store refuses without losing the others when not atomic', async () => {
    const res = await f.call('POST', '/api/v1/jobs/batch', {
      body: {
        jobs: [{ type: 'a' }, { type: 'b', depends_on: ['0190a4b2-7c3e-7000-8000-000000000000'] }],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ accepted: 1, rejected: 1 });
    expect(res.body.results[1]).toMatchObject({ index: 1, success: false });
    expect(res.body.results[1].error).toContain('0190a4b2-7c3e-7000-8000-000000000000');
    expect((await f.store.counts()).total).toBe(1);
  });

  it('rejects an empty batch and one over 1000 jobs', async () => {
    const empty = await f.call('POST', '/api/v1/jobs/batch', { body: { jobs: [] } });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toBe('jobs: at least one job is required');
    const big = await f.call('POST', '/api/v1/jobs/batch', {
      body: { jobs: Array.from({ length: 1001 }, () => ({ type: 'a' })) },
    });
    expect(big.status).toBe(400);
    expect(big.body.error.message).toBe('jobs: maximum 1000 jobs per batch');
    expect((await f.store.counts()).total).toBe(0);
  });
});
