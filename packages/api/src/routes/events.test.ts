import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '@gopherqueue/client';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

let f: ApiFixture;
beforeEach(async () => {
  f = await createApiFixture({ sseKeepAliveMs: 20 });
});
afterEach(async () => {
  await f.close();
});

/** Opens the stream and reads from it until `until` says stop; returns events and raw text. */
async function readStream(
  path: string,
  until: (events: SseEvent[], raw: string) => boolean,
  onOpen: () => Promise<void> = () => Promise.resolve(),
) {
  const res = await f.app.request(path);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  const events: SseEvent[] = [];
  let raw = '';
  let opened = false;
  while (!until(events, raw)) {
    const { done, value } = await reader.read();
    if (done) break;
    raw += value;
    events.push(...parser.push(value));
    if (!opened && events.length > 0) {
      opened = true;
      await onOpen();
    }
  }
  await reader.cancel();
  return { events, raw };
}

describe('GET /api/v1/events', () => {
  it('sends connected first, then lifecycle events with the job as data and its id', async () => {
    let id = '';
    const { events } = await readStream(
      '/api/v1/events',
      (evs) => evs.some((e) => e.event === 'job.completed'),
      async () => {
        const job = await f.submit('t', { n: 1 });
        id = job.id;
        const [claimed] = await f.store.claim({ workerId: 'w', limit: 1, leaseMs: 30_000 });
        await f.store.complete(job.id, claimed!.leaseToken!, 'ok');
      },
    );
    expect(events[0]).toEqual({ event: 'connected', data: { status: 'connected' } });
    expect(events.slice(1).map((e) => [e.event, e.id])).toEqual([
      ['job.created', id],
      ['job.started', id],
      ['job.completed', id],
    ]);
    expect(events[3]!.data).toMatchObject({
      id,
      state: 'completed',
      result: 'ok',
      payload: { n: 1 },
    });
  });

  it('sends, with worker_id, only the events of the jobs that worker holds through the lease API', async () => {
    const mine = await f.submit('t');
    const theirs = await f.submit('t');
    const claim = async (workerId: string): Promise<{ id: string; lease_token: string }> => {
      const res = await f.call('POST', '/api/v1/workers/claim', {
        body: { worker_id: workerId, limit: 1 },
      });
      return (res.body as { jobs: { id: string; lease_token: string }[] }).jobs[0]!;
    };
    const first = await claim('w-1');
    const second = await claim('w-2');
    expect([first.id, second.id]).toEqual([mine.id, theirs.id]);
    const { events } = await readStream(
      '/api/v1/events?worker_id=w-1',
      (evs) => evs.some((e) => e.event === 'job.cancelled'),
      async () => {
        await f.store.cancel(theirs.id, 'not yours');
        await f.submit('t');
        await f.store.cancel(mine.id, 'yours');
      },
    );
    expect(events.map((e) => [e.event, e.id])).toEqual([
      ['connected', undefined],
      ['job.cancelled', mine.id],
    ]);
    const bad = await f.call('GET', `/api/v1/events?worker_id=${'w'.repeat(201)}`);
    expect([bad.status, bad.body.error.details]).toEqual([400, { field: 'worker_id' }]);
  });

  it('sends, with worker_id, no echo of the ends the worker reports itself', async () => {
    const [a, b] = [await f.submit('t'), await f.submit('t')];
    const res = await f.call('POST', '/api/v1/workers/claim', {
      body: { worker_id: 'w-1', limit: 2 },
    });
    const [first, second] = (res.body as { jobs: { id: string; lease_token: string }[] }).jobs;
    expect([first!.id, second!.id]).toEqual([a.id, b.id]);
    const { events } = await readStream(
      '/api/v1/events?worker_id=w-1',
      (evs) => evs.some((e) => e.event === 'job.cancelled'),
      async () => {
        const done = await f.call('POST', `/api/v1/jobs/${a.id}/complete`, {
          body: { lease_token: first!.lease_token, result: 1 },
        });
        expect(done.status).toBe(200);
        await f.store.cancel(b.id, 'no longer wanted');
      },
    );
    expect(events.map((e) => [e.event, e.id])).toEqual([
      ['connected', undefined],
      ['job.cancelled', b.id],
    ]);
  });

  it('sends, with worker_id, no echo of the claims and heartbeats the worker makes itself', async () => {
    const [a, b] = [await f.submit('t'), await f.submit('t')];
    const { events } = await readStream(
      '/api/v1/events?worker_id=w-1',
      (evs) => evs.some((e) => e.event === 'job.cancelled'),
      async () => {
        const res = await f.call('POST', '/api/v1/workers/claim', {
          body: { worker_id: 'w-1', limit: 2 },
        });
        const jobs = (res.body as { jobs: { id: string; lease_token: string }[] }).jobs;
        expect(jobs.map((j) => j.id)).toEqual([a.id, b.id]);
        const beat = await f.call('POST', `/api/v1/jobs/${a.id}/heartbeat`, {
          body: { lease_token: jobs[0]!.lease_token, progress: 50, checkpoint: { step: 1 } },
        });
        expect(beat.status).toBe(200);
        expect((await f.store.get(a.id))?.progress).toBe(50);
        await f.store.cancel(b.id, 'no longer wanted');
      },
    );
    expect(events.map((e) => [e.event, e.id])).toEqual([
      ['connected', undefined],
      ['job.cancelled', b.id],
    ]);
  });

  it('sends keep-alive comments and only the events of the job named by job_id', async () => {
    const watched = await f.submit('t');
    const { events, raw } = await readStream(
      `/api/v1/events?job_id=${watched.id}`,
      (evs, text) => evs.some((e) => e.event === 'job.cancelled') && text.includes(': keepalive'),
      async () => {
        await f.submit('other');
        await f.store.cancel(watched.id, 'no');
      },
    );
    expect(events.map((e) => e.event)).toEqual(['connected', 'job.cancelled']);
    expect(raw).toContain(': keepalive\n\n');
  });

  it('ends the stream of a key once the key is revoked', async () => {
    const secured = await createApiFixture({ sseKeepAliveMs: 20, auth: 'required' });
    try {
      const viewer = await secured.key('viewer');
      const res = await secured.app.request('/api/v1/events', {
        headers: { 'x-api-key': viewer },
      });
      expect(res.status).toBe(200);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      expect((await reader.read()).value).toMatch(/^event: connected\n/);
      const [record] = await secured.keys.list();
      await secured.keys.revoke(record!.id);
      let ended = false;
      for (let i = 0; i < 100 && !ended; i++) ended = (await reader.read()).done;
      expect(ended).toBe(true);
    } finally {
      await secured.close();
    }
  });

  it('sends job.deleted and job.retried', async () => {
    const job = await f.submit('t');
    await f.store.cancel(job.id);
    const { events } = await readStream(
      '/api/v1/events',
      (evs) => evs.some((e) => e.event === 'job.deleted'),
      async () => {
        await f.call('POST', `/api/v1/jobs/${job.id}/retry`);
        await f.call('DELETE', `/api/v1/jobs/${job.id}`);
      },
    );
    expect(events.map((e) => e.event)).toEqual(['connected', 'job.retried', 'job.deleted']);
  });

  it('sends job.snoozed for a release that puts the job off, and nothing for one at once', async () => {
    const job = await f.submit('t');
    const claim = async (): Promise<string> => {
      const res = await f.call('POST', '/api/v1/workers/claim', { body: { worker_id: 'w' } });
      return res.body.jobs[0].lease_token as string;
    };
    const { events } = await readStream(
      '/api/v1/events',
      (evs) => evs.some((e) => e.event === 'job.snoozed'),
      async () => {
        // A worker stopping gives the job back at once: no event.
        await f.call('POST', `/api/v1/jobs/${job.id}/release`, {
          body: { lease_token: await claim() },
        });
        await f.call('POST', `/api/v1/jobs/${job.id}/release`, {
          body: { lease_token: await claim(), delay: '30s' },
        });
      },
    );
    expect(events.map((e) => e.event)).toEqual([
      'connected',
      'job.started',
      'job.started',
      'job.snoozed',
    ]);
    const snoozed = events[3]!.data as { state: string; attempt: number };
    expect([snoozed.state, snoozed.attempt]).toEqual(['scheduled', 0]);
  });

  it('sends, with an upper-case job_id, the events of that job', async () => {
    const job = await f.submit('t');
    const { events } = await readStream(
      `/api/v1/events?job_id=${job.id.toUpperCase()}`,
      (evs) => evs.some((e) => e.event === 'job.cancelled'),
      async () => {
        await f.submit('t');
        await f.store.cancel(job.id, 'stop');
      },
    );
    expect(events.map((e) => [e.event, e.id])).toEqual([
      ['connected', undefined],
      ['job.cancelled', job.id],
    ]);
  });

  it('rejects a malformed job_id', async () => {
    const res = await f.call('GET', '/api/v1/events?job_id=bad');
    expect(res.status).toBe(400);
    expect(res.body.error.details.field).toBe('job_id');
  });

  it('stops listening when the client goes away', async () => {
    await readStream('/api/v1/events', (evs) => evs.length > 0);
    // The stream's loop notices the cancel on its next turn; the test's timeout bounds the wait.
    while (f.events.listenerCount('job:created') > 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(f.events.listenerCount('job:deleted')).toBe(0);
  });

  it('answers 503 with the error envelope past the stream cap, and takes a stream again once one ends', async () => {
    const capped = await createApiFixture({ sseMaxStreams: 1 });
    try {
      const first = await capped.app.request('/api/v1/events');
      expect(first.status).toBe(200);
      const refused = await capped.call('GET', '/api/v1/events');
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({
        error: {
          code: 'service_unavailable',
          message: 'too many event streams open (at most 1); try again later',
          details: { max_streams: 1 },
        },
      });
      await first.body!.cancel();
      const again = await capped.app.request('/api/v1/events');
      expect(again.status).toBe(200);
      await again.body!.cancel();
    } finally {
      await capped.close();
    }
  });
});
