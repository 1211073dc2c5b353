import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createJob,
  TypedEmitter,
  type Job,
  type JobEvents,
  type JobOptions,
  type LogFields,
  type Logger,
} from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { CONNECTED_FRAME, jobEventFrame, overflowFrame } from './sse-frame.js';
import { SseHub, type SseHubOptions } from './sse-hub.js';
import type { SseStream } from './sse-stream.js';
import { toWireJob } from './wire.js';

const decoder = new TextDecoder();
let store: LevelStore;
let events: TypedEmitter<JobEvents>;
let warnings: [string, LogFields | undefined][];
let logger: Logger;

beforeEach(async () => {
  store = await LevelStore.open({ memory: true });
  events = new TypedEmitter<JobEvents>();
  warnings = [];
  logger = {
    debug() {},
    info() {},
    warn: (message, fields) => warnings.push([message, fields]),
    error() {},
    child: () => logger,
  };
});
afterEach(async () => {
  await store.close();
});

function hub(options: Partial<SseHubOptions> = {}): SseHub {
  return new SseHub({
    events,
    logger,
    maxStreams: 10,
    bufferBytes: 1 << 20,
    keepAliveMs: 3_600_000,
    ...options,
  });
}

async function job(options: JobOptions = {}, payload: unknown = null): Promise<Job> {
  return (await store.submit(createJob('t', payload, options))).job;
}

function open(
  h: SseHub,
  filter = {},
): { stream: SseStream; reader: ReadableStreamDefaultReader<Uint8Array> } {
  const stream = h.open(filter);
  if (stream === undefined) throw new Error('the hub refused the stream');
  return { stream, reader: stream.readable.getReader() };
}

/** The next chunk, which must exist. */
async function next(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Uint8Array> {
  const { done, value } = await reader.read();
  expect(done).toBe(false);
  return value!;
}

describe('SseHub', () => {
  it('starts every stream with connected and hands the same encoded bytes to each stream of the event', async () => {
    const h = hub();
    const a = open(h);
    const b = open(h, { queues: ['default'] });
    const other = open(h, { queues: ['other'] });
    for (const s of [a, b, other]) expect(await next(s.reader)).toBe(CONNECTED_FRAME);
    const created = await job();
    events.emit('job:created', created);
    const chunk = await next(a.reader);
    expect(await next(b.reader)).toBe(chunk);
    expect(decoder.decode(chunk)).toBe(
      `event: job.created\ndata: ${JSON.stringify(toWireJob(created))}\nid: ${created.id}\n\n`,
    );
    const elsewhere = await job({ queue: 'other' });
    events.emit('job:completed', elsewhere);
    expect(await next(other.reader)).toEqual(jobEventFrame('job:completed', elsewhere));
  });

  it('skips an event it cannot encode, logs it, and keeps the stream going', async () => {
    const h = hub();
    const { reader } = open(h);
    await next(reader);
    const broken = { ...(await job()), payload: { n: 1n } } as unknown as Job;
    events.emit('job:created', broken);
    const fine = await job();
    events.emit('job:created', fine);
    expect(decoder.decode(await next(reader))).toContain(`id: ${fine.id}\n`);
    expect(warnings).toEqual([
      [
        'event stream skipped an event it could not encode',
        {
          event: 'job:created',
          jobId: broken.id,
          err: 'TypeError: Do not know how to serialize a BigInt',
        },
      ],
    ]);
  });

  it('drops a client past its byte budget with a final overflow event, and frees its slot', async () => {
    const jobs = [await job(), await job(), await job(), await job()];
    const sizes = jobs.map((j) => jobEventFrame('job:created', j).byteLength);
    // The connected frame was taken by the reader but is still unsent until the next read.
    const held = CONNECTED_FRAME.byteLength + sizes[0]! + sizes[1]! + sizes[2]!;
    const budget = held + sizes[3]! - 1;
    const h = hub({ bufferBytes: budget, maxStreams: 1 });
    const { reader } = open(h);
    await next(reader);
    // Not reading: three events fit, the fourth goes past the budget by one byte.
    for (const j of jobs) events.emit('job:created', j);
    expect(h.openStreams).toBe(1);
    expect(await next(reader)).toEqual(overflowFrame(budget));
    expect(await reader.read()).toEqual({ done: true, value: undefined });
    expect(h.openStreams).toBe(0);
    expect(events.listenerCount('job:created')).toBe(0);
    expect(warnings).toEqual([
      ['event stream client fell behind; dropping it', { unsentBytes: held, bufferBytes: budget }],
    ]);
    expect(h.open({})).toBeDefined();
  });

  it('counts the bytes the connection has not sent, and cuts a client that does not take the overflow event', async () => {
    const h = hub({ bufferBytes: 10_000, overflowGraceMs: 10 });
    let unsent = 0;
    let cuts = 0;
    const stream = h.open({}, { unsentBytes: () => unsent, cut: () => cuts++ });
    const reader = stream!.readable.getReader();
    await next(reader);
    const first = await job();
    events.emit('job:created', first);
    expect(decoder.decode(await next(reader))).toContain(`id: ${first.id}\n`);
    unsent = 9_900; // the socket still holds almost the whole budget
    events.emit('job:created', await job());
    expect(h.openStreams).toBe(1);
    while (h.openStreams > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(cuts).toBe(1);
    expect(warnings[0]?.[1]).toEqual({ unsentBytes: 9_900, bufferBytes: 10_000 });
  });

  it('refuses streams past the cap until one ends, and listens to events only while one is open', async () => {
    const h = hub({ maxStreams: 2 });
    const a = open(h);
    open(h);
    expect(h.open({})).toBeUndefined();
    expect(h.openStreams).toBe(2);
    await a.reader.cancel();
    expect(h.openStreams).toBe(1);
    const c = open(h);
    expect(events.listenerCount('job:created')).toBe(1);
    await c.reader.cancel();
    expect(h.openStreams).toBe(1);
  });

  it('ends the streams of a revoked key at the next keep-alive, and only those', async () => {
    const revoked = new Set<string>();
    const asked: string[] = [];
    const h = hub({
      keepAliveMs: 20,
      keyRevoked: (actor) => {
        asked.push(actor);
        return Promise.resolve(revoked.has(actor));
      },
    });
    const gone = open(h, { actor: 'k1' });
    const kept = open(h, { actor: 'k2' });
    const trusted = open(h);
    for (const s of [gone, kept, trusted]) expect(await next(s.reader)).toBe(CONNECTED_FRAME);
    revoked.add('k1');
    // The keep-alive queued before the check is taken, then the stream ends.
    expect(decoder.decode(await next(gone.reader))).toBe(': keepalive\n\n');
    expect(await gone.reader.read()).toEqual({ done: true, value: undefined });
    expect(new Set(asked)).toEqual(new Set(['k1', 'k2']));
    expect(h.openStreams).toBe(2);
    events.emit('job:created', await job());
    for (const s of [kept, trusted]) {
      let frame = decoder.decode(await next(s.reader));
      while (frame.startsWith(':')) frame = decoder.decode(await next(s.reader));
      expect(frame).toMatch(/^event: job\.created\n/);
    }
    for (const s of [kept, trusted]) await s.reader.cancel();
  });
});
