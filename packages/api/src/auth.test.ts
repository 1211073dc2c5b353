/* eslint-disable @typescript-eslint/no-unsafe-call -- tests read JSON answers as any */
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopback } from './auth.js';
import { createApiFixture, type ApiFixture } from './testing/api-fixture.js';

/** A well-formed job id that no store holds. */
const UNKNOWN_ID = '0190a000-0000-7000-8000-000000000000';

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

describe('isLoopback', () => {
  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      expect(isLoopback(a)).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '0.0.0.0', '', undefined])
      expect(isLoopback(a)).toBe(false);
  });
});

describe('auth: required', () => {
  it('answers 401 without a key, 403 without the permission, and lets a producer submit', async () => {
    const fx = (f = await createApiFixture({ auth: 'required' }));
    const none = await fx.call('POST', '/api/v1/jobs', { body: { type: 't' } });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const wrong = await fx.call('GET', '/api/v1/stats', { key: 'gq_nope_nope' });
    expect(wrong.status).toBe(401);

    const viewer = await fx.key('viewer');
    const denied = await fx.call('POST', '/api/v1/jobs', { body: { type: 't' }, key: viewer });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({
      code: 'forbidden',
      details: { permission: 'jobs:submit' },
    });
    expect((await fx.call('GET', '/api/v1/jobs', { key: viewer })).status).toBe(200);

    const producer = await fx.key('producer');
    const ok = await fx.call('POST', '/api/v1/jobs', { body: { type: 't' }, key: producer });
    expect(ok.status).toBe(201);
    const bearer = await fx.call('POST', '/api/v1/jobs', {
      body: { type: 't' },
      headers: { authorization: `Bearer ${producer}` },
    });
    expect(bearer.status).toBe(201);
    const cancel = await fx.call('POST', `/api/v1/jobs/${ok.body.id}/cancel`, { key: producer });
    expect(cancel.status).toBe(403);
  });

  it('refuses a revoked key with 401', async () => {
    const fx = (f = await createApiFixture({ auth: 'required' }));
    const admin = await fx.key('admin');
    const created = await fx.call('POST', '/api/v1/keys', {
      body: { name: 'ci', role: 'producer' },
      key: admin,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'ci', role: 'producer' });
    const key = created.body.key as string;
    expect((await fx.call('POST', '/api/v1/jobs', { body: { type: 't' }, key })).status).toBe(201);
    const revoked = await fx.call('DELETE', `/api/v1/keys/${created.body.id}`, { key: admin });
    expect(revoked.status).toBe(204);
    expect((await fx.call('POST', '/api/v1/jobs', { body: { type: 't' }, key })).status).toBe(401);
    const listed = await fx.call('GET', '/api/v1/keys', { key: admin });
    const ci = listed.body.keys.find((k: { id: string }) => k.id === created.body.id);
    expect(ci.revoked_at).toEqual(expect.any(String));
    expect(JSON.stringify(listed.body)).not.toContain(key);
  });

  it('never asks a key for /live and /ready, but does for /health and /metrics', async () => {
    const fx = (f = await createApiFixture({ auth: 'required' }));
    expect((await fx.call('GET', '/live')).status).toBe(200);
    expect((await fx.call('GET', '/ready')).status).toBe(200);
    expect((await fx.call('GET', '/health')).status).toBe(401);
    expect((await fx.call('GET', '/metrics')).status).toBe(401);
  });

  it('keeps keys and the audit log to admins', async () => {
    const fx = (f = await createApiFixture({ auth: 'required' }));
    const operator = await fx.key('operator');
    expect((await fx.call('GET', '/api/v1/keys', { key: operator })).status).toBe(403);
    expect((await fx.call('GET', '/api/v1/audit', { key: operator })).status).toBe(403);
    const worker = await fx.key('worker');
    const claim = await fx.call('POST', '/api/v1/workers/claim', {
      body: { worker_id: 'w' },
      key: worker,
    });
    expect(claim.status).toBe(200);
    expect(
      (await fx.call('POST', '/api/v1/workers/claim', { body: { worker_id: 'w' }, key: operator }))
        .status,
    ).toBe(403);
  });

  it('limits a key with queues to those queues', async () => {
    const fx = (f = await createApiFixture({ auth: 'required' }));
    const key = await fx.key('producer', ['mail']);
    expect(
      (await fx.call('POST', '/api/v1/jobs', { body: { type: 't', queue: 'mail' }, key })).status,
    ).toBe(201);
    const other = await fx.call('POST', '/api/v1/jobs', { body: { type: 't' }, key });
    expect(other.status).toBe(403);
    const foreign = await fx.submit('t', null, { queue: 'billing' });
    // A job of another queue is answered as unknown: the key learns neither it nor its queue.
    const hidden = await fx.call('GET', `/api/v1/jobs/${foreign.id}`, { key });
    expect([hidden.status, hidden.body.error.code, JSON.stringify(hidden.body)]).toEqual([
      404,
      'not_found',
      JSON.stringify((await fx.call('GET', `/api/v1/jobs/${UNKNOWN_ID}`, { key })).body).replaceAll(
        UNKNOWN_ID,
        foreign.id,
      ),
    ]);
    const operator = await fx.key('operator', ['mail']);
    const cancel = await fx.call('POST', `/api/v1/jobs/${foreign.id}/cancel`, { key: operator });
    expect(cancel.status).toBe(404);
    expect((await fx.store.get(foreign.id))?.state).toBe(foreign.state);
    const list = await fx.call('GET', '/api/v1/jobs', { key });
    expect(list.body.jobs.map((j: { queue: string }) => j.queue)).toEqual(['mail']);
  });
});

describe('auth: protected', () => {
  it('trusts loopback peers as admin and asks others for a key', async () => {
    let address: string | undefined = '127.0.0.1';
    const fx = (f = await createApiFixture({ auth: 'protected', getRemoteAddress: () => address }));
    expect((await fx.call('POST', '/api/v1/jobs', { body: { type: 't' } })).status).toBe(201);
    expect((await fx.call('GET', '/api/v1/keys')).status).toBe(200);
    address = '::1';
    expect((await fx.call('GET', '/api/v1/audit')).status).toBe(200);

    address = '192.168.1.20';
    expect((await fx.call('POST', '/api/v1/jobs', { body: { type: 't' } })).status).toBe(401);
    const key = await fx.key('producer');
    expect((await fx.call('POST', '/api/v1/jobs', { body: { type: 't' }, key })).status).toBe(201);
    address = undefined;
    expect((await fx.call('GET', '/api/v1/stats')).status).toBe(401);
  });

  it('does not trust a loopback request sent by a web page of another origin', async () => {
    const fx = (f = await createApiFixture({
      auth: 'protected',
      getRemoteAddress: () => '127.0.0.1',
    }));
    const res = await fx.call('POST', '/api/v1/jobs', {
      body: { type: 't' },
      headers: { origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.details).toEqual({ origin: 'https://evil.example' });
    expect((await fx.store.counts()).total).toBe(0);
  });
});

describe('the audit log', () => {
  it('records operator and admin actions with their actor', async () => {
    const fx = (f = await createApiFixture({
      auth: 'protected',
      getRemoteAddress: () => '10.0.0.9',
    }));
    const operator = await fx.key('operator');
    const admin = await fx.key('admin');
    const operatorId = (await fx.keys.list()).find((k) => k.role === 'operator')!.id;
    const job = await fx.submit('t');
    await fx.call('POST', `/api/v1/jobs/${job.id}/cancel`, {
      body: { reason: 'r' },
      key: operator,
    });
    await fx.call('POST', '/api/v1/queues/mail/pause', { key: operator });
    const page = await fx.call('GET', '/api/v1/audit', { key: admin });
    expect(page.status).toBe(200);
    expect(
      page.body.entries.map((e: { action: string; actor: string; target: string }) => [
        e.action,
        e.actor,
        e.target,
      ]),
    ).toEqual([
      ['queue.pause', operatorId, 'mail'],
      ['job.cancel', operatorId, job.id],
    ]);
    expect(page.body.entries[1].details).toEqual({ previous: 'scheduled', reason: 'r' });
  });

  it('records a trusted local caller as local', async () => {
    const fx = (f = await createApiFixture({ auth: 'off' }));
    const job = await fx.submit('t');
    await fx.call('DELETE', `/api/v1/jobs/${job.id}`);
    const { entries } = await fx.audit.list();
    expect(entries.map((e) => [e.action, e.actor, e.target])).toEqual([
      ['job.delete', 'local', job.id],
    ]);
  });
});
