import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

const FROM_HEADER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const FROM_BODY = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';

let f: ApiFixture;
beforeEach(async () => {
  f = await createApiFixture();
});
afterEach(async () => {
  await f.close();
});

describe('the trace context of a submitted job', () => {
  it("keeps the request's traceparent header with the job, and shows it", async () => {
    const res = await f.call('POST', '/api/v1/jobs', {
      body: { type: 't' },
      headers: { traceparent: FROM_HEADER },
    });
    expect(res.status).toBe(201);
    expect(res.body.traceparent).toBe(FROM_HEADER);
    expect((await f.store.get(res.body.id as string))?.traceparent).toBe(FROM_HEADER);
  });

  it('prefers a traceparent in the body to the header', async () => {
    const res = await f.call('POST', '/api/v1/jobs', {
      body: { type: 't', traceparent: FROM_BODY },
      headers: { traceparent: FROM_HEADER },
    });
    expect(res.body.traceparent).toBe(FROM_BODY);
  });

  it('gives every job of a batch the header, unless a job names its own', async () => {
    const res = await f.call('POST', '/api/v1/jobs/batch', {
      body: { jobs: [{ type: 'a' }, { type: 'b', traceparent: FROM_BODY }] },
      headers: { traceparent: FROM_HEADER },
    });
    expect(res.status).toBe(201);
    const ids = (res.body.results as { job: { id: string } }[]).map((r) => r.job.id);
    const stored = await f.store.getMany(ids);
    expect(stored.map((job) => job?.traceparent)).toEqual([FROM_HEADER, FROM_BODY]);
  });

  it('ignores a malformed header, as W3C Trace Context asks, and stores none', async () => {
    const res = await f.call('POST', '/api/v1/jobs', {
      body: { type: 't' },
      headers: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' },
    });
    expect(res.status).toBe(201);
    expect(res.body.traceparent).toBeUndefined();
  });

  it('refuses a malformed traceparent in the body with a 400 naming the field, storing nothing', async () => {
    const res = await f.call('POST', '/api/v1/jobs', {
      body: { type: 't', traceparent: '01-abc' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual({ field: 'traceparent' });
    expect((await f.store.counts()).total).toBe(0);
  });
});
