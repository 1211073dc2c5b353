import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isGqError, type Json, type MetaStore } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from '@gopherqueue/persistence';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKeyManager } from './api-key-manager.js';

const T0 = Date.UTC(2026, 0, 1);
const stores: LevelStore[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

async function setup() {
  const store = await LevelStore.open({ memory: true });
  stores.push(store);
  const meta = store.meta;
  const clock = new ManualClock(T0);
  const puts: string[] = [];
  const counted: MetaStore = {
    get: (key) => meta.get(key),
    put: (key, value: Json) => {
      puts.push(key);
      return meta.put(key, value);
    },
    delete: (key) => meta.delete(key),
    list: (prefix, options) => meta.list(prefix, options),
  };
  return { meta, clock, puts, keys: new ApiKeyManager({ meta: counted, clock }) };
}

async function rawValues(meta: MetaStore): Promise<string> {
  return JSON.stringify(await meta.list(''));
}

describe('ApiKeyManager', () => {
  it('shows the key once and stores only a hash of it', async () => {
    const { meta, keys } = await setup();
    const { key, record } = await keys.create({ name: 'ci', role: 'producer' });
    expect(key).toMatch(/^gq_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(record).toEqual({ id: key.slice(3, 19), name: 'ci', role: 'producer', createdAt: T0 });
    const raw = await rawValues(meta);
    expect(raw).toContain(record.id);
    expect(raw).not.toContain(key);
    expect(raw).not.toContain(key.slice(20));
    expect(JSON.stringify(await keys.list())).not.toMatch(/hash|secret/);
  });

  it('keeps no plain key on disk and verifies it after the store is reopened', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gq-keys-'));
    try {
      let store = await LevelStore.open({ location: dir });
      const { key, record } = await new ApiKeyManager({ meta: store.meta }).create({
        name: 'bootstrap',
        role: 'admin',
      });
      await store.close();
      const secret = Buffer.from(key.slice(20));
      let sawId = false;
      for (const file of await readdir(dir)) {
        const bytes = await readFile(path.join(dir, file));
        expect(bytes.includes(secret)).toBe(false);
        sawId ||= bytes.includes(Buffer.from(record.id));
      }
      expect(sawId).toBe(true);
      store = await LevelStore.open({ location: dir });
      stores.push(store);
      expect((await new ApiKeyManager({ meta: store.meta }).verify(key))?.id).toBe(record.id);
    } finally {
      await Promise.all(stores.splice(0).map((s) => s.close()));
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts the key, also from another manager over the same store', async () => {
    const { meta, clock, keys } = await setup();
    const { key, record } = await keys.create({ name: 'ops', role: 'operator', queues: ['mail'] });
    const verified = await keys.verify(key);
    expect(verified).toEqual({ ...record, queues: ['mail'], lastUsedAt: T0 });
    const other = new ApiKeyManager({ meta, clock });
    expect((await other.verify(key))?.role).toBe('operator');
  });

  it('rejects a wrong secret, a malformed key and an unknown id', async () => {
    const { keys } = await setup();
    const { key } = await keys.create({ name: 'ci', role: 'admin' });
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    expect(await keys.verify(key.slice(0, -1) + last)).toBeUndefined();
    expect(await keys.verify('')).toBeUndefined();
    expect(await keys.verify('not-a-key')).toBeUndefined();
    expect(await keys.verify(key + 'x')).toBeUndefined();
    expect(await keys.verify(key.replace('gq_', 'GQ_'))).toBeUndefined();
    expect(await keys.verify(undefined as unknown as string)).toBeUndefined();
    expect(await keys.verify(`gq_0000000000000000_${key.slice(20)}`)).toBeUndefined();
  });

  it('rejects a revoked key and keeps the first revocation time', async () => {
    const { clock, keys } = await setup();
    const { key, record } = await keys.create({ name: 'old', role: 'viewer' });
    clock.advance(1000);
    expect((await keys.revoke(record.id)).revokedAt).toBe(T0 + 1000);
    expect(await keys.verify(key)).toBeUndefined();
    clock.advance(1000);
    expect((await keys.revoke(record.id)).revokedAt).toBe(T0 + 1000);
    expect((await keys.get(record.id))?.revokedAt).toBe(T0 + 1000);
  });

  it('fails to revoke an unknown key with GQ_NOT_FOUND', async () => {
    const { keys } = await setup();
    const err: unknown = await keys.revoke('0123456789abcdef').catch((e: unknown) => e);
    expect(isGqError(err, 'GQ_NOT_FOUND')).toBe(true);
    expect(isGqError(await keys.revoke('../x').catch((e: unknown) => e), 'GQ_NOT_FOUND')).toBe(
      true,
    );
  });

  it('records a use at most once a minute', async () => {
    const { clock, keys, puts } = await setup();
    const { key, record } = await keys.create({ name: 'w', role: 'worker' });
    puts.length = 0;
    await Promise.all([keys.verify(key), keys.verify(key), keys.verify(key)]);
    clock.advance(59_999);
    expect((await keys.verify(key))?.lastUsedAt).toBe(T0);
    expect(puts).toEqual([`apikeyused/${record.id}`]);
    clock.advance(1);
    expect((await keys.verify(key))?.lastUsedAt).toBe(T0 + 60_000);
    expect(puts).toHaveLength(2);
    expect((await keys.get(record.id))?.lastUsedAt).toBe(T0 + 60_000);
  });

  it('lists every key oldest first with its last use and revocation', async () => {
    const { clock, keys } = await setup();
    const a = await keys.create({ name: 'a', role: 'admin' });
    clock.advance(10);
    const b = await keys.create({ name: 'b', role: 'producer', queues: ['x', 'x', 'y'] });
    clock.advance(10);
    await keys.verify(a.key);
    await keys.revoke(b.record.id);
    expect(await keys.list()).toEqual([
      { id: a.record.id, name: 'a', role: 'admin', createdAt: T0, lastUsedAt: T0 + 20 },
      {
        id: b.record.id,
        name: 'b',
        role: 'producer',
        queues: ['x', 'y'],
        createdAt: T0 + 10,
        revokedAt: T0 + 20,
      },
    ]);
    expect(await keys.get('ffffffffffffffff')).toBeUndefined();
  });

  it('rejects an invalid name, role or queue list', async () => {
    const { keys } = await setup();
    await expect(keys.create({ name: ' ', role: 'admin' })).rejects.toThrow(TypeError);
    await expect(keys.create({ name: 'a'.repeat(201), role: 'admin' })).rejects.toThrow(RangeError);
    await expect(keys.create({ name: 'k', role: 'root' as 'admin' })).rejects.toThrow(
      /role must be one of admin, operator, producer, worker, viewer/,
    );
    await expect(keys.create({ name: 'k', role: 'admin', queues: [] })).rejects.toThrow(RangeError);
    await expect(keys.create({ name: 'k', role: 'admin', queues: [''] })).rejects.toThrow(
      TypeError,
    );
  });
});
