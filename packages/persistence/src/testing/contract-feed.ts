import { describe, expect, it, vi } from 'vitest';
import type { StoreChange } from '@gopherqueue/core';
import { useStore, type StoreContractHarness } from './contract-fixture.js';

/** The change feed: what subscribe delivers, in what order, and unsubscribe. */
export function feedContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  /** The fields every store reports, without the optional `job`, `queue` and `runAt`. */
  const brief = (c: StoreChange): Partial<StoreChange> => ({
    kind: c.kind,
    id: c.id,
    ...(c.state === undefined ? {} : { state: c.state }),
    ...(c.previous === undefined ? {} : { previous: c.previous }),
  });

  /** Collects the changes of one listener. */
  function listen(): { changes: StoreChange[]; stop: () => void } {
    const changes: StoreChange[] = [];
    const stop = f.store.subscribe((change) => changes.push(change));
    return { changes, stop };
  }

  /** Waits until `check` passes, then checks that every `job` given agrees with its change. */
  async function settle(changes: StoreChange[], check: () => void): Promise<void> {
    await vi.waitFor(check, { timeout: 5000, interval: 5 });
    for (const change of changes) {
      if (change.job === undefined) continue;
      expect(change.job.id).toBe(change.id);
      if (change.kind !== 'deleted') expect(change.job.state).toBe(change.state);
    }
  }

  describe('change feed', () => {
    it('reports created and updated changes in order with state and previous state', async () => {
      const { changes, stop } = listen();
      const job = await f.submit('t');
      const claimed = await f.claimOne();
      await f.store.complete(job.id, claimed.leaseToken!, 1);
      await f.store.delete(job.id);
      await settle(changes, () =>
        expect(changes.filter((c) => c.kind !== 'progress')).toHaveLength(4),
      );
      expect(changes.filter((c) => c.kind !== 'progress').map(brief)).toEqual([
        { kind: 'created', id: job.id, state: 'scheduled' },
        { kind: 'updated', id: job.id, state: 'running', previous: 'scheduled' },
        { kind: 'updated', id: job.id, state: 'completed', previous: 'running' },
        { kind: 'deleted', id: job.id, state: 'completed' },
      ]);
      stop();
    });

    it('reports each job of a batch, a delayed job and a retry', async () => {
      const { changes, stop } = listen();
      const specs = [f.spec('a'), f.spec('b', { delay: 1000 })];
      await f.store.submitBatch(specs);
      const claimed = await f.claimOne();
      await f.store.fail(claimed.id, claimed.leaseToken!, {
        error: { message: 'x', errorClass: 'permanent' },
        outcome: { state: 'failed' },
      });
      await f.store.retry(claimed.id);
      await settle(changes, () => expect(changes).toHaveLength(5));
      expect(changes.map(brief)).toEqual([
        { kind: 'created', id: specs[0]!.id, state: 'scheduled' },
        { kind: 'created', id: specs[1]!.id, state: 'delayed' },
        { kind: 'updated', id: specs[0]!.id, state: 'running', previous: 'scheduled' },
        { kind: 'updated', id: specs[0]!.id, state: 'failed', previous: 'running' },
        { kind: 'updated', id: specs[0]!.id, state: 'scheduled', previous: 'failed' },
      ]);
      stop();
    });

    it('reports a dependent released by a completion', async () => {
      const a = await f.submit('a');
      const b = await f.submit('b', { dependsOn: [a.id] });
      const { changes, stop } = listen();
      const claimed = await f.claimOne();
      await f.store.complete(a.id, claimed.leaseToken!, null);
      await settle(changes, () => expect(changes).toHaveLength(3));
      expect(changes.map(brief)).toContainEqual({
        kind: 'updated',
        id: b.id,
        state: 'scheduled',
        previous: 'pending',
      });
      expect(changes.map(brief)[0]).toEqual({
        kind: 'updated',
        id: a.id,
        state: 'running',
        previous: 'scheduled',
      });
      stop();
    });

    it('reports pausing and resuming a queue by its name', async () => {
      const { changes, stop } = listen();
      await f.store.pauseQueue('emails');
      await f.store.resumeQueue('emails');
      await settle(changes, () => expect(changes).toHaveLength(2));
      expect(changes.map((c) => [c.kind, c.id])).toEqual([
        ['queue', 'emails'],
        ['queue', 'emails'],
      ]);
      stop();
    });

    it('stops delivering to a listener once it unsubscribed', async () => {
      const first = listen();
      const second = listen();
      await f.submit('t');
      await settle(first.changes, () => {
        expect(first.changes).toHaveLength(1);
        expect(second.changes).toHaveLength(1);
      });
      first.stop();
      const later = await f.submit('t');
      await settle(second.changes, () => expect(second.changes).toHaveLength(2));
      expect(second.changes[1]!.id).toBe(later.id);
      expect(first.changes).toHaveLength(1);
      second.stop();
    });
  });
}
