import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, MAX_PROGRESS_LENGTH } from '@gopherqueue/core';
import { createApiFixture, type ApiFixture } from './testing/api-fixture.js';

let f: ApiFixture;
beforeEach(async () => {
  f = await createApiFixture();
});
afterEach(async () => {
  await f.close();
});

/** The JSON text of `levels` arrays one inside the other (too deep for JSON.stringify to write). */
function nested(levels: number): string {
  return '['.repeat(levels) + '1' + ']'.repeat(levels);
}

const TOO_DEEP = `must nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep`;

describe('JSON values from outside', () => {
  it(`refuses a payload nested deeper than ${MAX_JSON_DEPTH} with a 400 naming it, and stores nothing`, async () => {
    const ok = await f.call('POST', '/api/v1/jobs', {
      raw: `{"type":"deep","payload":${nested(MAX_JSON_DEPTH)}}`,
    });
    expect(ok.status).toBe(201);
    for (const levels of [MAX_JSON_DEPTH + 1, 4108, 50_000]) {
      const res = await f.call('POST', '/api/v1/jobs', {
        raw: `{"type":"deep","payload":${nested(levels)}}`,
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_error');
      expect(res.body.error.details).toEqual({ field: 'payload' });
      expect(res.body.error.message).toBe(`payload: ${TOO_DEEP}`);
    }
    const counts = await f.store.counts();
    expect(counts.byState.scheduled).toBe(1);
  });

  it('refuses a result, checkpoint or progress past its bounds over the lease API', async () => {
    const job = await f.submit('remote', null);
    const claim = await f.call('POST', '/api/v1/workers/claim', { body: { worker_id: 'w1' } });
    const token = claim.body.jobs[0].lease_token as string;
    const beat = (fields: string) =>
      f.call('POST', `/api/v1/jobs/${job.id}/heartbeat`, {
        raw: `{"lease_token":${JSON.stringify(token)},${fields}}`,
      });

    const deepCheckpoint = await beat(`"checkpoint":${nested(100_000)}`);
    expect(deepCheckpoint.status).toBe(400);
    expect(deepCheckpoint.body.error.details).toEqual({ field: 'checkpoint' });
    expect(deepCheckpoint.body.error.message).toBe(`checkpoint: ${TOO_DEEP}`);

    const bigProgress = await beat(`"progress":{"text":"${'p'.repeat(MAX_PROGRESS_LENGTH)}"}`);
    expect(bigProgress.status).toBe(400);
    expect(bigProgress.body.error.details).toEqual({ field: 'progress' });
    expect(bigProgress.body.error.message).toBe(
      `progress: must be at most ${MAX_PROGRESS_LENGTH} characters as JSON; got ${MAX_PROGRESS_LENGTH + 11}`,
    );

    const complete = (result: string) =>
      f.call('POST', `/api/v1/jobs/${job.id}/complete`, {
        raw: `{"lease_token":${JSON.stringify(token)},"result":${result}}`,
      });
    const deepResult = await complete(nested(100_000));
    expect(deepResult.status).toBe(400);
    expect(deepResult.body.error.details).toEqual({ field: 'result' });

    const many = await f.call('POST', '/api/v1/workers/complete', {
      raw: `{"ends":[{"id":"${job.id}","lease_token":${JSON.stringify(token)},"result":${nested(MAX_JSON_DEPTH + 1)}}]}`,
    });
    expect(many.status).toBe(400);

    // Nothing refused reached the job, which still completes.
    const stored = await f.store.get(job.id);
    expect(stored).toMatchObject({ state: 'running', attempt: 1 });
    expect(stored?.checkpoint).toBeUndefined();
    expect(stored?.progress).toBeUndefined();
    const done = await complete(nested(MAX_JSON_DEPTH));
    expect(done.status).toBe(200);
  });

  it('refuses text a store would change with a 400 naming the field, and stores nothing', async () => {
    const cases: [string, string][] = [
      ['payload', `{"type":"t","payload":{"s":"a\\u0000b"}}`],
      ['idempotency_key', `{"type":"t","idempotency_key":"k\\ud800X"}`],
      ['tags', `{"type":"t","tags":{"k\\udfff":"v"}}`],
    ];
    for (const [field, raw] of cases) {
      const res = await f.call('POST', '/api/v1/jobs', { raw });
      expect(res.status, field).toBe(400);
      expect(res.body.error.message, field).toMatch(/well-formed Unicode text without NUL/);
    }
    const job = await f.submit('t', null);
    const cancel = await f.call('POST', `/api/v1/jobs/${job.id}/cancel`, {
      raw: '{"reason":"r\\u0000"}',
    });
    expect(cancel.status).toBe(400);
    expect(cancel.body.error.details).toEqual({ field: 'reason' });
    expect((await f.store.counts()).byState.scheduled).toBe(1);
  });

  it('takes times as RFC 3339 with an offset only, not whatever Date.parse guesses', async () => {
    for (const at of [
      '12/25/2026',
      '2026-12-03 10:00',
      '2026-12-03T10:00:00',
      '2026-02-30T00:00:00Z',
    ]) {
      const res = await f.call('POST', '/api/v1/jobs', { body: { type: 't', scheduled_at: at } });
      expect(res.status, at).toBe(400);
      expect(res.body.error.details, at).toEqual({ field: 'scheduled_at' });
    }
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const ok = await f.call('POST', '/api/v1/jobs', { body: { type: 't', scheduled_at: at } });
    expect([ok.status, ok.body.state, ok.body.scheduled_at]).toEqual([201, 'delayed', at]);
  });
});
