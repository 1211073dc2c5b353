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

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await killAll();
});

async function serve(flags: string[]): Promise<GqProcess> {
  const dir = await tempDir('gq-limits-');
  const server = await spawnServer(dir.path, ['--workers', '1', ...flags]);
  cleanups.push(async () => {
    await stopProcess(server, 'SIGKILL');
    await dir.remove();
  });
  return server;
}

/** A long poll in flight: `hangUp()` aborts it as a client going away does. */
function hold(url: string, init: RequestInit = {}): { hangUp(): Promise<void> } {
  const controller = new AbortController();
  const answer = fetch(url, { ...init, signal: controller.signal }).then(
    (res) => res.arrayBuffer(),
    () => undefined,
  );
  return {
    async hangUp() {
      controller.abort();
      await answer.catch(() => undefined);
    },
  };
}

/** Resolves with the answer of `send()` once its status is `status`. */
async function answered(send: () => Promise<Response>, status: number, what: string) {
  return eventually(async () => {
    const res = await send();
    if (res.status === status) return res;
    await res.arrayBuffer();
    return undefined;
  }, what);
}

/** What one request on a fresh socket gets before the socket closes (`GET /live`). */
interface RawExchange {
  socket: Socket;
  /** Everything received up to now. */
  received(): string;
  /** Resolves once the server closed the socket. */
  closed: Promise<void>;
}

async function liveOnNewSocket(url: string): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let text = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve).once('error', reject);
  });
  socket.write(`GET /live HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
  return { socket, received: () => text, closed };
}

describe('gq serve connection and long-poll limits', () => {
  it('answers 503 with Retry-After past --max-job-waits and --max-claim-waits, and frees the slot when the client hangs up', async () => {
    const server = await serve(['--max-job-waits', '1', '--max-claim-waits', '1']);
    const submitted = await fetch(`${server.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'echo', delay: '1h' }),
    });
    const { id } = (await submitted.json()) as { id: string };
    const wait = () => fetch(`${server.url}/api/v1/jobs/${id}/wait?timeout=100ms`);
    const claim = (wait: string) =>
      fetch(`${server.url}/api/v1/workers/claim`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ worker_id: 'w', types: ['nothing'], wait }),
      });

    const waiting = hold(`${server.url}/api/v1/jobs/${id}/wait?timeout=5m`);
    const refusedWait = await answered(wait, 503, 'a refused wait');
    expect(refusedWait.headers.get('retry-after')).toBe('5');
    expect(await refusedWait.json()).toEqual({
      error: {
        code: 'service_unavailable',
        message: 'too many job waits open (at most 1); try again later',
        details: { max_job_waits: 1 },
      },
    });
    // Claims have their own cap: the held wait takes none of it.
    expect((await claim('100ms')).status).toBe(200);

    const claiming = hold(`${server.url}/api/v1/workers/claim`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ worker_id: 'held', types: ['nothing'], wait: '5m' }),
    });
    const refusedClaim = await answered(() => claim('100ms'), 503, 'a refused claim');
    expect(refusedClaim.headers.get('retry-after')).toBe('5');
    expect(await refusedClaim.json()).toEqual({
      error: {
        code: 'service_unavailable',
        message: 'too many claims waiting for work (at most 1); try again later',
        details: { max_claim_waits: 1 },
      },
    });

    await waiting.hangUp();
    const freedWait = await answered(wait, 200, 'a wait once the first hung up');
    expect(await freedWait.json()).toMatchObject({ id, timed_out: true });
    await claiming.hangUp();
    const freedClaim = await answered(() => claim('100ms'), 200, 'a claim once the first hung up');
    expect(await freedClaim.json()).toEqual({ jobs: [] });
  });

  it('closes a connection past --max-connections as soon as it is accepted, and takes one again once another closes', async () => {
    const server = await serve(['--max-connections', '2']);
    const open = [await liveOnNewSocket(server.url), await liveOnNewSocket(server.url)];
    for (const exchange of open) {
      await eventually(
        () => Promise.resolve(exchange.received().includes('{"alive":true}') ? true : undefined),
        'an answer on a connection within the limit',
      );
    }
    const extra = await liveOnNewSocket(server.url);
    await extra.closed;
    expect(extra.received()).toBe('');

    open[0]!.socket.destroy();
    await open[0]!.closed;
    const again = await eventually(async () => {
      const exchange = await liveOnNewSocket(server.url);
      await Promise.race([exchange.closed, new Promise((resolve) => setTimeout(resolve, 200))]);
      if (exchange.received().includes('{"alive":true}')) return exchange;
      exchange.socket.destroy();
      return undefined;
    }, 'a connection once another closed');
    expect(again.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    again.socket.destroy();
    open[1]!.socket.destroy();
  });
});
