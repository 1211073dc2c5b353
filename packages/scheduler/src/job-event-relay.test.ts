import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createJob,
  JOB_STATES,
  type Job,
  type JobEventName,
  type Store,
  type StoreChange,
} from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from '@gopherqueue/persistence';
import { eventForChange, JobEventRelay } from './job-event-relay.js';

describe('eventForChange', () => {
  it('maps lifecycle changes to events and ignores the rest', () => {
    const id = 'x';
    expect(eventForChange({ kind: 'created', id, state: 'scheduled' })).toBe('job:created');
    expect(eventForChange({ kind: 'updated', id, state: 'running', previous: 'scheduled' })).toBe(
      'job:started',
    );
    expect(eventForChange({ kind: 'updated', id, state: 'running', previous: 'running' })).toBe(
      undefined,
    );
    for (const state of ['completed', 'retrying', 'failed', 'dead_letter', 'cancelled'] as const) {
      expect(eventForChange({ kind: 'updated', id, state, previous: 'running' })).toBe(
        `job:${state}`,
      );
    }
    for (const previous of ['failed', 'dead_letter', 'cancelled', 'completed'] as const) {
      expect(eventForChange({ kind: 'updated', id, state: 'scheduled', previous })).toBe(
        'job:retried',
      );
    }
    expect(eventForChange({ kind: 'updated', id, state: 'scheduled', previous: 'pending' })).toBe(
      undefined,
    );
    // A release: a snooze if it put the job off (the relay checks the job before emitting).
    expect(eventForChange({ kind: 'updated', id, state: 'scheduled', previous: 'running' })).toBe(
      'job:snoozed',
    );
    expect(eventForChange({ kind: 'progress', id, state: 'running' })).toBe('job:progress');
    expect(eventForChange({ kind: 'deleted', id, state: 'completed' })).toBe('job:deleted');
    expect(eventForChange({ kind: 'queue', id: 'q' })).toBe(undefined);
    expect(JOB_STATES).toHaveLength(9);
  });
});

describe('JobEventRelay', () => {
  let dir: string;
  let store: Store;
  let clock: ManualClock;
  let relay: JobEventRelay;
  const seen: [JobEventName, string, string][] = [];
  const names: JobEventName[] = [
    'job:created',
    'job:started',
    'job:progress',
    'job:completed',
    'job:retrying',
    'job:failed',
    'job:dead_letter',
    'job:cancelled',
    'job:retried',
    'job:snoozed',
    'job:deleted',
  ];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gq-relay-'));
    clock = new ManualClock();
    store = await LevelStore.open({ location: join(dir, 'data'), clock });
    relay = new JobEventRelay({ store });
    seen.length = 0;
    for (const name of names) {
      relay.on(name, (job: Job) => seen.push([name, job.id, job.state]));
    }
    relay.start();
  });
  afterEach(async () => {
    await relay.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const claim = async (): Promise<Job> => {
    const [job] = await store.claim({ workerId: 'w', limit: 1, leaseMs: 60_000 });
    return job!;
  };

  it('emits every lifecycle event of a job in order', async () => {
    const spec = createJob('t', null, { maxAttempts: 2 }, clock.now());
    const { id } = spec;
    await store.submit(spec);
    let job = await claim();
    await store.heartbeat(id, job.leaseToken!, { leaseMs: 60_000, progress: 10 });
    await store.fail(id, job.leaseToken!, {
      error: { message: 'x', errorClass: 'error' },
      outcome: { state: 'retrying', runAt: clock.now() },
    });
    job = await claim();
    await store.fail(id, job.leaseToken!, {
      error: { message: 'y', errorClass: 'error' },
      outcome: { state: 'dead_letter' },
    });
    await store.retry(id);
    job = await claim();
    await store.complete(id, job.leaseToken!, 'ok');
    await store.delete(id);
    const other = createJob('t', null, {}, clock.now());
    await store.submit(other);
    job = await claim();
    await store.fail(other.id, job.leaseToken!, {
      error: { message: 'z', errorClass: 'permanent' },
      outcome: { state: 'failed' },
    });
    const third = createJob('t', null, {}, clock.now());
    await store.submit(third);
    await store.cancel(third.id);
    await relay.stop();
    expect(seen).toEqual([
      ['job:created', id, 'scheduled'],
      ['job:started', id, 'running'],
      ['job:progress', id, 'running'],
      ['job:retrying', id, 'retrying'],
      ['job:started', id, 'running'],
      ['job:dead_letter', id, 'dead_letter'],
      ['job:retried', id, 'scheduled'],
      ['job:started', id, 'running'],
      ['job:completed', id, 'completed'],
      ['job:deleted', id, 'completed'],
      ['job:created', other.id, 'scheduled'],
      ['job:started', other.id, 'running'],
      ['job:failed', other.id, 'failed'],
      ['job:created', third.id, 'scheduled'],
      ['job:cancelled', third.id, 'cancelled'],
    ]);
  });

  it('emits job:snoozed for a release that puts the job off, and nothing for one at once', async () => {
    const spec = createJob('t', null, {}, clock.now());
    await store.submit(spec);
    let job = await claim();
    await store.release(spec.id, job.leaseToken!);
    job = await claim();
    await store.release(spec.id, job.leaseToken!, { runAt: clock.now() + 30_000 });
    await relay.stop();
    expect(seen).toEqual([
      ['job:created', spec.id, 'scheduled'],
      ['job:started', spec.id, 'running'],
      ['job:started', spec.id, 'running'],
      ['job:snoozed', spec.id, 'scheduled'],
    ]);
  });

  it('keeps relaying when a listener throws', async () => {
    relay.on('job:created', () => {
      throw new Error('listener bug');
    });
    const spec = createJob('t', null, {}, clock.now());
    await store.submit(spec);
    const job = await claim();
    await store.complete(spec.id, job.leaseToken!, null);
    await relay.stop();
    expect(seen.map(([name]) => name)).toEqual(['job:created', 'job:started', 'job:completed']);
  });

  it('is running once started, stopping until the events under way are emitted, then stopped', async () => {
    await relay.stop();
    expect(relay.status).toBe('stopped');
    // A store whose changes come without the job (as from another node) makes the relay read it.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const remote = new Proxy(store, {
      get(target, key) {
        if (key === 'subscribe') {
          return (listener: (change: StoreChange) => void) =>
            target.subscribe(({ job: _job, ...change }) => {
              listener(change);
            });
        }
        if (key === 'get') {
          return async (id: string) => {
            await gate;
            return target.get(id);
          };
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    const reading = new JobEventRelay({ store: remote });
    const created: string[] = [];
    reading.on('job:created', (job) => created.push(job.id));
    reading.start();
    expect(reading.status).toBe('running');
    const spec = createJob('t', null, {}, clock.now());
    await store.submit(spec);
    const stopped = reading.stop();
    expect(reading.status).toBe('stopping');
    expect(reading.stop()).toBe(stopped);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reading.status).toBe('stopping');
    open();
    await stopped;
    expect(reading.status).toBe('stopped');
    expect(created).toEqual([spec.id]);
  });

  it('stops emitting after stop', async () => {
    await relay.stop();
    await store.submit(createJob('t', null, {}, clock.now()));
    expect(seen).toEqual([]);
  });
});
