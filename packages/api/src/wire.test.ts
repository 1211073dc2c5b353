import {
  fromWireJob,
  GopherQueueClient,
  JOB_FIELDS,
  type WireLeasedJob,
} from '@gopherqueue/client';
import { createJob, DEFAULT_BACKOFF, type Job } from '@gopherqueue/core';
import { describe, expect, it } from 'vitest';
import { validate } from './request.js';
import { submitSchema } from './schemas.js';
import { rfc3339, toJobSpec, toWireJob, toWireLeasedJob, toWireResult } from './wire.js';

const LATEST = '9999-12-31T23:59:59.999Z';
const EARLIEST = '0000-01-01T00:00:00.000Z';
const NOW = Date.UTC(2026, 0, 1);

describe('rfc3339', () => {
  it('writes any time RFC 3339 can hold as it is', () => {
    expect(rfc3339(NOW)).toBe('2026-01-01T00:00:00.000Z');
    expect(rfc3339(253_402_300_799_999)).toBe(LATEST);
    expect(rfc3339(-62_167_219_200_000)).toBe(EARLIEST);
  });

  it('clamps a time beyond RFC 3339 or a Date to the nearest one it can write, never throwing', () => {
    for (const ms of [253_402_300_800_000, 8.64e15, 8.64e15 + 10, 1e300, Infinity]) {
      expect(rfc3339(ms)).toBe(LATEST);
    }
    for (const ms of [-62_167_219_200_001, -8.64e15 - 10, -1e300, -Infinity]) {
      expect(rfc3339(ms)).toBe(EARLIEST);
    }
  });

  it('writes each time right when a few distinct times alternate (the texts it keeps)', () => {
    // Six distinct times, more than it keeps, in an order that revisits each: every answer is
    // the one a fresh Date writes.
    const times = [
      NOW,
      NOW + 1,
      NOW,
      NOW + 60_000,
      NOW + 1,
      NOW + 2,
      NOW + 3,
      NOW + 4,
      NOW,
      NOW + 2,
    ];
    for (const ms of [...times, ...times.reverse()]) {
      expect(rfc3339(ms)).toBe(new Date(ms).toISOString());
    }
    expect(rfc3339(NOW + 60_000)).toBe('2026-01-01T00:01:00.000Z');
  });

  it('writes something that is not a number (NaN, null from an old record) as the epoch', () => {
    expect(rfc3339(Number.NaN)).toBe('1970-01-01T00:00:00.000Z');
    expect(rfc3339(null as unknown as number)).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('toWireJob', () => {
  it('encodes a job whose every time is out of range', () => {
    const job: Job = {
      ...createJob('echo', null, {}, NOW),
      backoff: { ...DEFAULT_BACKOFF },
      state: 'failed',
      attempt: 1,
      runAt: 1e300,
      waitingOn: [],
      errors: [{ attempt: 1, at: Number.NaN, message: 'x', errorClass: 'error' }],
      seq: 1,
      createdAt: -1e300,
      updatedAt: 8.64e15 + 10,
      startedAt: Infinity,
      finishedAt: 8.64e15 + 10,
    };
    expect(toWireJob(job)).toMatchObject({
      scheduled_at: LATEST,
      created_at: EARLIEST,
      updated_at: LATEST,
      started_at: LATEST,
      completed_at: LATEST,
      errors: [{ at: '1970-01-01T00:00:00.000Z' }],
    });
    expect(toWireResult(job).completed_at).toBe(LATEST);
  });
});

describe('toJobSpec', () => {
  it('names the wire field createJob rejected, in its own words', () => {
    const body = validate(submitSchema, {
      type: 'echo',
      scheduled_at: NOW + 11 * 365 * 86_400_000,
    });
    expect(() => toJobSpec(body, NOW)).toThrow(
      expect.objectContaining({
        details: { field: 'scheduled_at' },
        message: expect.stringMatching(/^scheduled_at: must be at most 87600h \(10 years\) ahead/),
      }),
    );
    expect(() => toJobSpec(body, NOW, 'jobs.3')).toThrow(
      expect.objectContaining({ details: { field: 'jobs.3.scheduled_at' } }),
    );
  });
});

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('the job field table', () => {
  /** A job with every field of JOB_FIELDS set. */
  function fullJob(): Job {
    return {
      ...createJob(
        'resize',
        { w: 640 },
        {
          idempotencyKey: 'k1',
          correlationId: 'c1',
          traceparent: TRACEPARENT,
          group: 'acct-7',
          retryOn: ['HttpError'],
          noRetryOn: ['panic'],
        },
        NOW,
      ),
      backoff: { strategy: 'linear', initialMs: 250, maxMs: 9_000, multiplier: 3, jitter: false },
      state: 'running',
      attempt: 2,
      runAt: NOW + 1_000,
      dependsOn: ['01890a5d-ac96-774b-bcce-b302099a8057'],
      waitingOn: [],
      tags: { team: 'media' },
      checkpoint: { page: 3 },
      progress: { done: 3, of: 9 },
      progressMessage: 'page 3',
      result: ['partial'],
      errors: [
        {
          attempt: 1,
          message: 'boom',
          errorClass: 'error',
          name: 'Error',
          stack: 'Error: boom',
          retryAfterMs: 250,
          at: NOW + 5,
        },
      ],
      transitions: [
        { state: 'scheduled', at: NOW, attempt: 0 },
        { state: 'running', at: NOW + 1_500, attempt: 2 },
      ],
      cancelReason: 'not really',
      unique: { key: 'u1', until: 60_000 },
      debounce: { key: 'd1', waitMs: 5_000, maxWaitMs: 60_000 },
      expiresAt: NOW + 90_000,
      seq: 7,
      createdAt: NOW,
      updatedAt: NOW + 2_000,
      startedAt: NOW + 1_500,
      finishedAt: NOW + 1_900,
      leaseToken: 'token-1',
      leaseExpiresAt: NOW + 31_500,
      workerId: 'worker-1',
    };
  }

  it('encodes every field with toWireLeasedJob and fromWireJob reads back the same job', () => {
    const job = fullJob();
    const wire = JSON.parse(JSON.stringify(toWireLeasedJob(job))) as WireLeasedJob;
    expect(Object.keys(wire).sort()).toEqual(
      [
        ...Object.values(JOB_FIELDS)
          .filter((field) => field.sent !== 'never')
          .map((field) => field.wire),
        'last_error',
      ].sort(),
    );
    expect(wire).toMatchObject({
      max_attempts: 3,
      scheduled_at: '2026-01-01T00:00:01.000Z',
      backoff: { initial_ms: 250, max_ms: 9_000 },
      errors: [{ class: 'error', at: '2026-01-01T00:00:00.005Z' }],
      transitions: [
        { state: 'scheduled', at: '2026-01-01T00:00:00.000Z', attempt: 0 },
        { state: 'running', at: '2026-01-01T00:00:01.500Z', attempt: 2 },
      ],
      lease_token: 'token-1',
      last_error: 'boom',
    });
    expect(fromWireJob(wire)).toEqual({ ...job, seq: 0 });
  });

  it('reads back jobs whose times interleave (more distinct times than either side keeps)', () => {
    const jobs = [0, 7, 0, 13, 7, 21].map((shift) => {
      const job = fullJob();
      job.createdAt += shift;
      job.startedAt = (job.startedAt ?? NOW) + 2 * shift;
      job.leaseExpiresAt = (job.leaseExpiresAt ?? NOW) + 3 * shift;
      return job;
    });
    const wires = JSON.parse(JSON.stringify(jobs.map(toWireLeasedJob))) as WireLeasedJob[];
    expect(wires.map((w) => w.created_at)).toEqual(
      jobs.map((job) => new Date(job.createdAt).toISOString()),
    );
    expect(wires.map(fromWireJob)).toEqual(jobs.map((job) => ({ ...job, seq: 0 })));
  });

  it('leaves the lease out of toWireJob, and reads progress 0 when none was reported', () => {
    const job = fullJob();
    delete job.progress;
    const wire = toWireJob(job);
    expect(wire).not.toHaveProperty('lease_token');
    expect(wire).not.toHaveProperty('lease_expires_at');
    expect(wire.progress).toBe(0);
  });

  it('writes an odd stored transitions list as what of it reads, never throwing', () => {
    const job = fullJob();
    delete job.transitions;
    expect(toWireJob(job)).not.toHaveProperty('transitions');
    (job as unknown as { transitions: unknown }).transitions = 'not a list';
    expect(toWireJob(job).transitions).toEqual([]);
    (job as unknown as { transitions: unknown }).transitions = [
      null,
      7,
      { state: 'running', at: Number.NaN, attempt: 1 },
    ];
    expect(toWireJob(job).transitions).toEqual([
      { state: 'running', at: '1970-01-01T00:00:00.000Z', attempt: 1 },
    ]);
  });

  it('writes an odd stored backoff or error entry as empty, never throwing', () => {
    const job = fullJob();
    (job as unknown as { backoff: unknown }).backoff = 'fast';
    (job as unknown as { errors: unknown }).errors = [null, { message: 'boom', attempt: 1, at: 0 }];
    const wire = toWireJob(job);
    expect(wire.backoff).toEqual({});
    expect(wire.errors).toEqual([
      {},
      { message: 'boom', attempt: 1, at: '1970-01-01T00:00:00.000Z' },
    ]);
  });

  it("turns the client's submit body of every option into the same createJob options", async () => {
    let sent: unknown;
    const client = new GopherQueueClient({
      baseUrl: 'http://gq.test',
      fetch: (_url, init) => {
        sent = JSON.parse(init?.body as string);
        return Promise.resolve(new Response('{}', { status: 201 }));
      },
    });
    const dependency = '01890a5d-ac96-774b-bcce-b302099a8057';
    await client.submit(
      'resize',
      { w: 640 },
      {
        priority: 'high',
        scheduledAt: new Date(NOW + 60_000),
        timeout: '90s',
        maxAttempts: 4,
        idempotencyKey: 'k1',
        correlationId: 'c1',
        traceparent: TRACEPARENT,
        group: 'acct-7',
        tags: { team: 'media' },
        queue: 'media',
        dependsOn: [dependency],
        backoff: { strategy: 'constant', initial: '2s', max: '1m', multiplier: 1, jitter: false },
        retryOn: ['HttpError', 'timeout'],
        noRetryOn: ['TypeError'],
      },
    );
    expect(sent).toEqual({
      type: 'resize',
      payload: { w: 640 },
      priority: 'high',
      scheduled_at: '2026-01-01T00:01:00.000Z',
      timeout: '90s',
      max_attempts: 4,
      idempotency_key: 'k1',
      correlation_id: 'c1',
      traceparent: TRACEPARENT,
      group: 'acct-7',
      tags: { team: 'media' },
      queue: 'media',
      depends_on: [dependency],
      backoff: { strategy: 'constant', initial: '2s', max: '1m', multiplier: 1, jitter: false },
      retry_on: ['HttpError', 'timeout'],
      no_retry_on: ['TypeError'],
    });
    const spec = toJobSpec(validate(submitSchema, sent), NOW);
    expect({ ...spec, id: 'x' }).toEqual({
      id: 'x',
      type: 'resize',
      queue: 'media',
      payload: { w: 640 },
      priority: 1,
      maxAttempts: 4,
      timeoutMs: 90_000,
      backoff: {
        strategy: 'constant',
        initialMs: 2_000,
        maxMs: 60_000,
        multiplier: 1,
        jitter: false,
      },
      runAt: NOW + 60_000,
      dependsOn: [dependency],
      idempotencyKey: 'k1',
      correlationId: 'c1',
      traceparent: TRACEPARENT,
      group: 'acct-7',
      tags: { team: 'media' },
      retryOn: ['HttpError', 'timeout'],
      noRetryOn: ['TypeError'],
    });
    const delayed = toJobSpec(validate(submitSchema, { type: 'resize', delay: '5s' }), NOW);
    expect(delayed.runAt).toBe(NOW + 5_000);
  });
});
