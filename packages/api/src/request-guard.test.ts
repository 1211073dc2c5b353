import { afterEach, describe, expect, it } from 'vitest';
import { hostNameOf, normalizeHostName } from './host-name.js';
import type { ApiOptions } from './options.js';
import { isJsonMediaType } from './request-guard.js';
import { createApiFixture, type ApiFixture } from './testing/api-fixture.js';

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

/** A protected API whose every caller is a loopback peer, as on a loopback-only bind. */
async function local(overrides: Partial<ApiOptions> = {}): Promise<ApiFixture> {
  return (f = await createApiFixture({
    auth: 'protected',
    getRemoteAddress: () => '127.0.0.1',
    ...overrides,
  }));
}

describe('host names', () => {
  it('reads the host name of a Host header, lower case, without port, brackets or final dot', () => {
    const cases: [string, string | undefined][] = [
      ['127.0.0.1:8080', '127.0.0.1'],
      ['LocalHost', 'localhost'],
      ['[::1]:8080', '::1'],
      ['[::1]', '::1'],
      ['gq.example.com.:443', 'gq.example.com'],
      ['::1', undefined],
      ['[nope]:80', undefined],
      ['a b', undefined],
      ['evil.example:80:80', undefined],
      ['', undefined],
      ['user@evil.example', undefined],
    ];
    for (const [header, name] of cases) expect(hostNameOf(header), header).toBe(name);
  });

  it('normalizes an allowed host, and refuses one with a port or that is no name', () => {
    expect(normalizeHostName('Queue.Example.COM')).toBe('queue.example.com');
    expect(normalizeHostName('[::1]')).toBe('::1');
    expect(normalizeHostName('fe80::1')).toBe('fe80::1');
    for (const bad of ['gq.internal:8080', '', 'http://gq', 'a/b', 42]) {
      expect(() => normalizeHostName(bad), String(bad)).toThrow(RangeError);
    }
  });
});

describe('isJsonMediaType', () => {
  it('accepts application/json with parameters and structured +json types only', () => {
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON;charset=UTF-8',
      'application/merge-patch+json',
      ' application/json ',
    ]) {
      expect(isJsonMediaType(type), type).toBe(true);
    }
    for (const type of [
      'text/plain',
      'text/json',
      'application/jsonp',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/+json',
      '',
    ]) {
      expect(isJsonMediaType(type), type).toBe(false);
    }
  });
});

describe('the request guard', () => {
  it('refuses a page of another origin with 403 before anything else, key or not', async () => {
    const fx = await local();
    const admin = await fx.key('admin');
    const cases: [Record<string, string>, Record<string, string>][] = [
      [{ origin: 'http://evil.example' }, { origin: 'http://evil.example' }],
      [{ 'sec-fetch-site': 'cross-site' }, { sec_fetch_site: 'cross-site' }],
      [{ 'sec-fetch-site': 'same-site' }, { sec_fetch_site: 'same-site' }],
      [
        { origin: 'http://localhost:3000', host: 'localhost:8080' },
        { origin: 'http://localhost:3000' },
      ],
      // Without a Host, no Origin can be the server's own.
      [{ origin: 'http://localhost:8080' }, { origin: 'http://localhost:8080' }],
      [{ origin: 'null', host: 'localhost' }, { origin: 'null' }],
    ];
    for (const [headers, details] of cases) {
      for (const key of [undefined, admin]) {
        const res = await fx.call('POST', '/api/v1/jobs', {
          body: { type: 't' },
          headers,
          ...(key === undefined ? {} : { key }),
        });
        expect(res.status, JSON.stringify(headers)).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
        expect(res.body.error.details).toEqual(details);
      }
    }
    expect((await fx.store.counts()).total).toBe(0);
  });

  it('lets a same-origin page and a typed address bar through without a key', async () => {
    const fx = await local();
    const cases: Record<string, string>[] = [
      { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' },
      { host: 'localhost:8080', origin: 'https://LOCALHOST:8080' },
      { host: '[::1]:8080', origin: 'http://[::1]:8080' },
      { host: 'localhost:8080', 'sec-fetch-site': 'none' },
    ];
    for (const headers of cases) {
      const res = await fx.call('POST', '/api/v1/jobs', { body: { type: 't' }, headers });
      expect(res.status, JSON.stringify(headers)).toBe(201);
    }
  });

  it('refuses a Host that is not the server, unless allowed or, when told so, keyed', async () => {
    const strict = await local({ allowedHosts: ['gq.internal'] });
    const key = await strict.key('viewer');
    const refused = await strict.call('GET', '/api/v1/stats', {
      headers: { host: 'evil.example' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({
      code: 'forbidden',
      message: 'Host "evil.example" is not a name of this server (allow it with --allowed-hosts)',
      details: { host: 'evil.example' },
    });
    const keyed = await strict.call('GET', '/api/v1/stats', {
      headers: { host: 'evil.example' },
      key,
    });
    expect(keyed.status).toBe(403);
    for (const host of ['gq.internal:8080', 'GQ.INTERNAL', '127.1.2.3', 'localhost']) {
      const res = await strict.call('GET', '/api/v1/stats', { headers: { host } });
      expect(res.status, host).toBe(200);
    }
    await strict.close();

    let peer = '127.0.0.1';
    const open = await local({ anyHostWithKey: true, getRemoteAddress: () => peer });
    const viewer = await open.key('viewer');
    const headers = { host: 'gq.lan:8080' };
    expect((await open.call('GET', '/api/v1/stats', { headers, key: viewer })).status).toBe(200);
    expect((await open.call('GET', '/api/v1/stats', { headers })).status).toBe(403);
    const bogus = await open.call('GET', '/api/v1/stats', { headers, key: 'gq_nope_nope' });
    expect(bogus.status).toBe(401);
    // A caller from another machine is never trusted without a key: it hears that it needs one.
    peer = '192.168.1.20';
    const remote = await open.call('GET', '/api/v1/stats', { headers });
    expect(remote.status).toBe(401);
    expect(remote.body.error.code).toBe('unauthorized');
    expect((await open.call('GET', '/api/v1/stats', { headers, key: viewer })).status).toBe(200);
  });

  it('guards /health, /metrics and the OpenAPI document, but not /live and /ready', async () => {
    const fx = (f = await createApiFixture({ auth: 'required' }));
    const headers = { host: 'evil.example' };
    for (const path of ['/health', '/metrics', '/api/v1/openapi.json', '/api/v1/nowhere']) {
      expect((await fx.call('GET', path, { headers })).status, path).toBe(403);
    }
    for (const path of ['/live', '/ready']) {
      expect((await fx.call('GET', path, { headers })).status, path).toBe(200);
    }
  });

  it('answers a preflight of another origin with 403 and no CORS header', async () => {
    const fx = await local();
    const res = await fx.app.request('/api/v1/jobs', {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(403);
    expect([...res.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual(
      [],
    );
  });

  it('answers 415 to a body that is not declared JSON, and takes an empty untyped POST', async () => {
    const fx = await local();
    const job = await fx.submit('t');
    const plain = await fx.call('POST', '/api/v1/jobs', {
      raw: '{"type":"t"}',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
    });
    expect(plain.status).toBe(415);
    expect(plain.body.error).toEqual({
      code: 'unsupported_media_type',
      message:
        'request bodies must be JSON (Content-Type: application/json); got text/plain;charset=UTF-8',
      details: { content_type: 'text/plain;charset=UTF-8' },
    });
    const untyped = await fx.app.request('/api/v1/jobs', {
      method: 'POST',
      body: new Blob(['{"type":"t"}']),
      headers: { 'content-length': '12' },
    });
    expect(untyped.status).toBe(415);
    expect(((await untyped.json()) as { error: { message: string } }).error.message).toBe(
      'request bodies must be JSON (Content-Type: application/json); got no Content-Type',
    );
    expect((await fx.store.counts()).total).toBe(1);
    const cancel = await fx.app.request(`/api/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(200);
  });

  it('lets everything through when auth is off', async () => {
    const fx = (f = await createApiFixture({ auth: 'off' }));
    const res = await fx.call('POST', '/api/v1/jobs', {
      raw: '{"type":"t"}',
      headers: {
        'content-type': 'text/plain',
        origin: 'http://evil.example',
        'sec-fetch-site': 'cross-site',
        host: 'evil.example',
      },
    });
    expect(res.status).toBe(201);
  });
});
