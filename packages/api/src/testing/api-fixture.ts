import type { Job, JobSpec } from '@gopherqueue/core';
import { createJob } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { JobEventRelay, Scheduler } from '@gopherqueue/scheduler';
import { ApiKeyManager, AuditLog, type Role } from '@gopherqueue/security';
import type { Hono } from 'hono';
import { createApi } from '../create-api.js';
import type { ApiEnv } from '../env.js';
import type { ApiOptions } from '../options.js';

/** A response as the tests read it. */
export interface TestResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON, or null when empty. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON answer of any shape
  body: any;
}

/** Options of a call through {@link ApiFixture.call}. */
export interface CallOptions {
  body?: unknown;
  /** Sent as is (for bad JSON and oversized bodies), as `application/json` unless headers say. */
  raw?: string;
  headers?: Record<string, string>;
  key?: string;
}

/** A real API over a real in-memory store, scheduler, event relay, keys and audit log. */
export interface ApiFixture {
  app: Hono<ApiEnv>;
  store: LevelStore;
  scheduler: Scheduler;
  events: JobEventRelay;
  keys: ApiKeyManager;
  audit: AuditLog;
  call(method: string, path: string, options?: CallOptions): Promise<TestResponse>;
  /** Submits straight to the store. */
  submit(type: string, payload?: unknown, options?: Parameters<typeof createJob>[2]): Promise<Job>;
  /** Creates a key of `role` and returns it. */
  key(role: Role, queues?: string[]): Promise<string>;
  close(): Promise<void>;
}

/** Builds an {@link ApiFixture}; `overrides` go to `createApi`. */
export async function createApiFixture(overrides: Partial<ApiOptions> = {}): Promise<ApiFixture> {
  const store = await LevelStore.open({ memory: true });
  const scheduler = new Scheduler({ store });
  await scheduler.start();
  const events = new JobEventRelay({ store });
  events.start();
  const keys = new ApiKeyManager({ meta: store.meta });
  const audit = new AuditLog({ meta: store.meta });
  const app = createApi({ store, scheduler, events, keys, audit, auth: 'off', ...overrides });

  async function call(method: string, path: string, options: CallOptions = {}) {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined = options.raw;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    if (options.key !== undefined) headers['x-api-key'] = options.key;
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = body;
    const res = await app.request(path, init);
    const text = await res.text();
    let parsed: unknown = text === '' ? null : text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep text
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }

  return {
    app,
    store,
    scheduler,
    events,
    keys,
    audit,
    call,
    async submit(type, payload, options) {
      const spec: JobSpec = createJob(type, payload, options);
      return (await store.submit(spec)).job;
    },
    async key(role, queues) {
      const input = queues === undefined ? { name: role, role } : { name: role, role, queues };
      return (await keys.create(input)).key;
    },
    async close() {
      await events.stop();
      await scheduler.stop();
      await store.close();
    },
  };
}
