import { GopherQueueClient } from '@gopherqueue/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  killAll,
  spawnGq,
  spawnServer,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { gq } from './helpers/run-cli.js';

/** What a form or `fetch(..., { mode: 'no-cors' })` on a page of another site sends. */
const CROSS_SITE = {
  origin: 'http://evil.example',
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': 'no-cors',
  'content-type': 'text/plain;charset=UTF-8',
};

const dirs: { remove(): Promise<void> }[] = [];

async function serve(flags: readonly string[] = []): Promise<GqProcess> {
  const dir = await tempDir('gq-trust-');
  dirs.push(dir);
  return spawnServer(dir.path, flags);
}

function errorCode(res: RawResponse): string {
  return (res.json() as { error: { code: string } }).error.code;
}

afterAll(async () => {
  await killAll();
  for (const dir of dirs) await dir.remove();
});

describe('gq serve on loopback without --auth', () => {
  let server: GqProcess;
  let client: GopherQueueClient;
  let port: string;
  let deadId: string;

  beforeAll(async () => {
    server = await serve();
    client = new GopherQueueClient({ baseUrl: server.url });
    port = new URL(server.url).port;
    const dead = await client.submit('error', 'boom', { maxAttempts: 1 });
    deadId = dead.id;
    await eventually(
      async () => ((await client.get(deadId)).state === 'dead_letter' ? true : undefined),
      'the error job to be dead-lettered',
    );
  });

  afterAll(async () => {
    if (server !== undefined) expect((await stopProcess(server)).code).toBe(0);
  });

  it('runs in protected mode', () => {
    expect(server.stdout()).toMatch(/, auth protected\)\n/);
  });

  it('refuses cross-site text/plain POSTs from a web page with 403, and stores nothing', async () => {
    const attempts: [string, string][] = [
      ['/api/v1/jobs', JSON.stringify({ type: 'echo', payload: 'pwned' })],
      ['/api/v1/queues/x/pause', ''],
      ['/api/v1/dead-letter/purge', '{}'],
      ['/api/v1/keys', JSON.stringify({ name: 'pwned', role: 'admin' })],
      ['/api/v1/jobs/batch', JSON.stringify({ jobs: [{ type: 'echo' }] })],
    ];
    for (const [path, body] of attempts) {
      const res = await rawRequest(`${server.url}${path}`, {
        method: 'POST',
        headers: CROSS_SITE,
        body,
      });
      expect(res.status, path).toBe(403);
      expect(errorCode(res), path).toBe('forbidden');
      expect(res.headers['access-control-allow-origin'], path).toBeUndefined();
    }
    const jobs = await client.list();
    expect(jobs.jobs.map((j) => j.id)).toEqual([deadId]);
    expect((await client.queues()).filter((q) => q.paused)).toEqual([]);
    expect((await client.get(deadId)).state).toBe('dead_letter');
    expect(await client.listKeys()).toEqual([]);
  });

  it('refuses a page of another origin whichever signal gives it away', async () => {
    const body = JSON.stringify({ type: 'echo' });
    const json = { 'content-type': 'application/json' };
    const cases: Record<string, string>[] = [
      { ...json, origin: 'http://evil.example' },
      { ...json, origin: 'null' },
      { ...json, 'sec-fetch-site': 'cross-site' },
      // Another port of this machine is another origin, though the same site.
      { ...json, origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-site' },
      { ...json, 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of cases) {
      const res = await rawRequest(`${server.url}/api/v1/jobs`, { method: 'POST', headers, body });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(errorCode(res)).toBe('forbidden');
    }
    const read = await rawRequest(`${server.url}/api/v1/jobs`, {
      headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' },
    });
    expect(read.status).toBe(403);
    expect((await client.list()).jobs.map((j) => j.id)).toEqual([deadId]);
  });

  it('never answers a preflight from another origin', async () => {
    const res = await rawRequest(`${server.url}/api/v1/jobs`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-api-key',
      },
    });
    expect(res.status).toBe(403);
    expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))).toEqual(
      [],
    );
  });

  it('refuses a Host that is not its own (DNS rebinding) with 403, on every route but /live and /ready', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`]) {
      for (const path of ['/api/v1/jobs', '/api/v1/stats', '/metrics', '/health']) {
        const res = await rawRequest(`${server.url}${path}`, { headers: { host } });
        expect(res.status, `${host} ${path}`).toBe(403);
        expect(errorCode(res)).toBe('forbidden');
        expect(res.text).not.toContain(deadId);
      }
    }
    const post = await rawRequest(`${server.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { host: `evil.example:${port}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'echo', payload: 'rebound' }),
    });
    expect(post.status).toBe(403);
    expect((await client.list()).jobs.map((j) => j.id)).toEqual([deadId]);
    for (const path of ['/live', '/ready']) {
      const res = await rawRequest(`${server.url}${path}`, { headers: { host: 'evil.example' } });
      expect(res.status, path).toBe(200);
    }
  });

  it('answers its own names: localhost, 127.0.0.1 and [::1], with or without the port', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
      const res = await rawRequest(`${server.url}/api/v1/jobs`, { headers: { host } });
      expect(res.status, host).toBe(200);
    }
  });

  it('refuses a body that is not JSON with 415, and accepts JSON with parameters or a +json type', async () => {
    const body = JSON.stringify({ type: 'echo', payload: 'typed' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      const res = await rawRequest(`${server.url}/api/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      expect(res.status, type).toBe(415);
      expect(res.json()).toEqual({
        error: {
          code: 'unsupported_media_type',
          message: `request bodies must be JSON (Content-Type: application/json); got ${type}`,
          details: { content_type: type },
        },
      });
    }
    const untyped = await rawRequest(`${server.url}/api/v1/jobs`, { method: 'POST', body });
    expect(untyped.status).toBe(415);
    expect((await client.list()).jobs.map((j) => j.id)).toEqual([deadId]);

    for (const type of [
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/vnd.gopherqueue+json',
    ]) {
      const res = await rawRequest(`${server.url}/api/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      expect(res.status, type).toBe(201);
    }
  });

  it('takes a POST with no body and no Content-Type, as curl -X POST sends it', async () => {
    const job = await client.submit('echo', 1, { delay: '1h' });
    const res = await rawRequest(`${server.url}/api/v1/jobs/${job.id}/cancel`, {
      method: 'POST',
      headers: { 'user-agent': 'curl/8.5.0', accept: '*/*' },
    });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ id: job.id, state: 'cancelled' });
  });

  it('lets a same-origin page act without a key, as a dashboard served by gq would', async () => {
    const res = await rawRequest(`${server.url}/api/v1/jobs`, {
      method: 'POST',
      headers: {
        host: `127.0.0.1:${port}`,
        origin: `http://127.0.0.1:${port}`,
        'sec-fetch-site': 'same-origin',
        'sec-fetch-mode': 'cors',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ type: 'echo', payload: 'dashboard' }),
    });
    expect(res.status).toBe(201);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const viaLocalhost = await rawRequest(`${server.url}/api/v1/stats`, {
      headers: { host: `localhost:${port}`, origin: `http://localhost:${port}` },
    });
    expect(viaLocalhost.status).toBe(200);
    const typedUrl = await rawRequest(`${server.url}/api/v1/stats`, {
      headers: { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' },
    });
    expect(typedUrl.status).toBe(200);
  });

  it('keeps the typed client, the CLI and plain fetch working with no key', async () => {
    const job = await client.submit('echo', { via: 'client' });
    expect((await client.wait(job.id, '10s')).state).toBe('completed');
    await client.pauseQueue('tools');
    await client.resumeQueue('tools');
    const submitted = await gq(['submit', '--type', 'echo', '--wait', '--server', server.url]);
    expect(submitted.code).toBe(0);
    expect(submitted.stdout).toMatch(/state:\s+completed/);
    const res = await fetch(`${server.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'echo' }),
    });
    expect(res.status).toBe(201);
  });

  it('refuses a request with a key under a foreign Host too, on a loopback-only bind', async () => {
    const created = await client.createKey({ name: 'ci', role: 'admin' });
    const res = await rawRequest(`${server.url}/api/v1/jobs`, {
      headers: { host: 'evil.example', 'x-api-key': created.key },
    });
    expect(res.status).toBe(403);
    const own = await rawRequest(`${server.url}/api/v1/jobs`, {
      headers: { 'x-api-key': created.key },
    });
    expect(own.status).toBe(200);
  });
});

describe('gq serve --auth=false', () => {
  it('keeps the old open behaviour: every page and every Host is trusted', async () => {
    const server = await serve(['--auth=false']);
    expect(server.stdout()).toMatch(/, auth off\)\n/);
    const res = await rawRequest(`${server.url}/api/v1/jobs`, {
      method: 'POST',
      headers: CROSS_SITE,
      body: JSON.stringify({ type: 'echo', payload: 'open' }),
    });
    expect(res.status).toBe(201);
    const listed = await rawRequest(`${server.url}/api/v1/jobs`, {
      headers: { host: 'evil.example' },
    });
    expect(listed.status).toBe(200);
    expect((listed.json() as { count: number }).count).toBe(1);
    expect((await stopProcess(server)).code).toBe(0);
  });
});

describe('gq serve on every interface', () => {
  it('accepts any Host with a key, and only its own names (and --allowed-hosts) without one', async () => {
    const dir = await tempDir('gq-trust-');
    dirs.push(dir);
    const server = await spawnGq(
      [
        'serve',
        '--http',
        '0.0.0.0:0',
        '--allowed-hosts',
        'gq.internal,Queue.Example.COM',
        '--data-dir',
        dir.path,
        '--log-level',
        'warn',
      ],
      { ready: /listening on (http:\/\/\S+)/ },
    );
    expect(server.stdout()).toMatch(/, auth protected\)\n/);
    const { key } = await new GopherQueueClient({ baseUrl: server.url }).createKey({
      name: 'remote',
      role: 'viewer',
    });
    const cases: [Record<string, string>, number][] = [
      [{ host: 'gq.lan:8080', 'x-api-key': key }, 200],
      [{ host: 'gq.lan:8080' }, 403],
      [{ host: 'gq.internal:8080' }, 200],
      [{ host: 'queue.example.com' }, 200],
      [{ host: 'gq.internal', origin: 'http://evil.example', 'x-api-key': key }, 403],
    ];
    for (const [headers, status] of cases) {
      const res = await rawRequest(`${server.url}/api/v1/stats`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(status);
    }
    expect((await stopProcess(server)).code).toBe(0);
  });
});
