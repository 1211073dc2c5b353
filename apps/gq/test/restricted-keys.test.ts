import { ApiError, GopherQueueClient, type WireAuditEntry } from '@gopherqueue/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  killAll,
  spawnServer,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };
let root: GopherQueueClient;
let rootKeyId: string;

function clientWith(key: string): GopherQueueClient {
  return new GopherQueueClient({ baseUrl: server.url, apiKey: key });
}

/** The rejection of `call` as `[status, code, message, details]`. */
async function refusal(call: Promise<unknown>): Promise<[number, string, string, unknown]> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiError) return [err.status, err.code, err.message, err.details];
    throw err;
  }
  throw new Error('the call succeeded');
}

/** Every audit entry `client` may read, newest first, as `[action, target, queues]`. */
async function auditOf(client: GopherQueueClient): Promise<[string, string?, string[]?][]> {
  const entries: WireAuditEntry[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await client.audit({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    entries.push(...page.entries);
    if (page.next_cursor === undefined) break;
    cursor = page.next_cursor;
  }
  return entries.map((e) => [e.action, e.target, e.queues]);
}

beforeAll(async () => {
  dir = await tempDir('gq-restricted-');
  const bootstrap = await gq([
    'keys',
    'create',
    '--role',
    'admin',
    '--name',
    'root',
    '--json',
    '--data-dir',
    dir.path,
  ]);
  expect(bootstrap.code).toBe(0);
  const created = JSON.parse(bootstrap.stdout) as { key: string; id: string };
  rootKeyId = created.id;
  server = await spawnServer(dir.path, ['--auth']);
  root = clientWith(created.key);
});

afterAll(async () => {
  if (server !== undefined) expect((await stopProcess(server)).code).toBe(0);
  await killAll();
  await dir?.remove();
});

describe('a key restricted to queues', () => {
  let qaAdmin: GopherQueueClient;
  let qaAdminId: string;

  beforeAll(async () => {
    const created = await root.createKey({ name: 'qa admin', role: 'admin', queues: ['qa'] });
    qaAdmin = clientWith(created.key);
    qaAdminId = created.id;
  });

  it('cannot mint a key wider than itself: unrestricted, or with a queue it lacks', async () => {
    expect(await refusal(qaAdmin.createKey({ name: 'everything', role: 'admin' }))).toEqual([
      403,
      'forbidden',
      'a key limited to queues can only create keys limited to some of its queues: pass queues',
      { queues: ['qa'] },
    ]);
    for (const queues of [['qa', 'qb'], ['qb']]) {
      expect(await refusal(qaAdmin.createKey({ name: 'wider', role: 'admin', queues }))).toEqual([
        403,
        'forbidden',
        'this key may not create a key for queue qb',
        { queue: 'qb', queues: ['qa'] },
      ]);
    }
    const narrow = await qaAdmin.createKey({
      name: 'qa producer',
      role: 'producer',
      queues: ['qa'],
    });
    expect(narrow).toMatchObject({ role: 'producer', queues: ['qa'] });
    const names = (await root.listKeys()).map((k) => k.name).sort();
    expect(names).toEqual(['qa admin', 'qa producer', 'root']);
  });

  it('lists and revokes only keys within its queues', async () => {
    const wide = await root.createKey({
      name: 'qa+qb viewer',
      role: 'viewer',
      queues: ['qa', 'qb'],
    });
    const listed = (await qaAdmin.listKeys()).map((k) => [k.name, k.queues]);
    expect(listed).toEqual([
      ['qa admin', ['qa']],
      ['qa producer', ['qa']],
    ]);
    expect(await refusal(qaAdmin.revokeKey(rootKeyId))).toEqual([
      403,
      'forbidden',
      `this key may not manage API key ${rootKeyId}`,
      { id: rootKeyId, queues: ['qa'] },
    ]);
    expect(await refusal(qaAdmin.revokeKey(wide.id))).toEqual([
      403,
      'forbidden',
      `this key may not manage API key ${wide.id}`,
      { id: wide.id, queues: ['qa'] },
    ]);
    // The root key still works.
    expect((await root.listKeys()).find((k) => k.id === rootKeyId)?.revoked_at).toBeUndefined();
    const own = (await qaAdmin.listKeys()).find((k) => k.name === 'qa producer');
    await qaAdmin.revokeKey(own!.id);
    expect((await root.listKeys()).find((k) => k.id === own!.id)?.revoked_at).toMatch(/^\d{4}-/);
  });

  it('reads only the audit entries of its queues', async () => {
    const qaJob = await root.submit('echo', 1, { queue: 'qa', delay: '1h' });
    const qbJob = await root.submit('echo', 2, { queue: 'qb', delay: '1h' });
    await root.pauseQueue('qb');
    await root.cancel(qbJob.id);
    await qaAdmin.pauseQueue('qa');
    await qaAdmin.cancel(qaJob.id);
    await root.purgeDeadLetter();

    const qaView = await auditOf(qaAdmin);
    expect(qaView.filter(([action]) => !action.startsWith('key.'))).toEqual([
      ['job.cancel', qaJob.id, ['qa']],
      ['queue.pause', 'qa', ['qa']],
    ]);
    expect(qaView.filter(([action]) => action.startsWith('key.'))).toEqual([
      ['key.revoke', expect.any(String), ['qa']],
      ['key.create', expect.any(String), ['qa']],
      ['key.create', qaAdminId, ['qa']],
    ]);
    const rootView = await auditOf(root);
    expect(rootView.slice(0, 5)).toEqual([
      ['dead_letter.purge', undefined, undefined],
      ['job.cancel', qaJob.id, ['qa']],
      ['queue.pause', 'qa', ['qa']],
      ['job.cancel', qbJob.id, ['qb']],
      ['queue.pause', 'qb', ['qb']],
    ]);
    expect(rootView.filter(([action]) => action === 'key.create')).toHaveLength(4);
  });

  it('sees /stats counts of its queues only', async () => {
    await root.submit('echo', 1, { queue: 'stats-a', delay: '1h' });
    await root.submit('echo', 2, { queue: 'stats-a', delay: '1h' });
    for (let i = 0; i < 3; i++) await root.submit('echo', i, { queue: 'stats-b', delay: '1h' });
    const viewer = clientWith(
      (await root.createKey({ name: 'stats viewer', role: 'viewer', queues: ['stats-a'] })).key,
    );
    const mine = await viewer.stats();
    expect(mine.queue).toMatchObject({
      pending: 0,
      scheduled: 0,
      running: 0,
      delayed: 2,
      completed: 0,
      failed: 0,
      dead_letter: 0,
      cancelled: 0,
      total_jobs: 2,
      storage_bytes: 0,
    });
    const all = await root.stats();
    expect(all.queue.delayed).toBeGreaterThanOrEqual(5);
    expect(all.queue.storage_bytes).toBeGreaterThan(0);
  });

  it('is refused /metrics, whose series span every queue, which an unrestricted key reads', async () => {
    await root.submit('echo', 1, { queue: 'metrics-b', delay: '1h' });
    const { key } = await root.createKey({
      name: 'metrics producer',
      role: 'producer',
      queues: ['metrics-a'],
    });
    expect(await refusal(clientWith(key).metrics())).toEqual([
      403,
      'forbidden',
      'metrics span every queue: reading them needs a key without a queue restriction',
      { queues: ['metrics-a'] },
    ]);
    const json = await fetch(`${server.url}/metrics?format=json`, {
      headers: { 'X-API-Key': key },
    });
    expect(json.status).toBe(403);
    expect(await json.json()).toMatchObject({ error: { code: 'forbidden' } });
    expect(await root.metrics()).toContain('gq_queue_waiting{queue="metrics-b"} 1');
  });

  it('answers depends_on naming a job of another queue exactly as an unknown id', async () => {
    const producer = clientWith(
      (await root.createKey({ name: 'dep producer', role: 'producer', queues: ['qa'] })).key,
    );
    const foreign = await root.submit('echo', 'secret', { queue: 'qb', delay: '1h' });
    const unknown = '01900000-0000-7000-8000-000000000000';
    const refused = async (id: string) =>
      refusal(producer.submit('echo', null, { queue: 'qa', dependsOn: [id] }));
    const [fStatus, fCode, fMessage, fDetails] = await refused(foreign.id);
    const [uStatus, uCode, uMessage, uDetails] = await refused(unknown);
    expect([fStatus, fCode, fDetails]).toEqual([400, 'validation_error', { field: 'depends_on' }]);
    expect([uStatus, uCode, uDetails]).toEqual([fStatus, fCode, fDetails]);
    expect(fMessage).toBe(`depends_on: job ${foreign.id} not found`);
    expect(uMessage).toBe(`depends_on: job ${unknown} not found`);

    const batch = await producer.submitBatch([
      { type: 'echo', queue: 'qa', dependsOn: [foreign.id] },
      { type: 'echo', queue: 'qa', dependsOn: [unknown] },
    ]);
    expect(batch.results.map((r) => [r.success, r.error])).toEqual([
      [false, `jobs.0.depends_on: job ${foreign.id} not found`],
      [false, `jobs.1.depends_on: job ${unknown} not found`],
    ]);
    expect(
      await refusal(
        producer.submitBatch([{ type: 'echo', queue: 'qa', dependsOn: [foreign.id] }], {
          atomic: true,
        }),
      ),
    ).toEqual([
      400,
      'validation_error',
      `job 0: jobs.0.depends_on: job ${foreign.id} not found`,
      { index: 0, field: 'jobs.0.depends_on' },
    ]);
    const page = await root.list({ queue: 'qa' });
    expect(page.jobs.every((j) => (j.depends_on ?? []).length === 0)).toBe(true);
    const own = await producer.submit('echo', null, { queue: 'qa', delay: '1h' });
    const dependent = await producer.submit('echo', null, { queue: 'qa', dependsOn: [own.id] });
    expect(dependent).toMatchObject({ state: 'pending', depends_on: [own.id] });
  });
});
