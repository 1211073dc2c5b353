import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  killAll,
  spawnServer,
  spawnWorker,
  stopProcess,
  tempDir,
} from './helpers/gq-process.js';

/** One span as an OTLP/HTTP JSON export carries it (the fields this test reads). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}

/** Each exported span with its resource's `service.name`. */
const received: { service: string; span: OtlpSpan }[] = [];
let collector: Server;
let endpoint: string;

/** A span's attributes as plain values. */
function attributes(span: OtlpSpan): Record<string, string | number> {
  return Object.fromEntries(
    span.attributes.map(({ key, value }) => [
      key,
      value.stringValue ?? Number(value.intValue ?? Number.NaN),
    ]),
  );
}

function spansOf(jobId: string): { service: string; span: OtlpSpan }[] {
  return received.filter(({ span }) => attributes(span)['gq.job.id'] === jobId);
}

async function submit(url: string, type: string, traceparent: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent },
    body: JSON.stringify({ type, payload: { n: 2 } }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { id: string; traceparent?: string };
  expect(body.traceparent).toBe(traceparent);
  return body.id;
}

/** A real OTLP/HTTP collector stand-in on loopback: it keeps every span posted to /v1/traces. */
beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: {
            resource: { attributes: OtlpSpan['attributes'] };
            scopeSpans: { spans: OtlpSpan[] }[];
          }[];
        };
        for (const rs of body.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name');
          for (const ss of rs.scopeSpans) {
            for (const span of ss.spans) {
              received.push({ service: service?.value.stringValue ?? '', span });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await killAll();
  await new Promise((resolve) => collector.close(resolve));
});

const OTEL_ENV = { OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };

describe('gq serve --otel and gq work --otel', () => {
  it("exports each attempt's span over OTLP, in the trace of the submitting request", async () => {
    const dir = await tempDir('gq-otel-');
    const server = await spawnServer(dir.path, ['--otel'], {
      ...OTEL_ENV,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    });
    try {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const parent = '00f067aa0ba902b7';
      const id = await submit(server.url, 'echo', `00-${traceId}-${parent}-01`);
      const [exported] = await eventually(
        () => Promise.resolve(spansOf(id).length > 0 ? spansOf(id) : undefined),
        'the attempt span at the collector',
      );
      expect(spansOf(id)).toHaveLength(1);
      const { service, span } = exported!;
      expect({
        service,
        traceId: span.traceId,
        parentSpanId: span.parentSpanId,
        name: span.name,
        kind: span.kind,
        attributes: attributes(span),
      }).toEqual({
        service: 'gq',
        traceId,
        parentSpanId: parent,
        name: 'process echo',
        kind: 5, // SPAN_KIND_CONSUMER
        attributes: {
          'messaging.system': 'gopherqueue',
          'messaging.operation.type': 'process',
          'messaging.destination.name': 'default',
          'messaging.message.id': id,
          'gq.job.id': id,
          'gq.job.type': 'echo',
          'gq.job.queue': 'default',
          'gq.job.attempt': 1,
          'gq.job.outcome': 'completed',
        },
      });
      expect((await stopProcess(server)).code).toBe(0);
    } finally {
      await dir.remove();
    }
  }, 120_000);

  it('carries the trace context to a remote worker, which exports the span as gq-work', async () => {
    const dir = await tempDir('gq-otel-');
    const server = await spawnServer(dir.path);
    const worker = await spawnWorker(server.url, ['--otel'], {
      ...OTEL_ENV,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces`,
    });
    try {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const parent = 'b7ad6b7169203331';
      const id = await submit(server.url, 'remote.double', `00-${traceId}-${parent}-01`);
      const [exported] = await eventually(
        () => Promise.resolve(spansOf(id).length > 0 ? spansOf(id) : undefined),
        'the remote attempt span at the collector',
      );
      const { service, span } = exported!;
      expect([
        service,
        span.traceId,
        span.parentSpanId,
        attributes(span)['gq.job.outcome'],
      ]).toEqual(['gq-work', traceId, parent, 'completed']);
      expect((await stopProcess(worker)).code).toBe(0);
    } finally {
      await dir.remove();
    }
  }, 120_000);
});
