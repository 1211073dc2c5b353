import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { createJob, type Job, type JobOptions, type Store } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { readJobRecord } from './job-record.js';
import { LevelStore } from './level-store.js';
import { runStoreContract } from '../testing/index.js';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const INDEX = fileURLToPath(new URL('../index.ts', import.meta.url));
const run = promisify(execFile);

const dirs = new Map<Store, string>();

runStoreContract('LevelStore on disk', {
  async create(clock) {
    const dir = mkdtempSync(path.join(tmpdir(), 'gq-level-'));
    const store = await LevelStore.open({ location: dir, clock });
    dirs.set(store, dir);
    return store;
  },
  async destroy(store) {
    await store.close();
    const dir = dirs.get(store);
    dirs.delete(store);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  },
});

// Heads of two jobs: every claim, list and transition also runs through the refills of the ready
// index from disk and the writes that race with them.
runStoreContract('LevelStore on disk with tiny ready heads', {
  async create(clock) {
    const dir = mkdtempSync(path.join(tmpdir(), 'gq-level-'));
    const store = await LevelStore.open({ location: dir, clock, headSize: 2 });
    dirs.set(store, dir);
    return store;
  },
  async destroy(store) {
    await store.close();
    const dir = dirs.get(store);
    dirs.delete(store);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  },
});

runStoreContract('LevelStore in memory', {
  create: (clock) => LevelStore.open({ memory: true, clock }),
  destroy: (store) => store.close(),
});

describe('LevelStore', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  function tempDir(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'gq-level-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  async function open(options: Parameters<typeof LevelStore.open>[0]): Promise<LevelStore> {
    const store = await LevelStore.open(options);
    cleanup.push(() => store.close());
    return store;
  }

  function submitter(store: Store, clock: ManualClock) {
    return async (type: string, options: JobOptions = {}, payload: unknown = null): Promise<Job> =>
      (await store.submit(createJob(type, payload, options, clock.now()))).job;
  }

  async function claim(store: Store, types: string[]): Promise<Job> {
    const [job] = await store.claim({ workerId: 'w1', limit: 1, leaseMs: 10_000, types });
    if (job === undefined) throw new Error(`nothing of ${types.join(',')} to claim`);
    return job;
  }

  it('finds every job exactly as acknowledged after reopening the directory', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await LevelStore.open({ location: dir, clock });
    const submit = submitter(first, clock);
    const done = await submit('done', { idempotencyKey: 'once' }, { n: 1 });
    const dead = await submit('dead', { maxAttempts: 1 });
    const running = await submit('run');
    const waiting = await submit('wait', { dependsOn: [running.id] });
    const delayed = await submit('later', { delay: 60_000 });
    const retrying = await submit('flaky');
    const cancelled = await submit('drop');
    const paused = await submit('held', { queue: 'slow' });
    const claimedDone = await claim(first, ['done']);
    await first.complete(done.id, claimedDone.leaseToken ?? '', { ok: true });
    const claimedDead = await claim(first, ['dead']);
    const error = { message: 'boom', errorClass: 'error' as const };
    await first.fail(dead.id, claimedDead.leaseToken ?? '', {
      error,
      outcome: { state: 'dead_letter' },
    });
    const lease = await claim(first, ['run']);
    await first.heartbeat(running.id, lease.leaseToken ?? '', { leaseMs: 10_000, progress: 40 });
    const claimedFlaky = await claim(first, ['flaky']);
    await first.fail(retrying.id, claimedFlaky.leaseToken ?? '', {
      error,
      outcome: { state: 'retrying', runAt: clock.now() + 5_000 },
    });
    await first.cancel(cancelled.id, 'operator');
    await first.pauseQueue('slow');
    await first.meta.put('settings', { theme: 'dark' });
    const ids = [done, dead, running, waiting, delayed, retrying, cancelled, paused].map(
      (j) => j.id,
    );
    const acked = await first.getMany(ids);
    const counts = await first.counts();
    const queues = await first.listQueues();
    const lastSeq = Math.max(...acked.map((job) => job?.seq ?? 0));
    await first.close();

    const store = await open({ location: dir, clock });
    expect(await store.getMany(ids)).toStrictEqual(acked);
    expect(acked.map((job) => job?.state)).toEqual([
      'completed',
      'dead_letter',
      'running',
      'pending',
      'delayed',
      'retrying',
      'cancelled',
      'scheduled',
    ]);
    expect(await store.counts()).toStrictEqual(counts);
    expect(await store.listQueues()).toStrictEqual(queues);
    expect(await store.meta.get('settings')).toStrictEqual({ theme: 'dark' });
    expect((await store.list({ state: 'completed' })).jobs).toStrictEqual([acked[0]]);

    const again = await store.submit(
      createJob('done', null, { idempotencyKey: 'once' }, clock.now()),
    );
    expect(again).toStrictEqual({ job: acked[0], deduplicated: true });
    const fresh = await submitter(store, clock)('fresh');
    expect(fresh.seq).toBe(lastSeq + 1);

    clock.advance(10_001);
    expect((await store.expiredLeases(clock.now(), 10)).map((job) => job.id)).toEqual([running.id]);
    await store.complete(running.id, lease.leaseToken ?? '', 'ran');
    expect((await store.get(waiting.id))?.state).toBe('scheduled');
    const next = await store.claim({ workerId: 'w2', limit: 10, leaseMs: 1_000 });
    expect(next.map((job) => job.id)).toEqual([waiting.id, fresh.id, retrying.id]);
    clock.advance(60_000);
    expect(
      (await store.claim({ workerId: 'w2', limit: 10, leaseMs: 1_000 })).map((j) => j.id),
    ).toEqual([delayed.id]);
  });

  it('scopes the idempotency keys of a directory written before keys were per queue', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await LevelStore.open({ location: dir, clock });
    const submit = submitter(first, clock);
    const active = await submit('t', { queue: 'qa', idempotencyKey: 'k!1~' }, 'a');
    const done = await submit('done', { queue: 'qb', idempotencyKey: 'k2' }, 'b');
    const claimed = await claim(first, ['done']);
    await first.complete(done.id, claimed.leaseToken ?? '', { ok: true });
    const finished = await first.get(done.id);
    await first.close();

    // Rewrite the idempotency entries as the older layout had them: `idem!<key>`, no queue.
    const raw = new ClassicLevel<string, string>(dir);
    const scoped = await raw.iterator({ gte: 'qidem!', lt: 'qidem"' }).all();
    expect(scoped.map(([key]) => key).sort()).toEqual(['qidem!qa!k!1~', 'qidem!qb!k2']);
    const legacy = raw.batch();
    for (const [key, id] of scoped) {
      legacy.del(key).put(`idem!${key.slice(key.indexOf('!', 'qidem!'.length) + 1)}`, id);
    }
    legacy.put('idem!orphan', '0190a0b0-0000-7000-8000-000000000000');
    // That layout predates the format record.
    legacy.del('sys!format');
    await legacy.write();
    await raw.close();

    const store = await LevelStore.open({ location: dir, clock });
    const again = (queue: string, key: string) =>
      store.submit(createJob('t', 'again', { queue, idempotencyKey: key }, clock.now()));
    expect(await again('qa', 'k!1~')).toStrictEqual({ job: active, deduplicated: true });
    expect(await again('qb', 'k2')).toStrictEqual({ job: finished, deduplicated: true });
    const elsewhere = await again('qb', 'k!1~');
    expect(elsewhere.deduplicated).toBe(false);
    expect(elsewhere.job).toMatchObject({ queue: 'qb', payload: 'again' });
    expect((await again('default', 'orphan')).deduplicated).toBe(false);
    await store.close();

    const check = new ClassicLevel<string, string>(dir);
    expect(await check.keys({ gte: 'idem!', lt: 'idem"' }).all()).toEqual([]);
    expect(await check.keys({ gte: 'qidem!', lt: 'qidem"' }).all()).toEqual([
      'qidem!default!orphan',
      'qidem!qa!k!1~',
      'qidem!qb!k!1~',
      'qidem!qb!k2',
    ]);
    await check.close();
  });

  it('passes over records that do not read as jobs: opens, lists, gets and claims around them, and keeps them', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await LevelStore.open({ location: dir, clock });
    const submit = submitter(first, clock);
    const jobs: Job[] = [];
    for (let i = 0; i < 6; i++) jobs.push(await submit('t', {}, { i }));
    const [r1, r2, done] = await first.claim({ workerId: 'w1', limit: 3, leaseMs: 60_000 });
    await first.complete(done!.id, done!.leaseToken!, null);
    await first.close();

    // Each record of five jobs replaced by something that is not one: two running (one that
    // does not parse, one `null`), the completed one with odd types, two waiting ones.
    const odd: [string, string][] = [
      [r1!.id, '{'],
      [r2!.id, 'null'],
      [done!.id, JSON.stringify({ id: 1, state: 42 })],
      [jobs[3]!.id, '[1,2'],
      [jobs[4]!.id, JSON.stringify({ ...jobs[4], state: 'sleeping' })],
    ];
    const raw = new ClassicLevel<string, string>(dir);
    for (const [id, value] of odd) await raw.put(`job!${id}`, value);
    await raw.close();

    const store = await LevelStore.open({ location: dir, clock });
    const ids = async (filter: Parameters<Store['list']>[0]) =>
      (await store.list(filter)).jobs.map((job) => job.id);
    const readable = jobs[5]!.id;
    expect(await ids({})).toEqual([readable]);
    expect(await ids({ state: 'scheduled' })).toEqual([readable]);
    expect(await ids({ state: 'running' })).toEqual([]);
    expect(await ids({ state: 'completed' })).toEqual([]);
    expect(await ids({ type: 't' })).toEqual([readable]);
    for (const [id] of odd) expect(await store.get(id)).toBeUndefined();
    const claimed = await store.claim({ workerId: 'w2', limit: 10, leaseMs: 60_000 });
    expect(claimed.map((job) => job.id)).toEqual([readable]);
    await store.close();

    // Nothing was lost: every odd record is on disk as it was.
    const check = new ClassicLevel<string, string>(dir);
    for (const [id, value] of odd) expect(await check.get(`job!${id}`)).toBe(value);
    await check.close();
  });

  it('rebuilds counts and the last seq that do not read, and passes over odd limits and meta values', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await LevelStore.open({ location: dir, clock });
    const submit = submitter(first, clock);
    for (const type of ['a', 'b', 'c']) await submit(type, { queue: 'q' });
    const done = await claim(first, ['a']);
    await first.complete(done.id, done.leaseToken!, null);
    await first.setQueue('q', { concurrency: 1 });
    await first.meta.put('k1', { x: 1 });
    await first.meta.put('k2', { y: 2 });
    const before = await first.counts();
    await first.close();

    const raw = new ClassicLevel<string, string>(dir);
    await raw.open();
    await raw
      .batch()
      .put('sys!counts', '{')
      .put('sys!seq', 'abc')
      .put('qset!q', JSON.stringify({ concurrency: 'many', rate: null }))
      .put('meta!k2', '{')
      .write();
    await raw.close();

    const rebuilt = await LevelStore.open({ location: dir, clock });
    expect(await rebuilt.counts()).toEqual(before);
    await rebuilt.close();
    // Written back at that open: the next one reads them as they are.
    const written = new ClassicLevel<string, string>(dir);
    await written.open();
    expect(await written.get('sys!seq')).toBe('3');
    expect(JSON.parse((await written.get('sys!counts')) ?? 'null')).toMatchObject({
      byPriority: expect.any(Array) as unknown,
    });
    await written.close();

    const store = await open({ location: dir, clock });
    expect(await store.counts()).toEqual(before);
    expect((await store.counts()).byState).toMatchObject({ completed: 1, scheduled: 2 });
    const next = await submitter(store, clock)('d', { queue: 'q' });
    expect(next.seq).toBe(4);
    const queue = await store.getQueue('q');
    expect([queue.concurrency, queue.rate]).toEqual([null, null]);
    expect(await store.meta.list('')).toEqual([
      { key: 'k1', value: { x: 1 } },
      { key: 'k2', value: null },
    ]);
    expect(await store.meta.get('k2')).toBeNull();
  });

  it('opens past ready-index keys no job can have, and claims each job once', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await LevelStore.open({ location: dir, clock });
    const submit = submitter(first, clock);
    const a = await submit('t', { queue: 'q' });
    const b = await submit('t', { queue: 'q' });
    const c = await submit('t', { queue: 'q', priority: 1 });
    await first.close();

    // A priority that is not a number (the seek after it used to land on it again: open never
    // ended), a key without its parts, one past the end of its bucket, a priority written as 02,
    // and a key that is a bucket's prefix without its end.
    const raw = new ClassicLevel<string, string>(dir);
    await raw.open();
    await raw
      .batch()
      .put('rdy!q!t!x!000000000000001!000000000000001', a.id)
      .put('rdy!q2', b.id)
      .put('rdy!q!t!2!\u00ff', b.id)
      .put('rdy!q!t!02!000000000000001!000000000000001', a.id)
      // Sorts right before the real bucket of priority 1: stepping past it must not skip that.
      .put('rdy!q!t!1', b.id)
      .write();
    await raw.close();

    const store = await open({ location: dir, clock });
    const claimed = await store.claim({ workerId: 'w1', limit: 10, leaseMs: 10_000 });
    expect(claimed.map((job) => job.id)).toEqual([c.id, a.id, b.id]);
    expect(await store.claim({ workerId: 'w1', limit: 10, leaseMs: 10_000 })).toEqual([]);
  });

  it('indexes the dependents of a format 2 directory at open, once, and lists them', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await LevelStore.open({ location: dir, clock });
    const submit = submitter(first, clock);
    const a = await submit('a', { delay: 60_000 });
    const b = await submit('b', { dependsOn: [a.id] });
    const c = await submit('c', { dependsOn: [a.id, b.id] });
    await first.close();

    // Format 2 had no `dby!` index: take it away and mark the directory as that layout, with one
    // record that does not parse, which the upgrade passes over.
    const raw = new ClassicLevel<string, string>(dir);
    const indexed = await raw.keys({ gte: 'dby!', lt: 'dby"' }).all();
    expect(indexed.sort()).toEqual(
      [`dby!${a.id}!${b.id}`, `dby!${a.id}!${c.id}`, `dby!${b.id}!${c.id}`].sort(),
    );
    const older = raw
      .batch()
      .put('sys!format', '2')
      .put('job!0190a0b0-0000-7000-8000-00000000000f', '{');
    for (const key of indexed) older.del(key);
    await older.write();
    await raw.close();

    const store = await LevelStore.open({ location: dir, clock });
    const dependents = async (id: string) =>
      (await store.list({ dependsOn: id })).jobs.map((job) => job.id);
    expect(await dependents(a.id)).toEqual([c.id, b.id]);
    expect(await dependents(b.id)).toEqual([c.id]);
    expect(await dependents(c.id)).toEqual([]);
    await store.close();

    const check = new ClassicLevel<string, string>(dir);
    expect(await check.get('sys!format')).toBe('4');
    expect((await check.keys({ gte: 'dby!', lt: 'dby"' }).all()).sort()).toEqual(indexed.sort());
    await check.close();
  });

  it('opens a format 3 directory (records written whole) as it is, and writes records short after', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await LevelStore.open({ location: dir, clock });
    const submit = submitter(first, clock);
    const a = await submit('a', { delay: 60_000 });
    const b = await submit('b', { dependsOn: [a.id], tags: { t: '1' } });
    const c = await submit('c', { backoff: { strategy: 'constant', initialMs: 5_000 } });
    await first.close();

    // Format 3 wrote every field of a record; its `dby!` entries were complete, so the open must
    // not index them again: one is taken away to see that it stays away.
    const raw = new ClassicLevel<string, string>(dir);
    await raw.open();
    const whole = new Map<string, string>();
    const older = raw.batch().put('sys!format', '3').del(`dby!${a.id}!${b.id}`);
    for (const job of [a, b, c]) {
      const record = readJobRecord(await raw.get(`job!${job.id}`));
      expect(record).toEqual(job);
      whole.set(job.id, JSON.stringify(record));
      older.put(`job!${job.id}`, JSON.stringify(record));
    }
    await older.write();
    // The records of format 4 are shorter: `a` had its backoff, lists and tags left out.
    expect(JSON.parse(whole.get(a.id) ?? '')).toHaveProperty('backoff');
    await raw.close();

    const store = await LevelStore.open({ location: dir, clock });
    for (const job of [a, b, c]) expect(await store.get(job.id)).toEqual(job);
    expect((await store.list({ dependsOn: a.id })).jobs).toEqual([]);
    const [claimed] = await store.claim({ workerId: 'w', limit: 1, leaseMs: 60_000 });
    expect(claimed?.id).toBe(c.id);
    await store.close();

    const check = new ClassicLevel<string, string>(dir);
    expect(await check.get('sys!format')).toBe('4');
    expect(await check.get(`job!${a.id}`)).toBe(whole.get(a.id));
    expect(await check.get(`job!${b.id}`)).toBe(whole.get(b.id));
    // Rewritten by its claim, short: its backoff is not the usual one and stays.
    const rewritten = JSON.parse((await check.get(`job!${c.id}`)) ?? '') as Record<string, unknown>;
    expect(rewritten.backoff).toEqual(c.backoff);
    expect(rewritten).not.toHaveProperty('errors');
    expect(readJobRecord(await check.get(`job!${c.id}`))).toEqual(claimed);
    await check.close();
  });

  it('reads a job stored before transitions were recorded without any, then records its next', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await LevelStore.open({ location: dir, clock });
    const job = (await first.submit(createJob('t', 'old', {}, clock.now()))).job;
    await first.close();
    const raw = new ClassicLevel<string, string>(dir);
    const stored = readJobRecord(await raw.get(`job!${job.id}`));
    if (stored === undefined) throw new Error('the record does not read');
    const { transitions, ...older } = stored;
    expect(transitions).toEqual([{ state: 'scheduled', at: clock.now(), attempt: 0 }]);
    await raw.put(`job!${job.id}`, JSON.stringify(older));
    await raw.close();

    clock.advance(1_000);
    const store = await LevelStore.open({ location: dir, clock });
    expect(await store.get(job.id)).toEqual(older);
    const [claimed] = await store.claim({ workerId: 'w', limit: 1, leaseMs: 60_000 });
    expect(claimed?.transitions).toEqual([{ state: 'running', at: clock.now(), attempt: 1 }]);
    await store.close();
    const again = await LevelStore.open({ location: dir, clock });
    expect((await again.get(job.id))?.transitions).toEqual(claimed?.transitions);
    await again.close();
  });

  it('refuses a directory of a newer layout, naming both numbers, and leaves it as it was', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await LevelStore.open({ location: dir, clock });
    const job = (await first.submit(createJob('t', 'kept', {}, clock.now()))).job;
    await first.close();
    const raw = new ClassicLevel<string, string>(dir);
    await raw.put('sys!format', '5');
    await raw.close();
    await expect(LevelStore.open({ location: dir, clock })).rejects.toMatchObject({
      code: 'GQ_STORE_UNAVAILABLE',
      message:
        'the data directory was written by a newer GopherQueue (layout 5; this one reads up to 4): upgrade gq, or export with the newer one and import here',
      details: { format: 5, supported: 4 },
    });
    const check = new ClassicLevel<string, string>(dir);
    expect(await check.get('sys!format')).toBe('5');
    expect(readJobRecord(await check.get(`job!${job.id}`))).toEqual(job);
    await check.close();
  });

  it('refuses a second process the same directory with GQ_STORE_LOCKED', async () => {
    const dir = tempDir();
    await open({ location: dir });
    const script = [
      `import { LevelStore } from ${JSON.stringify(INDEX)};`,
      'try { await LevelStore.open({ location: process.argv[1] }); console.log("{}"); }',
      'catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }',
    ].join('\n');
    const { stdout } = await run(
      process.execPath,
      [
        '--conditions=@gopherqueue/source',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
        dir,
      ],
      { cwd: ROOT },
    );
    expect(JSON.parse(stdout)).toEqual({
      code: 'GQ_STORE_LOCKED',
      message: `data directory ${dir} is in use by another process (is another gq serve running?)`,
    });
  });

  it('with createIfMissing false, opens an existing store and creates none where there is none', async () => {
    const parent = tempDir();
    const missing = path.join(parent, 'missing');
    const refusal = {
      name: 'GqError',
      code: 'GQ_NOT_FOUND',
      message: `no store at ${missing}`,
    };
    await expect(
      LevelStore.open({ location: missing, createIfMissing: false }),
    ).rejects.toMatchObject(refusal);
    expect(existsSync(missing)).toBe(false);
    mkdirSync(missing);
    await expect(
      LevelStore.open({ location: missing, createIfMissing: false }),
    ).rejects.toMatchObject(refusal);
    expect(readdirSync(missing)).toEqual([]);
    const clock = new ManualClock();
    const created = await LevelStore.open({ location: missing, clock });
    const job = await submitter(created, clock)('kept', {});
    await created.close();
    const reopened = await open({ location: missing, createIfMissing: false, clock });
    expect((await reopened.get(job.id))?.type).toBe('kept');
  });

  it('keeps queue settings across a reopen, and the running jobs count against concurrency', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await LevelStore.open({ location: dir, clock });
    const submit = submitter(first, clock);
    await first.setQueue('limited', { concurrency: 2, rate: { limit: 10, periodMs: 60_000 } });
    await first.setQueue('stopped', { paused: true, concurrency: 3 });
    await first.setQueue('cleared', { concurrency: 4 });
    await first.setQueue('cleared', { concurrency: null });
    for (let i = 0; i < 3; i++) await submit('t', { queue: 'limited' });
    await claim(first, ['t']);
    await first.close();
    const second = await open({ location: dir, clock });
    expect(await second.listQueues()).toMatchObject([
      { name: 'limited', paused: false, concurrency: 2, rate: { limit: 10, periodMs: 60_000 } },
      { name: 'stopped', paused: true, concurrency: 3, rate: null },
    ]);
    // The job running before the restart still holds a slot (until recovery takes it back).
    expect(await second.claim({ workerId: 'w', limit: 5, leaseMs: 10_000 })).toHaveLength(1);
  });

  it('hints a runnable job before its submit is durable, and lets a claim take it then', async () => {
    const clock = new ManualClock();
    const store = await open({ location: tempDir(), clock });
    const hints: string[] = [];
    const stop = store.watchRunnable(() => hints.push('hint'));
    let acknowledged = false;
    const batch = store
      .submitBatch([1, 2, 3].map((i) => createJob('now', i, {}, clock.now())))
      .then((results) => {
        acknowledged = true;
        return results;
      });
    // The step is applied in memory at once; its write is synced on LevelDB's thread.
    await Promise.resolve();
    expect(hints).toEqual(['hint']);
    const early = await store.claim({ workerId: 'w', limit: 1, leaseMs: 10_000 });
    expect(early.map((job) => job.payload)).toEqual([1]);
    expect(acknowledged).toBe(false);
    expect((await batch).map((r) => r.job.payload)).toEqual([1, 2, 3]);

    // Nothing for a job not due yet, nor for a claim or a completion.
    await store.submit(createJob('later', null, { delay: 60_000 }, clock.now()));
    const [job] = early;
    await store.complete(job?.id as string, job?.leaseToken as string, null);
    await Promise.resolve();
    expect(hints).toEqual(['hint']);
    // A job released to run now is due again: one hint; after `stop`, none.
    const [second] = await store.claim({ workerId: 'w', limit: 1, leaseMs: 10_000 });
    await store.release(second?.id as string, second?.leaseToken as string, { runAt: clock.now() });
    expect(hints).toEqual(['hint', 'hint']);
    stop();
    await store.submit(createJob('now', 4, {}, clock.now()));
    await Promise.resolve();
    expect(hints).toEqual(['hint', 'hint']);
  });

  it('keeps a memory store off the disk and apart from other memory stores', async () => {
    const location = path.join(tempDir(), 'unused');
    const clock = new ManualClock();
    const one = await open({ location, memory: true, clock });
    const two = await open({ location, memory: true, clock });
    const job = await submitter(one, clock)('mem', {}, { a: 1 });
    expect(await one.get(job.id)).toStrictEqual(job);
    expect(await two.get(job.id)).toBeUndefined();
    expect((await two.counts()).total).toBe(0);
    expect(existsSync(location)).toBe(false);
  });

  it('keeps every acknowledged write in relaxed mode across a reopen', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await LevelStore.open({ location: dir, clock, durability: 'relaxed' });
    const submit = submitter(first, clock);
    const jobs = await Promise.all(Array.from({ length: 50 }, (_, i) => submit('relaxed', {}, i)));
    const claimed = await first.claim({ workerId: 'w', limit: 20, leaseMs: 1_000 });
    await Promise.all(
      claimed.map((job) => first.complete(job.id, job.leaseToken ?? '', job.payload)),
    );
    const acked = await first.getMany(jobs.map((job) => job.id));
    await first.close();
    const store = await open({ location: dir, clock, durability: 'relaxed' });
    expect(await store.getMany(jobs.map((job) => job.id))).toStrictEqual(acked);
    expect((await store.counts()).byState).toMatchObject({ completed: 20, scheduled: 30 });
  });

  it('fails every call with GQ_STORE_FAILED once a write fails', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const store = await open({ location: dir, clock });
    // With its directory gone, the database fails as soon as it must create its next file.
    rmSync(dir, { recursive: true, force: true });
    const big = 'x'.repeat(200_000);
    let failure: unknown;
    for (let i = 0; i < 200 && failure === undefined; i++) {
      await store
        .submit(createJob('big', big, {}, clock.now()))
        .catch((err: unknown) => (failure = err));
    }
    expect(failure).toMatchObject({ name: 'GqError', code: 'GQ_STORE_FAILED' });
    expect((failure as Error).cause).toBeInstanceOf(Error);
    await expect(store.counts()).rejects.toBe(failure);
    await expect(store.get('0190a0b0-0000-7000-8000-000000000000')).rejects.toBe(failure);
  });

  it('validates its options', async () => {
    await expect(LevelStore.open({ location: '' })).rejects.toThrow(TypeError);
    await expect(
      LevelStore.open({ memory: true, durability: 'fast' as 'durable' }),
    ).rejects.toThrow(RangeError);
  });
});
