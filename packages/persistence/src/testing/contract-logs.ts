import { describe, expect, it } from 'vitest';
import { JOB_LOG_LIMITS, uuidv7, type JobLogLine } from '@gopherqueue/core';
import { LEASE_MS, useStore, WORKER, type StoreContractHarness } from './contract-fixture.js';

const line = (message: string, at = 1000, fields?: JobLogLine['fields']): JobLogLine => ({
  at,
  level: 'info',
  message,
  ...(fields === undefined ? {} : { fields }),
});

/** `store.logs`: lines kept per attempt within bounds, read in pages, purged with the job. */
export function logsContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  describe('job logs', () => {
    it('keeps the lines of each attempt in order, with their level, time and fields', async () => {
      const job = await f.submit('logged');
      await f.store.logs.append([
        {
          jobId: job.id,
          attempt: 1,
          lines: [line('one', 1), { at: 2, level: 'warn', message: 'two', fields: { n: 2 } }],
        },
      ]);
      await f.store.logs.append([{ jobId: job.id, attempt: 2, lines: [line('three', 3)] }]);
      await f.store.logs.append([{ jobId: job.id, attempt: 1, lines: [line('four', 4)] }]);
      const page = await f.store.logs.read(job.id);
      expect(page).toEqual({
        lines: [
          { attempt: 1, seq: 1, at: 1, level: 'info', message: 'one' },
          { attempt: 1, seq: 2, at: 2, level: 'warn', message: 'two', fields: { n: 2 } },
          { attempt: 1, seq: 3, at: 4, level: 'info', message: 'four' },
          { attempt: 2, seq: 1, at: 3, level: 'info', message: 'three' },
        ],
        dropped: [],
        more: false,
      });
      const second = await f.store.logs.read(job.id, { attempt: 2 });
      expect(second.lines.map((l) => l.message)).toEqual(['three']);
    });

    it('pages with a limit and the last line read', async () => {
      const job = await f.submit('logged');
      const lines = Array.from({ length: 5 }, (_, i) => line(`l${i + 1}`));
      await f.store.logs.append([
        { jobId: job.id, attempt: 1, lines },
        { jobId: job.id, attempt: 2, lines: lines.slice(0, 2) },
      ]);
      const first = await f.store.logs.read(job.id, { limit: 4 });
      expect(first.lines.map((l) => `${l.attempt}:${l.seq}`)).toEqual(['1:1', '1:2', '1:3', '1:4']);
      expect(first.more).toBe(true);
      const rest = await f.store.logs.read(job.id, { limit: 4, after: { attempt: 1, seq: 4 } });
      expect(rest.lines.map((l) => `${l.attempt}:${l.seq}`)).toEqual(['1:5', '2:1', '2:2']);
      expect(rest.more).toBe(false);
      expect((await f.store.logs.read(job.id, { after: { attempt: 2, seq: 2 } })).lines).toEqual(
        [],
      );
    });

    it(`keeps the last ${JOB_LOG_LIMITS.linesPerAttempt} lines of an attempt and counts the dropped ones`, async () => {
      const job = await f.submit('chatty');
      const total = JOB_LOG_LIMITS.linesPerAttempt + 30;
      for (let start = 0; start < total; start += 70) {
        const lines = Array.from({ length: Math.min(70, total - start) }, (_, i) =>
          line(`n${start + i + 1}`),
        );
        await f.store.logs.append([{ jobId: job.id, attempt: 1, lines, dropped: 1 }]);
      }
      const page = await f.store.logs.read(job.id, { limit: 1000 });
      expect(page.lines).toHaveLength(JOB_LOG_LIMITS.linesPerAttempt);
      expect(page.lines[0]).toMatchObject({ seq: 31, message: 'n31' });
      expect(page.lines.at(-1)).toMatchObject({ seq: total, message: `n${total}` });
      // 30 trimmed by the store, 4 dropped by the writer (one per append).
      expect(page.dropped).toEqual([{ attempt: 1, count: 34 }]);
    });

    it('cuts a long line and keeps an attempt within its byte bound', async () => {
      const job = await f.submit('big');
      const long = 'x'.repeat(JOB_LOG_LIMITS.lineBytes * 2);
      const lines = Array.from({ length: 12 }, () => line(long));
      await f.store.logs.append([{ jobId: job.id, attempt: 1, lines }]);
      const page = await f.store.logs.read(job.id);
      for (const kept of page.lines) {
        expect(Buffer.byteLength(kept.message)).toBeLessThanOrEqual(JOB_LOG_LIMITS.lineBytes);
      }
      const bytes = page.lines.reduce((sum, l) => sum + Buffer.byteLength(l.message), 0);
      expect(bytes).toBeLessThanOrEqual(JOB_LOG_LIMITS.attemptBytes);
      expect(page.lines.at(-1)?.seq).toBe(12);
      expect(page.dropped).toEqual([{ attempt: 1, count: 12 - page.lines.length }]);
    });

    it(`keeps the last ${JOB_LOG_LIMITS.attemptsKept} attempts`, async () => {
      const job = await f.submit('many');
      const count = JOB_LOG_LIMITS.attemptsKept + 2;
      for (let attempt = 1; attempt <= count; attempt++) {
        await f.store.logs.append([{ jobId: job.id, attempt, lines: [line(`a${attempt}`)] }]);
      }
      const page = await f.store.logs.read(job.id, { limit: 1000 });
      expect(page.lines.map((l) => l.attempt)).toEqual(
        Array.from({ length: JOB_LOG_LIMITS.attemptsKept }, (_, i) => i + 3),
      );
    });

    it('ignores lines of an unknown job and reads none for it', async () => {
      const id = uuidv7();
      await f.store.logs.append([{ jobId: id, attempt: 1, lines: [line('lost')] }]);
      expect(await f.store.logs.read(id)).toEqual({ lines: [], dropped: [], more: false });
      expect(await f.store.logs.read('not-an-id')).toEqual({ lines: [], dropped: [], more: false });
    });

    it('deletes the lines with the job, by delete and by purge', async () => {
      const kept = await f.submit('keep');
      const deleted = await f.submit('gone');
      await f.store.logs.append([
        { jobId: kept.id, attempt: 1, lines: [line('stays')] },
        { jobId: deleted.id, attempt: 1, lines: [line('goes')] },
      ]);
      await f.store.delete(deleted.id);
      expect((await f.store.logs.read(deleted.id)).lines).toEqual([]);
      expect((await f.store.logs.read(kept.id)).lines.map((l) => l.message)).toEqual(['stays']);
      // A late append for the deleted job stores nothing.
      await f.store.logs.append([{ jobId: deleted.id, attempt: 1, lines: [line('late')] }]);
      expect((await f.store.logs.read(deleted.id)).lines).toEqual([]);

      const [claimed] = await f.store.claim({ workerId: WORKER, limit: 1, leaseMs: LEASE_MS });
      expect(claimed?.id).toBe(kept.id);
      await f.store.logs.append([{ jobId: kept.id, attempt: 1, lines: [line('ran')] }]);
      await f.store.complete(kept.id, claimed!.leaseToken!, null);
      f.clock.advance(10);
      const purged = await f.store.purgeFinished({
        states: ['completed'],
        finishedBefore: f.clock.now(),
      });
      expect(purged).toBe(1);
      expect((await f.store.logs.read(kept.id)).lines).toEqual([]);
    });

    it('refuses a bad read limit or attempt with a RangeError', async () => {
      const job = await f.submit('logged');
      await expect(f.store.logs.read(job.id, { limit: 0 })).rejects.toThrow(RangeError);
      await expect(
        f.store.logs.read(job.id, { limit: JOB_LOG_LIMITS.readLimit + 1 }),
      ).rejects.toThrow(RangeError);
      await expect(f.store.logs.read(job.id, { attempt: 0 })).rejects.toThrow(RangeError);
      await expect(
        f.store.logs.append([{ jobId: job.id, attempt: 0, lines: [line('x')] }]),
      ).rejects.toThrow(RangeError);
    });
  });
}
