import { describe, expect, it } from 'vitest';
import { ErrorCode, uuidv7 } from '@gopherqueue/core';
import { expectCode, LEASE_MS, useStore, type StoreContractHarness } from './contract-fixture.js';

/** The meta key-value space and the store's lifecycle (ping, size, close). */
export function metaContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  describe('meta', () => {
    it('puts, gets, overwrites and deletes values', async () => {
      const { meta } = f.store;
      expect(await meta.get('apikey:1')).toBeUndefined();
      await meta.put('apikey:1', { role: 'admin', hash: 'abc' });
      expect(await meta.get('apikey:1')).toEqual({ role: 'admin', hash: 'abc' });
      await meta.put('apikey:1', ['replaced', 2, null, true]);
      expect(await meta.get('apikey:1')).toEqual(['replaced', 2, null, true]);
      await meta.put('setting', 'plain');
      await meta.delete('apikey:1');
      expect(await meta.get('apikey:1')).toBeUndefined();
      expect(await meta.get('setting')).toBe('plain');
      await meta.delete('never-there');
      expect((await f.store.counts()).total).toBe(0);
    });

    it('lists by prefix in key order, reversed, limited and after a key', async () => {
      const { meta } = f.store;
      for (const key of ['audit:003', 'audit:001', 'other:001', 'audit:002', 'audit:010', 'aud']) {
        await meta.put(key, key.length);
      }
      const keys = async (...args: Parameters<typeof meta.list>): Promise<string[]> =>
        (await meta.list(...args)).map((e) => e.key);
      expect(await meta.list('audit:')).toEqual([
        { key: 'audit:001', value: 9 },
        { key: 'audit:002', value: 9 },
        { key: 'audit:003', value: 9 },
        { key: 'audit:010', value: 9 },
      ]);
      expect(await keys('audit:', { reverse: true })).toEqual([
        'audit:010',
        'audit:003',
        'audit:002',
        'audit:001',
      ]);
      expect(await keys('audit:', { limit: 2 })).toEqual(['audit:001', 'audit:002']);
      expect(await keys('audit:', { limit: 2, reverse: true })).toEqual(['audit:010', 'audit:003']);
      expect(await keys('audit:', { after: 'audit:002' })).toEqual(['audit:003', 'audit:010']);
      expect(await keys('aud')).toEqual([
        'aud',
        'audit:001',
        'audit:002',
        'audit:003',
        'audit:010',
      ]);
      expect(await keys('nothing:')).toEqual([]);
    });
  });

  describe('lifecycle', () => {
    it('answers ping and reports a size', async () => {
      await f.store.ping();
      await f.submit('t', {}, { big: 'x'.repeat(1000) });
      const size = await f.store.sizeBytes();
      expect(typeof size).toBe('number');
      expect(size).toBeGreaterThanOrEqual(0);
    });

    it('rejects every call after close with GQ_STORE_CLOSED', async () => {
      const job = await f.submit('t');
      const store = f.store;
      await store.close();
      const closed = ErrorCode.STORE_CLOSED;
      await expectCode(store.submit(f.spec('t')), closed);
      await expectCode(store.submitBatch([f.spec('t')]), closed);
      await expectCode(store.get(job.id), closed);
      await expectCode(store.getMany([job.id]), closed);
      await expectCode(store.list(), closed);
      await expectCode(store.counts(), closed);
      await expectCode(store.claim({ workerId: 'w', limit: 1, leaseMs: LEASE_MS }), closed);
      await expectCode(store.complete(job.id, 'token', null), closed);
      await expectCode(store.cancel(job.id), closed);
      await expectCode(store.retry(job.id), closed);
      await expectCode(store.delete(uuidv7(f.clock.now())), closed);
      await expectCode(store.expiredLeases(f.clock.now(), 10), closed);
      await expectCode(store.nextRunAt(), closed);
      await expectCode(store.listQueues(), closed);
      await expectCode(store.pauseQueue('q'), closed);
      await expectCode(store.meta.get('k'), closed);
      await expectCode(store.meta.put('k', 1), closed);
      await expectCode(store.ping(), closed);
    });
  });
}
