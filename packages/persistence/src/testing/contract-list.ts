import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  isGqError,
  uuidv7,
  type GqError,
  type Job,
  type ListFilter,
} from '@gopherqueue/core';
import { ids, useStore, type StoreContractHarness } from './contract-fixture.js';

/** get, getMany, list with filters and cursor pagination. */
export function listContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  /** Follows `nextCursor` to the end; returns the pages' ids. */
  async function pages(filter: ListFilter): Promise<string[][]> {
    const out: string[][] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 100; guard++) {
      const page = await f.store.list({ ...filter, ...(cursor === undefined ? {} : { cursor }) });
      out.push(ids(page.jobs));
      if (page.nextCursor === undefined) return out;
      cursor = page.nextCursor;
    }
    throw new Error('list never ended');
  }

  describe('get and getMany', () => {
    it('returns undefined for an unknown id', async () => {
      expect(await f.store.get(uuidv7(f.clock.now()))).toBeUndefined();
    });

    it('returns jobs in the order asked, undefined where unknown', async () => {
      const a = await f.submit('a');
      const b = await f.submit('b');
      const unknown = uuidv7(f.clock.now());
      expect(await f.store.getMany([b.id, unknown, a.id, b.id])).toEqual([b, undefined, a, b]);
      expect(await f.store.getMany([])).toEqual([]);
    });
  });

  describe('list', () => {
    it('lists every job newest first', async () => {
      const jobs: Job[] = [];
      for (let i = 0; i < 5; i++) {
        jobs.push(await f.submit('t', {}, i));
        f.clock.advance(1);
      }
      const page = await f.store.list();
      expect(page.jobs).toEqual([...jobs].reverse());
      expect(page.nextCursor).toBeUndefined();
    });

    it('filters by state, type, queue, priority and tag, alone and combined', async () => {
      const j1 = await f.submit('email', { tags: { tenant: 'acme' } });
      const j2 = await f.submit('email', {
        queue: 'bulk-q',
        priority: 4,
        tags: { tenant: 'globex' },
      });
      const j3 = await f.submit('sms', { priority: 0, tags: { tenant: 'acme', region: 'eu' } });
      const j4 = await f.submit('sms', { queue: 'bulk-q', delay: 60_000 });
      const j5 = await f.submit('email', { tags: { tenant: 'acme' } });
      const claimed = await f.claimOne({ types: ['email'], queues: ['default'] });
      expect(claimed.id).toBe(j1.id);
      await f.store.complete(j1.id, claimed.leaseToken!, null);
      const cases: [ListFilter, Job[]][] = [
        [{ state: 'scheduled' }, [j5, j3, j2]],
        [{ state: 'completed' }, [j1]],
        [{ state: 'delayed' }, [j4]],
        [{ state: 'running' }, []],
        [{ type: 'email' }, [j5, j2, j1]],
        [{ type: 'nothing' }, []],
        [{ queue: 'bulk-q' }, [j4, j2]],
        [{ priority: 2 }, [j5, j4, j1]],
        [{ priority: 0 }, [j3]],
        [{ tag: { key: 'tenant', value: 'acme' } }, [j5, j3, j1]],
        [{ tag: { key: 'region', value: 'eu' } }, [j3]],
        [{ tag: { key: 'tenant', value: 'initech' } }, []],
        [{ type: 'email', queue: 'default' }, [j5, j1]],
        [{ state: 'scheduled', tag: { key: 'tenant', value: 'acme' } }, [j5, j3]],
        [{ type: 'sms', priority: 0 }, [j3]],
        [{ state: 'scheduled', type: 'email', priority: 2 }, [j5]],
        [{ state: 'completed', queue: 'bulk-q' }, []],
      ];
      for (const [filter, expected] of cases) {
        const page = await f.store.list(filter);
        expect(ids(page.jobs), JSON.stringify(filter)).toEqual(ids(expected));
        expect(page.nextCursor, JSON.stringify(filter)).toBeUndefined();
      }
    });

    it('pages 25 jobs by 10 as 10, 10 and 5, newest first, with no duplicates', async () => {
      const jobs: Job[] = [];
      for (let i = 0; i < 25; i++) jobs.push(await f.submit('t', {}, i));
      const newestFirst = ids(jobs).reverse();
      const result = await pages({ limit: 10 });
      expect(result.map((p) => p.length)).toEqual([10, 10, 5]);
      expect(result.flat()).toEqual(newestFirst);
    });

    it('pages a filtered list without mixing in other jobs', async () => {
      const wanted: Job[] = [];
      for (let i = 0; i < 25; i++) {
        wanted.push(await f.submit('wanted', { queue: 'q1' }, i));
        if (i % 2 === 0) await f.submit('other', { queue: 'q1' }, i);
      }
      const byType = await pages({ type: 'wanted', limit: 10 });
      expect(byType.map((p) => p.length)).toEqual([10, 10, 5]);
      expect(byType.flat()).toEqual(ids(wanted).reverse());
      const byState = await pages({ state: 'scheduled', queue: 'q1', limit: 10 });
      expect(byState.map((p) => p.length)).toEqual([10, 10, 10, 8]);
      expect(new Set(byState.flat()).size).toBe(38);
    });

    it('refuses a malformed cursor with GQ_INVALID_ARGUMENT naming cursor, whatever the filter', async () => {
      await f.submit('t');
      const filters: ListFilter[] = [
        {},
        { state: 'scheduled' },
        { state: 'completed' },
        { type: 't' },
        { queue: 'default' },
      ];
      for (const cursor of [
        'garbage',
        'zzzz',
        '../../x',
        '0190a4b2-7c3e-7000-8000',
        ' ',
        '99999999999999999999999',
      ]) {
        for (const filter of filters) {
          const err: unknown = await f.store.list({ ...filter, cursor }).catch((e: unknown) => e);
          const what = `${JSON.stringify(filter)} ${cursor}`;
          expect(isGqError(err, ErrorCode.INVALID_ARGUMENT), what).toBe(true);
          expect((err as GqError).details, what).toEqual({ field: 'cursor' });
        }
      }
    });

    it('returns 50 jobs by default', async () => {
      const specs = Array.from({ length: 60 }, (_, i) => f.spec('t', {}, i));
      await f.store.submitBatch(specs);
      const first = await f.store.list();
      expect(ids(first.jobs)).toEqual(ids(specs).reverse().slice(0, 50));
      expect(first.nextCursor).toBeDefined();
      const second = await f.store.list({ cursor: first.nextCursor! });
      expect(ids(second.jobs)).toEqual(ids(specs).reverse().slice(50));
      expect(second.nextCursor).toBeUndefined();
    });
  });
}
