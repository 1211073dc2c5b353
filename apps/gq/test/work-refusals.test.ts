import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiKeyManager } from '@gopherqueue/security';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type GqServer } from '../src/server.js';
import { closedPort } from './helpers/closed-port.js';
import { eventually, FIXTURE_HANDLERS, killAll, spawnGq } from './helpers/gq-process.js';
import { gq, type CliRun } from './helpers/run-cli.js';

// `gq work` against a server that refuses it for good stops at once with exit 1; against one
// that does not answer, or answers 5xx, it keeps trying until stopped (exit 0).

/** Longest a `gq work` of these tests runs before the test stops it (as SIGTERM would). */
const STOP_AFTER_MS = 15_000;

let server: GqServer;
const keys: Record<'admin' | 'viewer', string> = { admin: '', viewer: '' };

/** A plain HTTP server that is not GopherQueue, answering with `answer`; counts the claims. */
let other: Server;
let otherUrl: string;
let otherAnswer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
let otherClaims = 0;

beforeAll(async () => {
  server = await startServer({ http: '127.0.0.1:0', store: 'memory', workers: 1, auth: true });
  const manager = new ApiKeyManager({ meta: server.store.meta });
  for (const role of ['admin', 'viewer'] as const) {
    keys[role] = (await manager.create({ name: role, role })).key;
  }
  other = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/api/v1/workers/claim') otherClaims++;
    otherAnswer(req, res);
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await killAll();
  other?.closeAllConnections();
  await new Promise((resolve) => other?.close(resolve));
  await server?.stop();
});

/**
 * Runs `gq work --server <url>` in this process for the fixture type `remote.double`, stopped
 * once `until` says so (checked every 50 ms once it printed its first line), else after
 * {@link STOP_AFTER_MS}.
 */
function work(url: string, flags: string[] = [], until?: () => boolean): Promise<CliRun> {
  let timers: NodeJS.Timeout[] = [];
  const args = ['work', '--server', url, '--handlers', FIXTURE_HANDLERS, '--types'];
  args.push('remote.double', '--log-level', 'error', ...flags);
  return gq(args, {
    onStdout: (_text, stop) => {
      if (timers.length > 0) return;
      timers = [setTimeout(stop, STOP_AFTER_MS)];
      if (until !== undefined) timers.push(setInterval(() => until() && stop(), 50));
    },
  }).finally(() => timers.forEach(clearTimeout));
}

const pulling = (url: string): string => `gq work pulling remote.double from ${url} (10 at once)\n`;

describe('gq work against a server that refuses it', () => {
  it('stops at once when the API key is refused (401)', async () => {
    const started = performance.now();
    expect(await work(server.url, ['--api-key', 'gq_notakey_0000'])).toEqual({
      code: 1,
      stdout: pulling(server.url),
      stderr: `gq: the server at ${server.url} refused the API key (401); pass a valid --api-key\n`,
    });
    expect(performance.now() - started).toBeLessThan(STOP_AFTER_MS);
  });

  it('stops at once when the server wants a key and none was given (401)', async () => {
    expect(await work(server.url)).toEqual({
      code: 1,
      stdout: pulling(server.url),
      stderr: `gq: the server at ${server.url} requires an API key (401); pass one with --api-key or GQ_API_KEY\n`,
    });
  });

  it('stops at once when the key may not lease jobs (403), giving the server its words', async () => {
    expect(await work(server.url, ['--api-key', keys.viewer])).toEqual({
      code: 1,
      stdout: pulling(server.url),
      stderr: `gq: the server at ${server.url} refused to lease jobs to this worker (403: role viewer lacks the permission workers:lease); pass an --api-key of the worker or admin role that may use these queues\n`,
    });
  });

  it('stops at once when --server has a path the lease API is not under (404)', async () => {
    const url = `${server.url}/gq`;
    expect(await work(url, ['--api-key', keys.admin])).toEqual({
      code: 1,
      stdout: pulling(url),
      stderr: `gq: no GopherQueue server at ${url}: POST /api/v1/workers/claim answered 404; pass the server's base URL as --server, as gq serve prints it (no /api/v1)\n`,
    });
  });

  it('stops at once, as a process, and exits 1', async () => {
    const worker = await spawnGq(
      [
        'work',
        '--server',
        server.url,
        '--api-key',
        'gq_notakey_0000',
        '--handlers',
        FIXTURE_HANDLERS,
        '--log-level',
        'error',
      ],
      { ready: /gq work pulling/ },
    );
    expect(await worker.exited).toEqual({ code: 1, signal: null });
    expect(worker.stderr()).toBe(
      `gq: the server at ${server.url} refused the API key (401); pass a valid --api-key\n`,
    );
  });
});

describe('gq work against a server that is not GopherQueue', () => {
  it('stops at once on a 404', async () => {
    otherAnswer = (_req, res) =>
      res.writeHead(404, { 'Content-Type': 'text/html' }).end('<h1>?</h1>');
    expect(await work(otherUrl)).toEqual({
      code: 1,
      stdout: pulling(otherUrl),
      stderr: `gq: no GopherQueue server at ${otherUrl}: POST /api/v1/workers/claim answered 404; pass the server's base URL as --server, as gq serve prints it (no /api/v1)\n`,
    });
  });

  it('stops at once on an answer that is not a list of jobs', async () => {
    for (const [type, body] of [
      ['text/html', '<h1>welcome</h1>'],
      ['application/json', '{"ok":true}'],
    ]) {
      otherAnswer = (_req, res) => res.writeHead(200, { 'Content-Type': type }).end(body);
      expect(await work(otherUrl)).toEqual({
        code: 1,
        stdout: pulling(otherUrl),
        stderr: `gq: no GopherQueue server at ${otherUrl}: POST /api/v1/workers/claim answered with no list of jobs; pass the server's base URL as --server, as gq serve prints it (no /api/v1)\n`,
      });
    }
  });

  it('keeps trying through 500 and 503 answers until stopped', async () => {
    for (const status of [500, 503]) {
      otherAnswer = (_req, res) => res.writeHead(status, { 'Retry-After': '1' }).end();
      const before = otherClaims;
      expect(await work(otherUrl, [], () => otherClaims >= before + 3)).toEqual({
        code: 0,
        stdout: pulling(otherUrl),
        stderr: '',
      });
      expect(otherClaims).toBeGreaterThanOrEqual(before + 3);
    }
  });
});

describe('gq work with a --server it can never reach', () => {
  it('keeps trying while nothing listens at the address, until stopped', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const started = performance.now();
    expect(await work(url, [], () => performance.now() - started > 1_500)).toEqual({
      code: 0,
      stdout: pulling(url),
      stderr: '',
    });
  });

  it('stops at once on a port fetch never connects to', async () => {
    expect(await work('http://127.0.0.1:1')).toEqual({
      code: 1,
      stdout: pulling('http://127.0.0.1:1'),
      stderr: 'gq: cannot reach http://127.0.0.1:1: bad port\n',
    });
  });

  it('refuses a --server that is no http(s) URL before loading the handlers or sending anything', async () => {
    for (const url of ['ftp://127.0.0.1:8080', 'http://[::1', 'localhost:8080']) {
      const run = await gq(['work', '--server', url, '--handlers', './nonexistent-handlers.js']);
      expect(run).toEqual({
        code: 2,
        stdout: '',
        stderr: `gq: --server must be an http(s) URL; got ${JSON.stringify(url)}\n`,
      });
    }
  });
});

describe('gq work flags', () => {
  it('says a negative --lease or --shutdown-timeout given as the next word must be positive', async () => {
    for (const flag of ['--lease', '--shutdown-timeout']) {
      expect(await work(server.url, [flag, '-1s'])).toEqual({
        code: 2,
        stdout: '',
        stderr: `gq: ${flag} must be a positive duration, e.g. 30s; got "-1s"\n`,
      });
    }
  });

  it('shows a count that is not a number as typed, not as NaN', async () => {
    expect(await work(server.url, ['--concurrency', 'abc'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'gq: --concurrency must be an integer from 1 to 10000; got "abc"\n',
    });
    expect(await work(server.url, ['--claim-ahead', 'lots'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'gq: --claim-ahead must be an integer from 0 to 10000; got "lots"\n',
    });
    expect(await work(server.url, ['--concurrency', '-3'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'gq: --concurrency must be an integer from 1 to 10000; got -3\n',
    });
  });
});

// The refusals above are failures a claim cannot outgrow; a valid key runs jobs as ever.
describe('gq work with a key the server accepts', () => {
  it('runs the jobs of its type', async () => {
    const headers = { 'Content-Type': 'application/json', 'X-API-Key': keys.admin };
    const submitted = await fetch(`${server.url}/api/v1/jobs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ type: 'remote.double', payload: { n: 21 } }),
    });
    const { id } = (await submitted.json()) as { id: string };
    const finished = eventually(async () => {
      const res = await fetch(`${server.url}/api/v1/jobs/${id}`, { headers });
      const job = (await res.json()) as { state: string; result?: unknown };
      return job.state === 'completed' ? job.result : undefined;
    }, 'the job completed');
    let done = false;
    void finished.finally(() => (done = true)).catch(() => undefined);
    const run = await work(server.url, ['--api-key', keys.admin], () => done);
    expect(run).toEqual({ code: 0, stdout: pulling(server.url), stderr: '' });
    expect(await finished).toEqual({ doubled: 42, pid: process.pid });
  });
});
