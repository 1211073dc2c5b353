import { GopherQueueClient } from '@gopherqueue/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  killAll,
  spawnServer,
  spawnWorker,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';

let server: GqProcess;
let worker: GqProcess;
let dir: { path: string; remove(): Promise<void> };
let client: GopherQueueClient;

beforeAll(async () => {
  dir = await tempDir('gq-long-timers-');
  // remote.* types have no handler in the server: they are left to the remote worker.
  server = await spawnServer(dir.path, ['--unknown-types', 'leave', '--workers', '2']);
  client = new GopherQueueClient({ baseUrl: server.url });
  worker = await spawnWorker(server.url, ['--types', 'remote.double']);
});

afterAll(async () => {
  await killAll();
  await dir?.remove();
});

describe('waits longer than one Node.js timer (2^31-1 ms, about 24.8 days)', () => {
  it('keep a 720 h delay and 1000 h timeouts waiting, with no TimeoutOverflowWarning', async () => {
    const delayed = await client.submit('echo', 'later', { delay: '720h' });
    expect(delayed.state).toBe('delayed');
    // Jobs that run for a few seconds under a 1000 h timeout, in the server and in `gq work`.
    const local = await client.submit('sleep', '3s', { timeout: '1000h' });
    const remote = await client.submit('remote.double', { n: 21, ms: 3000 }, { timeout: '1000h' });
    for (const id of [local.id, remote.id]) {
      await eventually(async () => {
        const job = await client.get(id);
        return job.state === 'scheduled' || job.state === 'running' ? undefined : job;
      }, `job ${id} to finish`);
    }
    expect(await client.get(local.id)).toMatchObject({ state: 'completed', attempt: 1 });
    expect(await client.get(remote.id)).toMatchObject({
      state: 'completed',
      attempt: 1,
      result: { doubled: 42, pid: worker.pid },
    });
    expect(await client.get(delayed.id)).toMatchObject({
      state: 'delayed',
      scheduled_at: delayed.scheduled_at,
    });
    for (const proc of [server, worker]) {
      expect(proc.stderr()).not.toContain('TimeoutOverflowWarning');
      expect(proc.stdout()).not.toContain('TimeoutOverflowWarning');
    }
  });
});
