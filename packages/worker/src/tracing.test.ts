import type { AddressInfo } from 'node:net';
import { createApi } from '@gopherqueue/api';
import { GopherQueueClient } from '@gopherqueue/client';
import { createJob } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { JobEventRelay, Scheduler } from '@gopherqueue/scheduler';
import { serve, type ServerType } from '@hono/node-server';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until, untilState, useEngine } from './testing/engine-fixture.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const submitter = trace.getTracer('the application');

/** The spans the exporter holds for `jobId`'s attempts, in attempt order. */
function attemptSpans(jobId: string): ReadableSpan[] {
  return exporter
    .getFinishedSpans()
    .filter((span) => span.attributes['gq.job.id'] === jobId)
    .sort(
      (a, b) => Number(a.attributes['gq.job.attempt']) - Number(b.attributes['gq.job.attempt']),
    );
}

describe('attempt spans through @opentelemetry/api', () => {
  const engine = useEngine();

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterEach(() => exporter.reset());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  it("records one consumer span per attempt, a child of the submitting span, with the job's attributes", async () => {
    const { store, pool } = await engine();
    let calls = 0;
    pool.register('traced', () => {
      calls += 1;
      if (calls === 1) throw new TypeError('first try fails');
      return 'ok';
    });
    const parent = submitter.startSpan('POST /orders');
    const spec = context.with(trace.setSpan(context.active(), parent), () =>
      createJob('traced', null, {
        queue: 'orders',
        backoff: { strategy: 'constant', initialMs: 0 },
      }),
    );
    parent.end();
    const { traceId, spanId } = parent.spanContext();
    expect(spec.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    await store.submit(spec);
    pool.start();
    await untilState(store, spec.id, 'completed');
    const spans = await until(() => {
      const found = attemptSpans(spec.id);
      return found.length === 2 ? found : undefined;
    }, 'two attempt spans');

    /** What every attempt's span carries; the attempt and its outcome differ. */
    const attemptSpan = (attempt: number, outcome: string) => ({
      name: 'process traced',
      kind: SpanKind.CONSUMER,
      traceId,
      parent: spanId,
      attributes: {
        'messaging.system': 'gopherqueue',
        'messaging.operation.type': 'process',
        'messaging.destination.name': 'orders',
        'messaging.message.id': spec.id,
        'gq.job.id': spec.id,
        'gq.job.type': 'traced',
        'gq.job.queue': 'orders',
        'gq.job.attempt': attempt,
        'gq.job.outcome': outcome,
      },
    });
    expect(
      spans.map((span) => ({
        name: span.name,
        kind: span.kind,
        traceId: span.spanContext().traceId,
        parent: span.parentSpanContext?.spanId,
        attributes: span.attributes,
        status: span.status.code,
        exceptions: span.events.filter((e) => e.name === 'exception').length,
      })),
    ).toEqual([
      { ...attemptSpan(1, 'failed'), status: SpanStatusCode.ERROR, exceptions: 1 },
      { ...attemptSpan(2, 'completed'), status: SpanStatusCode.UNSET, exceptions: 0 },
    ]);
    expect(spans[0]!.spanContext().spanId).not.toBe(spans[1]!.spanContext().spanId);
  });

  it('runs the handler inside its span: a job it submits joins the same trace as its child', async () => {
    const { store, pool } = await engine();
    let childId = '';
    pool.register('parent', async () => {
      const child = createJob('child');
      childId = child.id;
      await store.submit(child);
      return trace.getActiveSpan()?.spanContext().spanId ?? null;
    });
    pool.register('child', () => null);
    const { job } = await store.submit(createJob('parent'));
    pool.start();
    const done = await untilState(store, job.id, 'completed');
    const child = await untilState(store, childId, 'completed');
    const [parentSpan] = await until(() => {
      const found = attemptSpans(job.id);
      return found.length === 1 ? found : undefined;
    }, 'the parent attempt span');
    const [childSpan] = await until(() => {
      const found = attemptSpans(childId);
      return found.length === 1 ? found : undefined;
    }, 'the child attempt span');
    const { traceId, spanId } = parentSpan!.spanContext();
    // No traceparent on the parent job: its attempt span is a root.
    expect(job.traceparent).toBeUndefined();
    expect(parentSpan!.parentSpanContext).toBeUndefined();
    expect(done.result).toBe(spanId);
    expect(child.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(childSpan!.spanContext().traceId).toBe(traceId);
    expect(childSpan!.parentSpanContext?.spanId).toBe(spanId);
  });

  it("sends the caller's active span with a client submit, so the job joins its trace", async () => {
    const store = await LevelStore.open({ memory: true });
    const scheduler = new Scheduler({ store });
    await scheduler.start();
    const events = new JobEventRelay({ store });
    events.start();
    const app = createApi({ store, scheduler, events, auth: 'off' });
    let server!: ServerType;
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
        resolve(info.port),
      );
    });
    try {
      const client = new GopherQueueClient({ baseUrl: `http://127.0.0.1:${port}` });
      const span = submitter.startSpan('checkout');
      const job = await context.with(trace.setSpan(context.active(), span), () =>
        client.submit('t', null),
      );
      span.end();
      const { traceId, spanId } = span.spanContext();
      expect(job.traceparent).toBe(`00-${traceId}-${spanId}-01`);
      expect((await store.get(job.id))?.traceparent).toBe(`00-${traceId}-${spanId}-01`);
      const untraced = await client.submit('t', null);
      expect(untraced.traceparent).toBeUndefined();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await events.stop();
      await scheduler.stop();
      await store.close();
    }
  });
});
