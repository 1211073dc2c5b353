import { createJob, DEFAULT_BACKOFF, type Job } from '@gopherqueue/core';
import { describe, expect, it } from 'vitest';
import { validate } from './request.js';
import { submitSchema } from './schemas.js';
import { rfc3339, toJobSpec, toWireJob, toWireResult } from './wire.js';

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
