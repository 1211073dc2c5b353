import { describe, expect, it } from 'vitest';
import { createJob, type Job } from '@gopherqueue/core';
import { JobEncoder } from './job-encoder.js';
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
});
