import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import {
  eventually,
  killAll,
  spawnServer,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';

const JOBS = 400;
const PAYLOAD = 'x'.repeat(200_000);
const MB = 1024 * 1024;

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await killAll();
});

async function serve(flags: string[] = []): Promise<GqProcess> {
  const dir = await tempDir('gq-sse-');
  // SIGUSR2 makes Node write a heap snapshot (into the temp directory), which starts with a full
  // garbage collection: how the test tells memory the server holds from garbage not yet taken.
  const server = await spawnServer(dir.path, ['--workers', '4', ...flags], {
    NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir.path}`,
  });
  cleanups.push(async () => {
    await stopProcess(server, 'SIGKILL');
    await dir.remove();
  });
  return server;
}

/** Waits until `condition` holds. */
async function until(condition: () => boolean, what: string, timeoutMs?: number): Promise<void> {
  await eventually(() => Promise.resolve(condition() ? true : undefined), what, timeoutMs);
}

/** The resident set size of a process, from /proc. */
async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

/** A stream opened on a raw socket that reads nothing until `drain()` is called. */
interface StalledStream {
  socket: Socket;
  /** Resumes reading; resolves with everything received once the server closed the connection. */
  drain(): Promise<string>;
}

async function stalledStream(url: string): Promise<StalledStream> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve).once('error', reject);
  });
  socket.pause();
  socket.write(`GET /api/v1/events HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
  const chunks: Buffer[] = [];
  const closed = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => resolve());
  });
  return {
    socket,
    async drain() {
      socket.resume();
      await closed;
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** Counts `event:` lines in a byte stream without decoding the (large) data lines. */
class EventCounter {
  static readonly MARK = Buffer.from('\nevent: ');
  readonly counts = new Map<string, number>();
  #carry = Buffer.from('\n');

  push(chunk: Uint8Array): void {
    const buf = Buffer.concat([this.#carry, chunk]);
    const { MARK } = EventCounter;
    let at = buf.indexOf(MARK);
    while (at !== -1) {
      const end = buf.indexOf(0x0a, at + MARK.length);
      if (end === -1) break;
      const name = buf.toString('utf8', at + MARK.length, end);
      this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
      at = buf.indexOf(MARK, end);
    }
    this.#carry = Buffer.from(buf.subarray(at === -1 ? Math.max(0, buf.length - MARK.length) : at));
  }
}

/** A client that reads its stream as fast as it comes and counts the events by name. */
async function readingStream(
  url: string,
): Promise<{ counts: Map<string, number>; close(): Promise<void> }> {
  const controller = new AbortController();
  const res = await fetch(`${url}/api/v1/events`, { signal: controller.signal });
  expect(res.status).toBe(200);
  const counter = new EventCounter();
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const done = (async () => {
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) return;
      counter.push(value);
    }
  })().catch(() => undefined);
  await until(() => counter.counts.get('connected') === 1, 'the connected event');
  return {
    counts: counter.counts,
    async close() {
      controller.abort();
      await done;
    },
  };
}

async function submitAll(url: string, count: number, payload: string): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      next++;
      const res = await fetch(`${url}/api/v1/jobs`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ type: 'echo', payload }),
      });
      expect(res.status).toBe(201);
      await res.arrayBuffer();
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
}

describe('event streams under slow clients', () => {
  it('drops clients that never read, keeps RSS growth under 150 MB, and a reader gets every event', async () => {
    const server = await serve();
    // The baseline is taken after the server ran jobs of this size, so one-time growth (compiled
    // code, heap spaces sized for 200 KB bodies, the store's buffers) is not counted.
    const warm = await readingStream(server.url);
    await submitAll(server.url, 20, PAYLOAD);
    await until(() => warm.counts.get('job.completed') === 20, 'the warm-up jobs');
    await warm.close();

    const stalled = await Promise.all([1, 2, 3].map(() => stalledStream(server.url)));
    const reader = await readingStream(server.url);
    const before = await rssBytes(server.pid);
    await submitAll(server.url, JOBS, PAYLOAD);
    await until(
      () => reader.counts.get('job.completed') === JOBS,
      'every job.completed at the reading client',
      60_000,
    );
    // Garbage the collector has not taken back yet is not memory the clients hold: have the server
    // collect it (a heap snapshot begins with a full collection), then wait for the growth to fall
    // under the bound (it never does while slow clients pin their events).
    server.child.kill('SIGUSR2');
    const growth: number[] = [];
    const settled = await eventually(
      async () => {
        growth.push((await rssBytes(server.pid)) - before);
        return growth.at(-1)! < 150 * MB ? true : undefined;
      },
      'RSS growth under 150 MB',
      30_000,
      500,
    ).catch(() => false);
    expect(settled, `RSS growth: ${growth.map((b) => Math.round(b / MB)).join(', ')} MB`).toBe(
      true,
    );
    expect(reader.counts.get('job.created')).toBe(JOBS);
    expect(reader.counts.get('job.started')).toBe(JOBS);
    expect(reader.counts.get('overflow')).toBeUndefined();
    await reader.close();

    // Each stalled client was cut: its connection ends, far short of the 400 jobs.
    for (const stream of stalled) {
      const text = await stream.drain();
      expect(text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
      expect(text).toContain('event: connected\n');
      expect(text.split('event: job.completed\n').length - 1).toBeLessThan(JOBS / 2);
    }
  }, 120_000);

  it('answers 503 past --max-event-streams and takes a stream again once one closes', async () => {
    const server = await serve(['--max-event-streams', '2']);
    const first = await readingStream(server.url);
    const second = await readingStream(server.url);
    const refused = await fetch(`${server.url}/api/v1/events`);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({
      error: {
        code: 'service_unavailable',
        message: 'too many event streams open (at most 2); try again later',
        details: { max_streams: 2 },
      },
    });
    await first.close();
    const third = await eventually(async () => {
      const res = await fetch(`${server.url}/api/v1/events`);
      if (res.status === 200) return res;
      await res.arrayBuffer();
      return undefined;
    }, 'a free stream slot');
    await third.body!.cancel();
    await second.close();
  });
});
