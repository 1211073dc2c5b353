import { describe, expect, it } from 'vitest';
import { createJob, type Job } from '@gopherqueue/core';
import { JobEncoder, numberText } from './job-encoder.js';
import { isRecordBackoff, RECORD_BACKOFF, readJobRecord } from './job-record.js';
import * as next from '../job-versions.js';

/** What a store must read back: the job's own JSON. */
const plain = (job: Job): unknown => JSON.parse(JSON.stringify(job));

/** What the record holds: the job's JSON without the fields at their usual values. */
function stored(job: Job): unknown {
  const empty = (value: unknown): boolean =>
    typeof value === 'object' && value !== null && Object.keys(value).length === 0;
  return Object.fromEntries(
    Object.entries(plain(job) as Record<string, unknown>).filter(
      ([key, value]) =>
        !(['dependsOn', 'waitingOn', 'errors', 'tags'].includes(key) && empty(value)) &&
        !(key === 'backoff' && isRecordBackoff(value)),
    ),
  );
}

/** Encodes `job` and checks both the record's text and what a reader makes of it. */
function expectRoundTrip(encoder: JobEncoder, job: Job): void {
  const text = encoder.encode(job);
  expect(JSON.parse(text)).toStrictEqual(stored(job));
  expect(readJobRecord(text, job.id)).toStrictEqual(plain(job));
}

describe('JobEncoder', () => {
  const spec = createJob(
    'mail',
    { to: 'a@example.com', body: 'x'.repeat(50) },
    { idempotencyKey: 'k1', tags: { tenant: 'acme' } },
    1_000,
  );
  const created = next.createdJob(spec, 1_000, 7, [], false);
  const claimed = next.claimedJob(created, 2_000, { workerId: 'w1', limit: 1, leaseMs: 500 }, 't1');

  it('writes every version of a job as the JSON of that version', () => {
    const encoder = new JobEncoder();
    const beat = next.heartbeatJob(claimed, 2_100, {
      leaseMs: 500,
      checkpoint: { page: 3 },
      progress: 40,
      progressMessage: 'page 3',
    });
    const failed = next.failedJob(beat, 2_200, {
      error: { message: 'boom', errorClass: 'error' },
      outcome: { state: 'retrying', runAt: 9_000 },
    });
    const reclaimed = next.claimedJob(
      failed,
      9_000,
      { workerId: 'w2', limit: 1, leaseMs: 500 },
      't2',
    );
    const completed = next.completedJob(reclaimed, 9_100, { sent: true });
    for (const job of [created, claimed, beat, failed, reclaimed, completed]) {
      expectRoundTrip(encoder, job);
    }
  });

  it('writes every other transition short too (no version carries a field holding undefined)', () => {
    const encoder = new JobEncoder();
    const released = next.releasedJob(claimed, 2_500, 3_000);
    const cancelled = next.cancelledJob(released, 2_600, 'by hand');
    const retried = next.retriedJob(cancelled, 2_700, true);
    const dependency = '01a22f05-1090-7000-8794-00da803af610';
    const pending = next.createdJob(
      createJob('mail', null, { dependsOn: [dependency] }, 1_000),
      1_000,
      9,
      [dependency],
      false,
    );
    const met = next.dependencyMetJob(pending, dependency, 1_500);
    const debounced = next.debouncedJob(
      next.createdJob(
        createJob('mail', null, { debounce: { key: 'd', wait: 5_000 } }, 1_000),
        1_000,
        10,
        [],
        false,
      ),
      1_200,
      { last: true },
      5_000,
    );
    for (const job of [released, cancelled, retried, pending, met, debounced]) {
      expect(Object.values(job)).not.toContain(undefined);
      expectRoundTrip(encoder, job);
    }
  });

  it('serialises anew a running job whose fixed fields changed (a restore)', () => {
    const encoder = new JobEncoder();
    encoder.encode(claimed);
    const restored: Job = { ...claimed, payload: { other: true }, priority: 0 };
    expectRoundTrip(encoder, restored);
  });

  it('keeps fields it does not know and drops undefined ones, as JSON.stringify does', () => {
    const encoder = new JobEncoder();
    encoder.encode(claimed);
    const extra = { ...claimed, origin: 'import' } as Job;
    // A field the encoder does not know: the job is written whole.
    expect(JSON.parse(encoder.encode(extra))).toStrictEqual(plain(extra));
    expect(readJobRecord(encoder.encode(extra))).toStrictEqual(plain(extra));
    // A field holding undefined is counted by Object.keys but not written: the job is written
    // whole too, which JSON.parse reads without the field.
    const holes: Job = { ...claimed, finishedAt: undefined };
    expect(JSON.parse(encoder.encode(holes))).toStrictEqual(plain(holes));
    expect(readJobRecord(encoder.encode(holes))).toStrictEqual(plain(holes));
  });

  it('writes the fields a job keeps from submit (unique, debounce, expiry) from its cached head', () => {
    const encoder = new JobEncoder();
    const spec = createJob('mail', null, { expiresAt: 50_000 }, 1_000);
    const held: Job = {
      ...next.createdJob(spec, 1_000, 8, [], false),
      unique: { key: 'u1', until: 'started' },
      debounce: { key: 'd1', waitMs: 5_000, maxWaitMs: 60_000 },
    };
    const running = next.claimedJob(held, 2_000, { workerId: 'w1', limit: 1, leaseMs: 500 }, 't1');
    const done = next.completedJob(running, 2_100, [1, 'two']);
    for (const job of [held, running, done]) expectRoundTrip(encoder, job);
  });

  it('writes odd values as JSON.stringify does: odd numbers, states and transitions', () => {
    const encoder = new JobEncoder();
    const odd = {
      ...claimed,
      attempt: Number.NaN,
      runAt: Number.POSITIVE_INFINITY,
      updatedAt: -0,
      startedAt: 1.5e12 + 0.25,
      state: 'running',
      errors: [null, { message: 'x', at: -1e21 }],
      transitions: [
        null,
        undefined,
        { state: 'scheduled', at: 1_000, attempt: 0, extra: true },
        { state: 'nope', at: 1_000, attempt: 0 },
        [1, 2],
        { state: 'running', at: '2000', attempt: 1 },
        { at: 2_000, state: 'running', attempt: 1 },
        Object.assign(Object.create({ inherited: 1 }) as object, {
          state: 'running',
          at: 3_000,
          attempt: 1,
        }),
      ],
      progress: { toJSON: () => 'seen' },
    } as unknown as Job;
    expect(encoder.encode(odd)).not.toContain('undefined');
    // Written field by field (a job written whole would hold its usual backoff).
    expect(JSON.parse(encoder.encode(odd))).not.toHaveProperty('backoff');
    expect(JSON.parse(encoder.encode(odd))).toStrictEqual(stored(odd));
    const stateless = { ...claimed, state: 'running', transitions: 'x' } as unknown as Job;
    expect(JSON.parse(encoder.encode(stateless))).toStrictEqual(stored(stateless));
  });

  it('writes a job whose every fixed field is undefined as valid JSON', () => {
    const encoder = new JobEncoder();
    const keys = ['id', 'type', 'queue', 'payload', 'priority', 'maxAttempts', 'timeoutMs'];
    const bare = { ...claimed } as Record<string, unknown>;
    for (const key of [...keys, 'backoff', 'dependsOn', 'tags', 'seq', 'createdAt']) {
      bare[key] = undefined;
    }
    const job = bare as unknown as Job;
    expect(JSON.parse(encoder.encode(job))).toStrictEqual(stored(job));
  });

  it('leaves out the fields at their usual values, and only those', () => {
    const encoder = new JobEncoder();
    expect(JSON.parse(encoder.encode(created))).toStrictEqual({
      id: created.id,
      type: 'mail',
      queue: 'default',
      payload: { to: 'a@example.com', body: 'x'.repeat(50) },
      priority: 2,
      maxAttempts: 3,
      timeoutMs: 1_800_000,
      tags: { tenant: 'acme' },
      seq: 7,
      createdAt: 1_000,
      idempotencyKey: 'k1',
      state: 'scheduled',
      attempt: 0,
      runAt: 1_000,
      updatedAt: 1_000,
      transitions: [{ state: 'scheduled', at: 1_000, attempt: 0 }],
    });
    // Values beside the usual ones are written: a backoff one field off, lists and tags not empty.
    const kept: Job = {
      ...created,
      backoff: { ...RECORD_BACKOFF, jitter: false },
      dependsOn: ['01a22f05-1090-7000-8794-00da803af610'],
      waitingOn: ['01a22f05-1090-7000-8794-00da803af610'],
      errors: [{ attempt: 1, message: 'boom', errorClass: 'error', at: 900 }],
      tags: {},
    };
    const record = JSON.parse(encoder.encode(kept)) as Record<string, unknown>;
    expect(record.backoff).toStrictEqual({ ...RECORD_BACKOFF, jitter: false });
    expect(record.dependsOn).toStrictEqual(kept.dependsOn);
    expect(record.waitingOn).toStrictEqual(kept.waitingOn);
    expect(record.errors).toStrictEqual(kept.errors);
    expect('tags' in record).toBe(false);
    expect(readJobRecord(encoder.encode(kept))).toStrictEqual(plain(kept));
    // A backoff with a field more is not the usual one.
    expect(isRecordBackoff({ ...RECORD_BACKOFF, extra: 1 })).toBe(false);
    expect(isRecordBackoff({ ...RECORD_BACKOFF })).toBe(true);
  });

  it('the backoff a record leaves out is fixed by the layout', () => {
    expect(RECORD_BACKOFF).toStrictEqual({
      strategy: 'exponential',
      initialMs: 1000,
      maxMs: 3_600_000,
      multiplier: 2,
      jitter: true,
    });
  });

  it('numberText is the JSON text of every number, also when two share a slot', () => {
    const values = [
      0,
      -0,
      1,
      -1,
      999_999,
      1_000_000,
      -1_000_000,
      1_796_085_190_801,
      1_796_085_190_801 + 256,
      1_796_085_190_801,
      2 ** 53,
      -(2 ** 53) - 2,
      1e21,
      1.5e-7,
      0.1 + 0.2,
      123_456_789.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
    ];
    for (const value of [...values, ...values]) {
      expect(numberText(value)).toBe(JSON.stringify(value));
    }
  });
});
