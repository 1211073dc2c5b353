import { expect, it } from 'vitest';
import { createJob, type JobLogEntry, type Store } from '@gopherqueue/core';
import type { AttemptHarness } from './attempt-harness.js';
import { until, untilState } from './engine-fixture.js';

const QUICK_RETRY = { strategy: 'constant', initial: 1, jitter: false } as const;

/** The job's kept lines once `count` of them are there. */
async function linesOf(store: Store, id: string, count: number): Promise<JobLogEntry[]> {
  return until(async () => {
    const page = await store.logs.read(id, { limit: 1000 });
    return page.lines.length >= count ? page.lines : undefined;
  }, `${count} log lines of job ${id}`);
}

/**
 * Lines a handler writes through `ctx.logger` are kept with its job, per attempt, whatever
 * source the pool runs over. Part of the attempt suite.
 */
export function logCases(harness: AttemptHarness): void {
  it('keeps the lines a handler writes through ctx.logger with its job, per attempt', async () => {
    const e = await harness.open({ concurrency: 1 });
    e.pool.register('chatty', (ctx) => {
      ctx.logger.info('starting', { step: 1 });
      ctx.logger.child({ part: 'b' }).warn('half way');
      if (ctx.attempt === 1) {
        ctx.logger.error('giving up this time', { err: new Error('boom') });
        throw new Error('boom');
      }
      ctx.logger.debug('done');
      return 'ok';
    });
    e.pool.start();
    const spec = createJob('chatty', null, { maxAttempts: 2, backoff: QUICK_RETRY });
    await e.submit(spec);
    await untilState(e.store, spec.id, 'completed');
    const lines = await linesOf(e.store, spec.id, 6);
    expect(
      lines.map(({ attempt, seq, level, message, fields }) => ({
        attempt,
        seq,
        level,
        message,
        fields,
      })),
    ).toEqual([
      { attempt: 1, seq: 1, level: 'info', message: 'starting', fields: { step: 1 } },
      { attempt: 1, seq: 2, level: 'warn', message: 'half way', fields: { part: 'b' } },
      {
        attempt: 1,
        seq: 3,
        level: 'error',
        message: 'giving up this time',
        fields: { err: 'boom' },
      },
      { attempt: 2, seq: 1, level: 'info', message: 'starting', fields: { step: 1 } },
      { attempt: 2, seq: 2, level: 'warn', message: 'half way', fields: { part: 'b' } },
      { attempt: 2, seq: 3, level: 'debug', message: 'done', fields: undefined },
    ]);
    for (const line of lines) expect(typeof line.at).toBe('number');
    await e.store.delete(spec.id);
    expect((await e.store.logs.read(spec.id)).lines).toEqual([]);
  });

  it('keeps the last lines of a handler that writes more than an attempt keeps', async () => {
    const e = await harness.open({ concurrency: 1 });
    e.pool.register('flood', (ctx) => {
      for (let i = 1; i <= 1500; i++) ctx.logger.info(`line ${i}`);
      return 'flooded';
    });
    e.pool.start();
    const spec = createJob('flood');
    await e.submit(spec);
    await untilState(e.store, spec.id, 'completed');
    const lines = await until(async () => {
      const page = await e.store.logs.read(spec.id, { limit: 1000 });
      return page.lines.at(-1)?.message === 'line 1500' ? page : undefined;
    }, 'the last line');
    expect(lines.lines).toHaveLength(200);
    expect(lines.lines[0]?.message).toBe('line 1301');
    expect(lines.dropped).toEqual([{ attempt: 1, count: 1300 }]);
  });
}
