import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job, SubmitResult } from '@gopherqueue/core';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

/**
 * A store that deduplicated across queues (as stores did before keys were scoped per queue) must
 * still not hand a job of another queue to a key limited to some queues.
 */
let f: ApiFixture;
let foreign: Job | undefined;

beforeEach(async () => {
  const dedup = (): SubmitResult => ({ job: foreign as Job, deduplicated: true });
  f = await createApiFixture({
    auth: 'required',
    scheduler: {
      enqueue: () => Promise.resolve(dedup()),
      enqueueBatch: (specs) => Promise.resolve(specs.map(dedup)),
      waitForWork: () => Promise.resolve(),
      epoch: 0,
    },
  });
  foreign = await f.submit('charge', { card: 'secret' }, { queue: 'qb', idempotencyKey: 'k' });
});
afterEach(async () => {
  await f.close();
});

describe('a deduplicated job of another queue', () => {
  it('is refused with 403 by POST /jobs', async () => {
    const key = await f.key('producer', ['qa']);
    const res = await f.call('POST', '/api/v1/jobs', {
      key,
      body: { type: 'charge', queue: 'qa', idempotency_key: 'k' },
    });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: {
        code: 'forbidden',
        message: 'this key may not use queue qb',
        details: { queue: 'qb' },
      },
    });
  });

  it('is refused with 403 by POST /jobs/batch, atomic or not', async () => {
    const key = await f.key('producer', ['qa']);
    for (const atomic of [true, false]) {
      const res = await f.call('POST', '/api/v1/jobs/batch', {
        key,
        body: { atomic, jobs: [{ type: 'charge', queue: 'qa', idempotency_key: 'k' }] },
      });
      expect(res.status).toBe(403);
      expect(JSON.stringify(res.body)).not.toContain('secret');
    }
  });
});
