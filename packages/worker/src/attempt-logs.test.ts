import { describe, expect, it } from 'vitest';
import { createJob } from '@gopherqueue/core';
import { untilState, useEngine } from './testing/engine-fixture.js';
import { recordingLogger, type RecordedLine as Line } from './testing/recording-logger.js';

describe('WorkerPool attempt logs', () => {
  const engine = useEngine();

  it('logs a retried attempt as job retrying, and job failed only for the final failure', async () => {
    const lines: Line[] = [];
    const e = await engine({ logger: recordingLogger(lines) });
    let calls = 0;
    e.pool.register('flaky', () => {
      calls++;
      if (calls < 3) throw new Error(`failure ${calls}`);
      return 'third time';
    });
    e.pool.register('broken', () => {
      throw new Error('always');
    });
    e.pool.start();
    const backoff = { strategy: 'constant', initial: 1, jitter: false } as const;
    const flaky = createJob('flaky', null, { maxAttempts: 3, backoff });
    const broken = createJob('broken', null, { maxAttempts: 2, backoff });
    await e.scheduler.enqueue(flaky);
    await e.scheduler.enqueue(broken);
    await untilState(e.store, flaky.id, 'completed');
    await untilState(e.store, broken.id, 'dead_letter');
    await e.pool.stop();

    const ends = (id: string): [string, string, number, unknown, unknown][] =>
      lines
        .filter((line) => line.fields.jobId === id && line.message !== 'job started')
        .map((line): [string, string, number, unknown, unknown] => [
          line.level,
          line.message,
          line.fields.attempt as number,
          line.fields.error,
          line.fields.state ?? line.fields.retryInMs,
        ])
        // An attempt's end is logged once written, which may come after the next attempt began
        // (a claim does not wait for the write before it): compare each attempt's lines in order.
        .sort((a, b) => a[2] - b[2]);
    expect(ends(flaky.id)).toEqual([
      ['warn', 'job retrying', 1, 'failure 1', expect.any(Number)],
      ['warn', 'job retrying', 2, 'failure 2', expect.any(Number)],
      ['info', 'job completed', 3, undefined, undefined],
    ]);
    expect(ends(broken.id)).toEqual([
      ['warn', 'job retrying', 1, 'always', expect.any(Number)],
      ['warn', 'job failed', 2, 'always', 'dead_letter'],
    ]);
  });
});
