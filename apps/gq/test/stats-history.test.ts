import { GopherQueueClient } from '@gopherqueue/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gq } from './helpers/run-cli.js';
import {
  eventually,
  killAll,
  spawnServer,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';

interface Minute {
  start: string;
  completed: number;
  failed: number;
  wait_ms: { p50: number; p95: number; p99: number } | null;
  run_ms: { p50: number; p95: number; p99: number } | null;
  incomplete: boolean;
}
interface History {
  since: string;
  now: string;
  minute_seconds: number;
  queues?: string[];
  minutes: Minute[];
}

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };
let rootKey: string;

async function history(key: string, query = ''): Promise<[number, History]> {
  const res = await fetch(`${server.url}/api/v1/stats/history${query}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  return [res.status, (await res.json()) as History];
}

const sum = (h: History, field: 'completed' | 'failed'): number =>
  h.minutes.reduce((n, m) => n + m[field], 0);

beforeAll(async () => {
  dir = await tempDir('gq-history-');
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
  rootKey = (JSON.parse(bootstrap.stdout) as { key: string }).key;
  server = await spawnServer(dir.path, ['--auth', '--workers', '4']);
});

afterAll(async () => {
  if (server !== undefined) expect((await stopProcess(server)).code).toBe(0);
  await killAll();
  await dir?.remove();
});

describe('GET /api/v1/stats/history', () => {
  it('starts empty, then counts the jobs this server finished, per queue and for limited keys', async () => {
    const [status, empty] = await history(rootKey);
    expect(status).toBe(200);
    expect(empty.minute_seconds).toBe(60);
    expect(empty.minutes).toHaveLength(60);
    expect(sum(empty, 'completed') + sum(empty, 'failed')).toBe(0);
    expect(empty.queues).toBeUndefined();
    expect(Date.parse(empty.minutes.at(-1)?.start ?? '')).toBeLessThanOrEqual(
      Date.parse(empty.now),
    );

    const root = new GopherQueueClient({ baseUrl: server.url, apiKey: rootKey });
    const jobs = [
      ...(await Promise.all([1, 2, 3].map((n) => root.submit('echo', { n })))),
      await root.submit('sleep', '300ms', { queue: 'fast' }),
      await root.submit('echo', 'x', { queue: 'fast' }),
      await root.submit('error', 'boom', { queue: 'fast', maxAttempts: 1 }),
      await root.submit('error', 'boom', { queue: 'slow', maxAttempts: 1 }),
    ];
    for (const job of jobs) await root.wait(job.id, '30s');

    // The events reach the history as they reach the waits: read until all seven are in.
    const all = await eventually(async () => {
      const [, h] = await history(rootKey);
      return sum(h, 'completed') + sum(h, 'failed') === 7 ? h : undefined;
    }, 'seven finished jobs in the history');
    expect(sum(all, 'completed')).toBe(5);
    expect(sum(all, 'failed')).toBe(2);
    const busy = all.minutes.filter((m) => m.completed + m.failed > 0);
    for (const m of busy) {
      expect(m.wait_ms).not.toBeNull();
      expect(m.run_ms).not.toBeNull();
    }
    // The 300 ms sleep is the slowest run: its bucket's upper bound is at least 300 ms.
    expect(Math.max(...busy.map((m) => m.run_ms?.p99 ?? 0))).toBeGreaterThanOrEqual(300);

    const [, fast] = await history(rootKey, '?queue=fast');
    expect(fast.queues).toEqual(['fast']);
    expect([sum(fast, 'completed'), sum(fast, 'failed')]).toEqual([2, 1]);

    // A viewer limited to "fast" and "slow" sees the sum of its queues, never every queue's.
    const created = await root.createKey({
      name: 'fast and slow viewer',
      role: 'viewer',
      queues: ['fast', 'slow'],
    });
    const [limitedStatus, limited] = await history(created.key);
    expect(limitedStatus).toBe(200);
    expect(limited.queues).toEqual(['fast', 'slow']);
    expect([sum(limited, 'completed'), sum(limited, 'failed')]).toEqual([2, 2]);
    const [slowStatus, slow] = await history(created.key, '?queue=slow');
    expect(slowStatus).toBe(200);
    expect([sum(slow, 'completed'), sum(slow, 'failed')]).toEqual([0, 1]);
    const [refusedStatus, refused] = await history(created.key, '?queue=default');
    expect(refusedStatus).toBe(403);
    expect(refused).toMatchObject({ error: { message: 'this key may not use queue default' } });

    const [badStatus, bad] = await history(rootKey, '?queue=no%20spaces');
    expect(badStatus).toBe(400);
    expect(JSON.stringify(bad)).toContain('queue');
    const [unknownStatus, unknown] = await history(rootKey, '?minutes=5');
    expect(unknownStatus).toBe(400);
    expect(JSON.stringify(unknown)).toContain('minutes');
    const res = await fetch(`${server.url}/api/v1/stats/history`);
    expect(res.status).toBe(401);
  });
});
