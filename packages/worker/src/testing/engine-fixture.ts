import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { LevelStore } from '@gopherqueue/persistence';
import type { Clock, Job, JobState, Store } from '@gopherqueue/core';
import { Scheduler } from '@gopherqueue/scheduler';
import { WorkerPool } from '../worker-pool.js';
import type { WorkerPoolOptions } from '../worker-pool-options.js';

/** A real store on a real disk, a started scheduler, and a pool (not started). */
export interface Engine {
  store: Store;
  scheduler: Scheduler;
  pool: WorkerPool;
  dir: string;
}

type PoolOptions = Omit<WorkerPoolOptions, 'store' | 'scheduler' | 'clock'>;

/**
 * Registers cleanup hooks and returns a factory of engines on fresh temp directories; every
 * engine made in a test is stopped and its directory removed after it.
 */
export function useEngine(): (options?: PoolOptions & { clock?: Clock }) => Promise<Engine> {
  const made: Engine[] = [];
  afterEach(async () => {
    for (const engine of made.splice(0)) {
      await engine.pool.stop();
      await engine.scheduler.stop();
      await engine.store.close();
      await rm(engine.dir, { recursive: true, force: true });
    }
  });
  return async (options = {}) => {
    const dir = await mkdtemp(join(tmpdir(), 'gq-worker-'));
    const { clock, ...poolOptions } = options;
    const store = await LevelStore.open({
      location: join(dir, 'data'),
      ...(clock === undefined ? {} : { clock }),
    });
    const scheduler = new Scheduler({ store, ...(clock === undefined ? {} : { clock }) });
    await scheduler.start();
    const pool = new WorkerPool({
      store,
      scheduler,
      ...(clock === undefined ? {} : { clock }),
      ...poolOptions,
    });
    const engine = { store, scheduler, pool, dir };
    made.push(engine);
    return engine;
  };
}

/** Resolves when `check` returns a value other than undefined; polls every few ms. */
export async function until<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves with the job once it is in `state`. */
export function untilState(store: Store, id: string, state: JobState): Promise<Job> {
  return until(async () => {
    const job = await store.get(id);
    return job?.state === state ? job : undefined;
  }, `job ${id} to be ${state}`);
}

/** A promise with its resolve function, for handlers that a test lets go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
