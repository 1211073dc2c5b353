import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, ErrorCode, uuidv7 } from '@gopherqueue/core';
import {
  expectCode,
  ids,
  stateCounts,
  useStore,
  type StoreContractHarness,
} from './contract-fixture.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** Submit and batch submit. */
export function submitContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  describe('submit', () => {
    it('stores a job with its defaults, state scheduled, attempt 0 and the clock as times', async () => {
      f.clock.advance(1234);
      const now = f.clock.now();
      const spec = f.spec('email.send', {}, { to: 'a@example.com' });
      const result = await f.store.submit(spec);
      expect(result.deduplicated).toBe(false);
      const expected = {
        id: spec.id,
        type: 'email.send',
        queue: 'default',
        payload: { to: 'a@example.com' },
        priority: 2,
        state: 'scheduled',
        attempt: 0,
        maxAttempts: 3,
        timeoutMs: 1_800_000,
        backoff: { ...DEFAULT_BACKOFF },
        runAt: now,
        dependsOn: [],
        waitingOn: [],
        tags: {},
        errors: [],
        transitions: [{ state: 'scheduled', at: now, attempt: 0 }],
        seq: result.job.seq,
        createdAt: now,
        updatedAt: now,
      };
      expect(result.job).toEqual(expected);
      expect(typeof result.job.seq).toBe('number');
      expect(await f.store.get(spec.id)).toEqual(expected);
    });

    it('stores every option as given', async () => {
      const now = f.clock.now();
      const spec = f.spec(
        'report.build',
        {
          priority: 'high',
          queue: 'reports',
          maxAttempts: 5,
          timeout: '10s',
          idempotencyKey: 'report-2026-01',
          correlationId: 'order-7',
          traceparent: TRACEPARENT,
          tags: { tenant: 'acme', region: 'eu' },
          backoff: { strategy: 'linear', initialMs: 500, maxMs: 5000, jitter: false },
        },
        [1, 'two', { three: 3 }],
      );
      const { job } = await f.store.submit(spec);
      expect(job).toEqual({
        id: spec.id,
        type: 'report.build',
        queue: 'reports',
        payload: [1, 'two', { three: 3 }],
        priority: 1,
        state: 'scheduled',
        attempt: 0,
        maxAttempts: 5,
        timeoutMs: 10_000,
        backoff: { strategy: 'linear', initialMs: 500, maxMs: 5000, multiplier: 2, jitter: false },
        runAt: now,
        dependsOn: [],
        waitingOn: [],
        idempotencyKey: 'report-2026-01',
        correlationId: 'order-7',
        traceparent: TRACEPARENT,
        tags: { tenant: 'acme', region: 'eu' },
        errors: [],
        transitions: [{ state: 'scheduled', at: now, attempt: 0 }],
        seq: job.seq,
        createdAt: now,
        updatedAt: now,
      });
      expect(await f.store.get(spec.id)).toEqual(job);
    });

    it('keeps the traceparent through a claim, a failed attempt and the next one', async () => {
      const spec = f.spec('t', { traceparent: TRACEPARENT });
      await f.store.submit(spec);
      const [first] = await f.store.claim({ workerId: 'w', limit: 1, leaseMs: 60_000 });
      expect(first?.traceparent).toBe(TRACEPARENT);
      await f.store.fail(spec.id, first!.leaseToken!, {
        error: { message: 'x', errorClass: 'error' },
        outcome: { state: 'retrying', runAt: f.clock.now() },
      });
      const [second] = await f.store.claim({ workerId: 'w', limit: 1, leaseMs: 60_000 });
      expect([second?.attempt, second?.traceparent]).toEqual([2, TRACEPARENT]);
      await f.store.complete(spec.id, second!.leaseToken!, null);
      expect((await f.store.get(spec.id))?.traceparent).toBe(TRACEPARENT);
    });

    it('gives each submission a larger seq than the one before', async () => {
      const a = await f.submit('t');
      const b = await f.submit('t');
      const c = await f.submit('t');
      expect(b.seq).toBeGreaterThan(a.seq);
      expect(c.seq).toBeGreaterThan(b.seq);
    });

    it('stores a job with a future runAt as delayed', async () => {
      const now = f.clock.now();
      const byDelay = await f.submit('t', { delay: '5s' });
      expect(byDelay).toMatchObject({ state: 'delayed', runAt: now + 5000, createdAt: now });
      const byTime = await f.submit('t', { runAt: now + 60_000 });
      expect(byTime).toMatchObject({ state: 'delayed', runAt: now + 60_000 });
      expect((await f.store.counts()).byState).toEqual(stateCounts({ delayed: 2 }));
    });

    it('rejects a second job with the same id with GQ_CONFLICT and keeps the first', async () => {
      const spec = f.spec('t', {}, 'first');
      const { job } = await f.store.submit(spec);
      await expectCode(f.store.submit(spec), ErrorCode.CONFLICT);
      await expectCode(
        f.store.submit(f.spec('other', { id: spec.id }, 'second')),
        ErrorCode.CONFLICT,
      );
      expect(await f.store.get(spec.id)).toEqual(job);
      expect((await f.store.counts()).total).toBe(1);
    });

    it('rejects a job that depends on an unknown id with GQ_NOT_FOUND and stores nothing', async () => {
      const spec = f.spec('t', { dependsOn: [uuidv7(f.clock.now())] });
      await expectCode(f.store.submit(spec), ErrorCode.NOT_FOUND);
      expect(await f.store.get(spec.id)).toBeUndefined();
      expect((await f.store.counts()).total).toBe(0);
    });
  });

  describe('submitBatch', () => {
    it('stores every job and answers in the order given, seq following that order', async () => {
      const specs = [f.spec('a'), f.spec('b', { delay: 1000 }), f.spec('c', { priority: 0 })];
      const results = await f.store.submitBatch(specs);
      expect(results.map((r) => r.deduplicated)).toEqual([false, false, false]);
      expect(results.map((r) => r.job.id)).toEqual(ids(specs));
      expect(results.map((r) => r.job.state)).toEqual(['scheduled', 'delayed', 'scheduled']);
      const [a, b, c] = results.map((r) => r.job);
      expect(b!.seq).toBeGreaterThan(a!.seq);
      expect(c!.seq).toBeGreaterThan(b!.seq);
      expect(await f.store.getMany(ids(specs))).toEqual(results.map((r) => r.job));
    });

    it('stores nothing when the third job depends on an unknown id', async () => {
      const existing = await f.submit('existing');
      const before = await f.store.counts();
      const specs = [
        f.spec('a'),
        f.spec('b', { dependsOn: [existing.id] }),
        f.spec('c', { dependsOn: [uuidv7(f.clock.now())] }),
        f.spec('d'),
      ];
      await expectCode(f.store.submitBatch(specs), ErrorCode.NOT_FOUND);
      expect(await f.store.getMany(ids(specs))).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
      expect(await f.store.counts()).toEqual(before);
      expect((await f.store.list()).jobs.map((j) => j.id)).toEqual([existing.id]);
    });

    it('stores nothing when one job reuses a stored id', async () => {
      const existing = await f.submit('existing');
      const specs = [f.spec('a'), f.spec('b', { id: existing.id })];
      await expectCode(f.store.submitBatch(specs), ErrorCode.CONFLICT);
      expect(await f.store.get(specs[0]!.id)).toBeUndefined();
      expect(await f.store.get(existing.id)).toEqual(existing);
      expect((await f.store.counts()).total).toBe(1);
    });

    it('lets a job depend on an earlier job of the same batch', async () => {
      const first = f.spec('first');
      const second = f.spec('second', { dependsOn: [first.id] });
      const [a, b] = await f.store.submitBatch([first, second]);
      expect(a!.job.state).toBe('scheduled');
      expect(b!.job).toMatchObject({
        state: 'pending',
        dependsOn: [first.id],
        waitingOn: [first.id],
      });
    });

    it('deduplicates a batch job whose idempotency key is stored and stores the others', async () => {
      const original = await f.submit('t', { idempotencyKey: 'k1' }, 'original');
      const specs = [f.spec('t', { idempotencyKey: 'k1' }, 'again'), f.spec('u')];
      const [dup, fresh] = await f.store.submitBatch(specs);
      expect(dup).toEqual({ job: original, deduplicated: true });
      expect(fresh!.deduplicated).toBe(false);
      expect(await f.store.get(specs[0]!.id)).toBeUndefined();
      expect((await f.store.counts()).total).toBe(2);
    });
  });
}
