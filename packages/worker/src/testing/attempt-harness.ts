import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApi } from '@gopherqueue/api';
import { GopherQueueClient } from '@gopherqueue/client';
import type { JobSpec, Store } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { JobEventRelay, Scheduler } from '@gopherqueue/scheduler';
import { serve, type ServerType } from '@hono/node-server';
import { HttpWorkSource } from '../http-work-source.js';
import { StoreWorkSource } from '../store-work-source.js';
import type { WorkSource } from '../work-source.js';
import { WorkerPool } from '../worker-pool.js';
import type { WorkerPoolOptions } from '../worker-pool-options.js';

/** Pool options a suite may set; the harness supplies the source. */
export type HarnessPoolOptions = Omit<WorkerPoolOptions, 'source' | 'store' | 'scheduler'>;

/** One engine of a harness: a real store on disk, and a pool (not started) over the source. */
export interface HarnessEngine {
  /** The store the jobs live in, for reading them and for what recovery would do. */
  store: Store;
  pool: WorkerPool;
  /** Submits a job as an application would. */
  submit(spec: JobSpec): Promise<void>;
  /** Cancels a job as an operator would: through the store, or through the HTTP API. */
  cancel(id: string): Promise<void>;
}

/** How the attempt suite gets engines whose pool runs over the source under test. */
export interface AttemptHarness {
  /** The adapter under test, as the suite names it. */
  readonly name: string;
  open(options?: HarnessPoolOptions): Promise<HarnessEngine>;
  /** Stops and removes every engine opened so far. */
  closeAll(): Promise<void>;
}

interface Opened {
  pool: WorkerPool;
  close(): Promise<void>;
}

async function openStore(): Promise<{ store: LevelStore; scheduler: Scheduler; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'gq-attempt-'));
  const store = await LevelStore.open({ location: join(dir, 'data') });
  const scheduler = new Scheduler({ store });
  await scheduler.start();
  return { store, scheduler, dir };
}

function harness(
  name: string,
  open: (options: HarnessPoolOptions) => Promise<HarnessEngine & Opened>,
): AttemptHarness {
  const opened: Opened[] = [];
  return {
    name,
    async open(options = {}) {
      const engine = await open(options);
      opened.push(engine);
      return engine;
    },
    async closeAll() {
      for (const engine of opened.splice(0)) {
        await engine.pool.stop();
        await engine.close();
      }
    },
  };
}

/** A pool over a {@link StoreWorkSource}: the store and scheduler in this process. */
export function storeHarness(): AttemptHarness {
  return harness('StoreWorkSource', async (options) => {
    const { store, scheduler, dir } = await openStore();
    const source: WorkSource = new StoreWorkSource({ store, scheduler });
    return {
      store,
      pool: new WorkerPool({ ...options, source }),
      async submit(spec) {
        await scheduler.enqueue(spec);
      },
      async cancel(id) {
        await store.cancel(id);
      },
      async close() {
        await scheduler.stop();
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
}

/**
 * A pool over an {@link HttpWorkSource}: a real `createApi` app on a real loopback port over a
 * real store, reached by a `GopherQueueClient`, as `gq work` reaches `gq serve`.
 */
export function httpHarness(): AttemptHarness {
  return harness('HttpWorkSource', async (options) => {
    const { store, scheduler, dir } = await openStore();
    const events = new JobEventRelay({ store });
    events.start();
    const app = createApi({ store, scheduler, events, auth: 'off' });
    let server!: ServerType;
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
        resolve(info.port);
      });
    });
    const client = new GopherQueueClient({ baseUrl: `http://127.0.0.1:${port}` });
    const source = new HttpWorkSource({ client, reportRetryMs: 50 });
    return {
      store,
      pool: new WorkerPool({ ...options, source }),
      async submit(spec) {
        await scheduler.enqueue(spec);
      },
      async cancel(id) {
        await client.cancel(id);
      },
      async close() {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          if ('closeAllConnections' in server) server.closeAllConnections();
        });
        await events.stop();
        await scheduler.stop();
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
}
