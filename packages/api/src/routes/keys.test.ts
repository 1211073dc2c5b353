/* eslint-disable @typescript-eslint/no-unsafe-call -- tests read JSON answers as any */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

let f: ApiFixture;
beforeEach(async () => {
  f = await createApiFixture({ auth: 'required' });
});
afterEach(async () => {
  await f.close();
});

describe('POST /api/v1/keys', () => {
  it('refuses a blank name or an empty queue list with a 400 naming it, creating nothing', async () => {
    const admin = await f.key('admin');
    const before = (await f.keys.list()).length;
    for (const [body, field, message] of [
      [{ name: '   ', role: 'viewer' }, 'name', 'name: must not be empty or blank'],
      [{ name: '', role: 'viewer' }, 'name', 'name: must not be empty or blank'],
      [
        { name: 'x', role: 'viewer', queues: [] },
        'queues',
        'queues: must name at least one queue; omit it for every queue',
      ],
    ] as const) {
      const res = await f.call('POST', '/api/v1/keys', { body, key: admin });
      expect([res.status, res.body.error.details, res.body.error.message]).toEqual([
        400,
        { field },
        message,
      ]);
    }
    expect((await f.keys.list()).length).toBe(before);
  });
});

describe('API keys of a key restricted to queues', () => {
  it('creates only keys restricted to some of its own queues', async () => {
    const admin = await f.key('admin', ['qa', 'qb']);
    const create = (body: Record<string, unknown>) =>
      f.call('POST', '/api/v1/keys', { body: { name: 'k', role: 'viewer', ...body }, key: admin });
    const omitted = await create({});
    expect(omitted.status).toBe(403);
    expect(omitted.body.error.details).toEqual({ queues: ['qa', 'qb'] });
    const wider = await create({ queues: ['qa', 'qc'] });
    expect(wider.status).toBe(403);
    expect(wider.body.error.message).toBe('this key may not create a key for queue qc');
    expect((await create({ queues: ['qb', 'qa'] })).status).toBe(201);
    expect((await create({ queues: ['qa'] })).status).toBe(201);
    expect((await f.keys.list()).map((k) => k.queues?.join('+')).sort()).toEqual([
      'qa',
      'qa+qb',
      'qb+qa',
    ]);
  });

  it('lists and revokes only keys within its queues, answering 404 for an unknown one', async () => {
    const admin = await f.key('admin', ['qa']);
    const root = (await f.keys.create({ name: 'root', role: 'admin' })).record;
    const other = (await f.keys.create({ name: 'qb', role: 'viewer', queues: ['qb'] })).record;
    const mine = (await f.keys.create({ name: 'qa', role: 'viewer', queues: ['qa'] })).record;
    const listed = await f.call('GET', '/api/v1/keys', { key: admin });
    expect(listed.body.keys.map((k: { name: string }) => k.name).sort()).toEqual(['admin', 'qa']);
    for (const id of [root.id, other.id]) {
      const res = await f.call('DELETE', `/api/v1/keys/${id}`, { key: admin });
      expect(res.status).toBe(403);
      expect(res.body.error.details).toEqual({ id, queues: ['qa'] });
    }
    const unknown = await f.call('DELETE', '/api/v1/keys/0123456789abcdef', { key: admin });
    expect(unknown.status).toBe(404);
    expect((await f.call('DELETE', `/api/v1/keys/${mine.id}`, { key: admin })).status).toBe(204);
    expect((await f.keys.list()).filter((k) => k.revokedAt !== undefined).map((k) => k.id)).toEqual(
      [mine.id],
    );
    const { entries } = await f.audit.list();
    expect(entries.map((e) => [e.action, e.target, e.queues])).toEqual([
      ['key.revoke', mine.id, ['qa']],
    ]);
  });
});
