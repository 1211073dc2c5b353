import { describe, expect, it } from 'vitest';
import { useStore, type StoreContractHarness } from './contract-fixture.js';

/** countDue: runnable jobs whose time has come, per type, bounded. */
export function countDueContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  describe('countDue', () => {
    it('counts due runnable jobs per type, in every queue and priority, types by name', async () => {
      await f.submit('b.type', { priority: 0 });
      await f.submit('b.type', { queue: 'other', priority: 4 });
      await f.submit('a.type');
      await f.submit('a.type', { delay: 60_000 });
      await f.submit('future', { delay: 60_000 });
      const parent = await f.submit('parent');
      await f.submit('child', { dependsOn: [parent.id] });
      await f.submit('run');
      await f.submit('done');
      const running = await f.claimOne({ types: ['run'] });
      const done = await f.claimOne({ types: ['done'] });
      await f.store.complete(done.id, done.leaseToken!, null);
      await f.store.pauseQueue('other');
      expect(running.state).toBe('running');

      expect(await f.store.countDue()).toEqual([
        { type: 'a.type', count: 1 },
        { type: 'b.type', count: 2 },
        { type: 'parent', count: 1 },
      ]);
      expect(await f.store.countDue({ excludeTypes: ['b.type', 'parent'] })).toEqual([
        { type: 'a.type', count: 1 },
      ]);

      f.clock.advance(60_000);
      expect(await f.store.countDue({ excludeTypes: ['parent'] })).toEqual([
        { type: 'a.type', count: 2 },
        { type: 'b.type', count: 2 },
        { type: 'future', count: 1 },
      ]);
    });

    it('counts a retrying job once its backoff passed', async () => {
      await f.submit('flaky');
      const claimed = await f.claimOne();
      await f.store.fail(claimed.id, claimed.leaseToken!, {
        error: { message: 'try again', errorClass: 'error' },
        outcome: { state: 'retrying', runAt: f.clock.now() + 5_000 },
      });
      expect(await f.store.countDue()).toEqual([]);
      f.clock.advance(5_000);
      expect(await f.store.countDue()).toEqual([{ type: 'flaky', count: 1 }]);
    });

    it('counts each type up to the limit and at most maxTypes types', async () => {
      const specs = [
        ...Array.from({ length: 7 }, (_, i) =>
          f.spec('many', { priority: (i % 5) as 0 | 1 | 2 | 3 | 4 }),
        ),
        f.spec('one'),
        f.spec('two'),
        f.spec('two'),
        f.spec('zero', { delay: 1_000 }),
      ];
      await f.store.submitBatch(specs);
      expect(await f.store.countDue({ limit: 3 })).toEqual([
        { type: 'many', count: 3 },
        { type: 'one', count: 1 },
        { type: 'two', count: 2 },
      ]);
      expect(await f.store.countDue({ limit: 3, maxTypes: 2 })).toEqual([
        { type: 'many', count: 3 },
        { type: 'one', count: 1 },
      ]);
      expect(await f.store.countDue({ excludeTypes: ['many'], maxTypes: 1 })).toEqual([
        { type: 'one', count: 1 },
      ]);
      expect(await f.store.countDue({ limit: 100 })).toEqual([
        { type: 'many', count: 7 },
        { type: 'one', count: 1 },
        { type: 'two', count: 2 },
      ]);
    });

    it('refuses a limit or maxTypes that is not a positive integer', async () => {
      for (const input of [{ limit: 0 }, { limit: 1.5 }, { maxTypes: 0 }, { maxTypes: -1 }]) {
        await expect(f.store.countDue(input), JSON.stringify(input)).rejects.toBeInstanceOf(
          RangeError,
        );
      }
    });
  });
}
