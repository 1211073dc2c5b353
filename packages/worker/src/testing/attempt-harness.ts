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

/** A real `createApi` app on a loopback port over a real store on disk. */
export interface ApiServer {
  store: LevelStore;
  scheduler: Scheduler;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Stops the server, its scheduler and store, and removes the store's directory. */
  close(): Promise<void>;
}

/**
 * Starts an {@link ApiServer}. `answer`, when given, sees each request first and may answer it
 * in the app's place (a server that lacks a route, say).
 */
export async function startApiServer(
  answer?: (request: Request) => Response | undefined,
): Promise<ApiServer> {
  const { store, scheduler, dir } = await openStore();
  const events = new JobEventRelay({ store });
  events.start();
  const app = createApi({ store, scheduler, events, auth: 'off' });
  const fetch = (request: Request): Response | Promise<Response> =>
    answer?.(request) ?? app.fetch(request);
  let server!: ServerType;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
      resolve(info.port);
    });
  });
  return {
    store,
    scheduler,
    url: `http://127.0.0.1:${port}`,
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
}

/**
 * A pool over an {@link HttpWorkSource}: a real `createApi` app on a real loopback port over a
 * real store, reached by a `GopherQueueClient`, as `gq work` reaches `gq serve`.
 */
export function httpHarness(): AttemptHarness {
  return harness('HttpWorkSource', async (options) => {
    const server = await startApiServer();
    const client = new GopherQueueClient({ baseUrl: server.url });
    const source = new HttpWorkSource({ client, reportRetryMs: 50 });
    return {
      store: server.store,
      pool: new WorkerPool({ ...options, source }),
      async submit(spec) {
        await server.scheduler.enqueue(spec);
      },
      async cancel(id) {
        await client.cancel(id);
      },
      close: () => server.close(),
    };
  });
}
