import { afterEach, describe, expect, it } from 'vitest';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

/** The messages of a page's lines. */
function messages(body: unknown): string[] {
  return (body as { lines: { message: string }[] }).lines.map((l) => l.message);
}

const line = (message: string, at = 1_700_000_000_000) => ({ at, level: 'info', message });

describe('job log lines over HTTP', () => {
  it('takes a worker’s lines and serves them by attempt, in bounded pages after the last line read', async () => {
    const fx = (f = await createApiFixture({ auth: 'required' }));
    const worker = await fx.key('worker');
    const reader = await fx.key('viewer');
    const job = await fx.submit('t');
    const sent = await fx.call('POST', '/api/v1/workers/logs', {
      key: worker,
      body: {
        entries: [
          { job_id: job.id, attempt: 1, lines: [line('a1'), line('a2'), line('a3')], dropped: 2 },
          {
            job_id: job.id,
            attempt: 2,
            lines: [{ ...line('b1'), level: 'error', fields: { n: 1 } }],
          },
        ],
      },
    });
    expect(sent).toMatchObject({ status: 200, body: { accepted: 4 } });
    const all = await fx.call('GET', `/api/v1/jobs/${job.id}/logs`, { key: reader });
    expect(all.status).toBe(200);
    expect(all.body).toEqual({
      job_id: job.id,
      lines: [
        { attempt: 1, seq: 1, at: '2023-11-14T22:13:20.000Z', level: 'info', message: 'a1' },
        { attempt: 1, seq: 2, at: '2023-11-14T22:13:20.000Z', level: 'info', message: 'a2' },
        { attempt: 1, seq: 3, at: '2023-11-14T22:13:20.000Z', level: 'info', message: 'a3' },
        {
          attempt: 2,
          seq: 1,
          at: '2023-11-14T22:13:20.000Z',
          level: 'error',
          message: 'b1',
          fields: { n: 1 },
        },
      ],
      dropped: [{ attempt: 1, count: 2 }],
      more: false,
      last: '2:1',
    });
    const page = await fx.call('GET', `/api/v1/jobs/${job.id}/logs?limit=2&after=1:1`, {
      key: reader,
    });
    expect(messages(page.body)).toEqual(['a2', 'a3']);
    expect(page.body).toMatchObject({ more: true, last: '1:3' });
    const second = await fx.call('GET', `/api/v1/jobs/${job.id}/logs?attempt=2`, { key: reader });
    expect(messages(second.body)).toEqual(['b1']);
  });

  it('answers a bad query or body with a 400 naming the field', async () => {
    const fx = (f = await createApiFixture());
    const job = await fx.submit('t');
    const bad = async (query: string, field: string): Promise<void> => {
      const res = await fx.call('GET', `/api/v1/jobs/${job.id}/logs?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error.details.field).toBe(field);
    };
    await bad('limit=0', 'limit');
    await bad('limit=1001', 'limit');
    await bad('attempt=x', 'attempt');
    await bad('after=7', 'after');
    const body = await fx.call('POST', '/api/v1/workers/logs', {
      body: {
        entries: [{ job_id: job.id, attempt: 1, lines: [{ at: 1, level: 'loud', message: 'x' }] }],
      },
    });
    expect(body.status).toBe(400);
    expect(body.body.error.details.field).toBe('entries.0.lines.0.level');
    const many = await fx.call('POST', '/api/v1/workers/logs', {
      body: {
        entries: [
          { job_id: job.id, attempt: 1, lines: Array.from({ length: 1001 }, () => line('x')) },
        ],
      },
    });
    expect(many.status).toBe(400);
    expect((await fx.call('GET', '/api/v1/jobs/not-a-job/logs')).status).toBe(400);
  });

  it('keeps a restricted key to its queues, both ways', async () => {
    const fx = (f = await createApiFixture({ auth: 'required' }));
    const mine = await fx.submit('t', null, { queue: 'mine' });
    const theirs = await fx.submit('t', null, { queue: 'theirs' });
    const worker = await fx.key('worker', ['mine']);
    const sent = await fx.call('POST', '/api/v1/workers/logs', {
      key: worker,
      body: {
        entries: [
          { job_id: mine.id, attempt: 1, lines: [line('ok')] },
          { job_id: theirs.id, attempt: 1, lines: [line('not yours')] },
        ],
      },
    });
    expect(sent.body).toEqual({ accepted: 1 });
    expect((await fx.store.logs.read(theirs.id)).lines).toEqual([]);
    const viewer = await fx.key('viewer', ['mine']);
    expect((await fx.call('GET', `/api/v1/jobs/${theirs.id}/logs`, { key: viewer })).status).toBe(
      404,
    );
    expect((await fx.call('GET', `/api/v1/jobs/${mine.id}/logs`, { key: viewer })).status).toBe(
      200,
    );
    const submitter = await fx.key('producer');
    expect(
      (await fx.call('POST', '/api/v1/workers/logs', { key: submitter, body: { entries: [] } }))
        .status,
    ).toBe(403);
  });
});
