import { createJob, type Job } from '@gopherqueue/core';
import { describe, expect, it } from 'vitest';
import { jobToLine, parseJobLine } from './job-ndjson.js';

const NOW = Date.UTC(2026, 0, 1);

function storedJob(): Job {
  return {
    ...createJob('resize', { w: 640 }, { idempotencyKey: 'k1' }, NOW),
    state: 'failed',
    attempt: 1,
    runAt: NOW,
    waitingOn: [],
    errors: [{ attempt: 1, message: 'boom', errorClass: 'error', at: NOW + 5 }],
    transitions: [
      { state: 'scheduled', at: NOW, attempt: 0 },
      { state: 'running', at: NOW + 1, attempt: 1 },
      { state: 'failed', at: NOW + 9, attempt: 1 },
    ],
    seq: 3,
    createdAt: NOW,
    updatedAt: NOW + 9,
    finishedAt: NOW + 9,
  };
}

describe('parseJobLine', () => {
  it('reads back every field of a job written by jobToLine', () => {
    const job = storedJob();
    expect(parseJobLine(jobToLine(job), 1)).toEqual(job);
  });

  it('checks each field of the job field table by its kind, nested ones by their own table', () => {
    const line = (change: Record<string, unknown>): string =>
      JSON.stringify({ ...storedJob(), ...change });
    expect(() => parseJobLine(line({ attempt: -1 }), 2)).toThrow(
      'line 2: attempt must be a non-negative integer; got -1',
    );
    expect(() => parseJobLine(line({ finishedAt: 'yesterday' }), 3)).toThrow(
      'line 3: finishedAt must be a time in ms; got "yesterday"',
    );
    expect(() =>
      parseJobLine(line({ backoff: { ...storedJob().backoff, initialMs: '1s' } }), 4),
    ).toThrow('line 4: backoff.initialMs must be a number; got "1s"');
    expect(() =>
      parseJobLine(line({ errors: [{ attempt: 1, message: 'boom', errorClass: 'error' }] }), 5),
    ).toThrow('line 5: errors.0.at is missing');
    const withoutPayload: Partial<Job> = storedJob();
    delete withoutPayload.payload;
    expect(() => parseJobLine(JSON.stringify(withoutPayload), 6)).toThrow(
      'line 6: payload is missing',
    );
    expect(() =>
      parseJobLine(line({ transitions: [{ state: 'asleep', at: NOW, attempt: 0 }] }), 7),
    ).toThrow('line 7: transitions.0.state must be a job state; got "asleep"');
    expect(() => parseJobLine(line({ transitions: {} }), 8)).toThrow(
      'line 8: transitions must be a list of job transitions; got {}',
    );
    const many = Array.from({ length: 51 }, () => ({ state: 'running', at: NOW, attempt: 1 }));
    expect(() => parseJobLine(line({ transitions: many }), 9)).toThrow(
      'line 9: transitions must hold at most 50 job transitions; got 51',
    );
    const older: Partial<Job> = storedJob();
    delete older.transitions;
    expect(parseJobLine(JSON.stringify(older), 10)).toEqual(older);
  });
});
