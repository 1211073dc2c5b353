import { describe, expect, it } from 'vitest';
import { noopLogger, systemClock, type JobLogAppend } from '@gopherqueue/core';
import { JobLogWriter } from './job-log-writer.js';
import { gate, until } from './testing/engine-fixture.js';

describe('JobLogWriter', () => {
  it('sends lines in batches, one send at a time, dropping the oldest past its bound with a count', async () => {
    const sent: JobLogAppend[][] = [];
    const first = gate();
    let calls = 0;
    const writer = new JobLogWriter({
      clock: systemClock,
      logger: noopLogger,
      maxBuffered: 10,
      batchLines: 5,
      sink: async (entries) => {
        sent.push(entries);
        calls++;
        if (calls === 1) await first.promise;
      },
    });
    const log = writer.loggerFor(noopLogger, 'job-a', 1);
    for (let i = 1; i <= 5; i++) log.info(`l${i}`);
    // The first batch is on its way and held: the next 25 lines wait in a buffer of 10.
    await until(() => (sent.length === 1 ? true : undefined), 'the first send');
    for (let i = 6; i <= 30; i++) log.info(`l${i}`);
    expect(writer.droppedTotal).toBe(15);
    first.open();
    await writer.close();
    const messages = sent.flatMap((entries) =>
      entries.flatMap((e) => e.lines.map((l) => l.message)),
    );
    expect(messages).toEqual([
      ...['l1', 'l2', 'l3', 'l4', 'l5'],
      ...Array.from({ length: 10 }, (_, i) => `l${i + 21}`),
    ]);
    const dropped = sent.flatMap((entries) => entries.map((e) => e.dropped ?? 0));
    expect(dropped.reduce((a, b) => a + b, 0)).toBe(15);
    expect(
      sent.every((entries) => entries.every((e) => e.jobId === 'job-a' && e.attempt === 1)),
    ).toBe(true);
  });

  it('counts the lines of a failed send as dropped and sends the count with the next lines', async () => {
    const sent: JobLogAppend[][] = [];
    let fail = true;
    const writer = new JobLogWriter({
      clock: systemClock,
      logger: noopLogger,
      sink: (entries) => {
        if (fail) return Promise.reject(new Error('store down'));
        sent.push(entries);
        return Promise.resolve();
      },
    });
    const log = writer.loggerFor(noopLogger, 'job-b', 2);
    log.warn('lost', { n: 1 });
    await writer.flush();
    fail = false;
    log.info('kept');
    await writer.close();
    expect(sent).toEqual([
      [
        {
          jobId: 'job-b',
          attempt: 2,
          lines: [expect.objectContaining({ message: 'kept', level: 'info' })],
          dropped: 1,
        },
      ],
    ]);
  });
});
