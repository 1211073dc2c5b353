import { describe, expect, it } from 'vitest';
import { createJob, type Job } from '@gopherqueue/core';
import { JobEncoder, numberText } from './job-encoder.js';
import * as next from '../job-versions.js';

/** What a store must read back: the job's own JSON. */
const plain = (job: Job): unknown => JSON.parse(JSON.stringify(job));

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
      expect(JSON.parse(encoder.encode(job))).toStrictEqual(plain(job));
    }
  });

  it('serialises anew a running job whose fixed fields changed (a restore)', () => {
    const encoder = new JobEncoder();
    encoder.encode(claimed);
    const restored: Job = { ...claimed, payload: { other: true }, priority: 0 };
    expect(JSON.parse(encoder.encode(restored))).toStrictEqual(plain(restored));
  });

  it('keeps fields it does not know and drops undefined ones, as JSON.stringify does', () => {
    const encoder = new JobEncoder();
    encoder.encode(claimed);
    const extra = { ...claimed, origin: 'import' } as Job;
    expect(JSON.parse(encoder.encode(extra))).toStrictEqual(plain(extra));
    const holes: Job = { ...claimed, finishedAt: undefined };
    expect(JSON.parse(encoder.encode(holes))).toStrictEqual(plain(holes));
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
    for (const job of [held, running, done]) {
      expect(JSON.parse(encoder.encode(job))).toStrictEqual(plain(job));
    }
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
      checkpoint: undefined,
    } as unknown as Job;
    expect(encoder.encode(odd)).not.toContain('undefined');
    expect(JSON.parse(encoder.encode(odd))).toStrictEqual(plain(odd));
    const stateless = { ...claimed, state: 'running', transitions: 'x' } as unknown as Job;
    expect(JSON.parse(encoder.encode(stateless))).toStrictEqual(plain(stateless));
  });

  it('writes a job whose every fixed field is undefined as valid JSON', () => {
    const encoder = new JobEncoder();
    const keys = ['id', 'type', 'queue', 'payload', 'priority', 'maxAttempts', 'timeoutMs'];
    const bare = { ...claimed } as Record<string, unknown>;
    for (const key of [...keys, 'backoff', 'dependsOn', 'tags', 'seq', 'createdAt']) {
      bare[key] = undefined;
    }
    const job = bare as unknown as Job;
    expect(JSON.parse(encoder.encode(job))).toStrictEqual(plain(job));
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
