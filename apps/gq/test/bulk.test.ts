import { GopherQueueClient } from '@gopherqueue/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, spawnServer, tempDir, type GqProcess } from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };
let client: GopherQueueClient;

beforeAll(async () => {
  dir = await tempDir('gq-bulk-');
  server = await spawnServer(dir.path);
  client = new GopherQueueClient({ baseUrl: server.url });
});

afterAll(async () => {
  await killAll();
  await dir?.remove();
});

describe('gq jobs bulk', () => {
  it('cancels, retries and deletes the jobs a filter matches, across requests', async () => {
    for (const size of [1000, 205]) {
      await client.submitBatch(
        Array.from({ length: size }, (_, n) => ({ type: 'bulk.nobody', payload: { n } })),
        { atomic: true },
      );
    }
    await client.submit('bulk.other', null);
    const at = ['--server', server.url];
    const cancelled = await gq([
      'jobs',
      'bulk',
      'cancel',
      '--type',
      'bulk.nobody',
      '--limit',
      '5000',
      ...at,
    ]);
    expect(cancelled).toMatchObject({ code: 0, stdout: 'cancel: 1205 of 1205 jobs\n' });
    const retried = await gq([
      'jobs',
      'bulk',
      'retry',
      '--state',
      'cancelled',
      '--type',
      'bulk.nobody',
      '--limit',
      '1100',
      '--json',
      ...at,
    ]);
    expect(JSON.parse(retried.stdout)).toEqual({
      action: 'retry',
      matched: 1100,
      succeeded: 1100,
      skipped: { invalid_state: 0, not_found: 0 },
    });
    const stats = (await client.stats()).queue;
    expect([stats.cancelled, stats.pending + stats.scheduled]).toEqual([105, 1101]);
    const deleted = await gq([
      'jobs',
      'bulk',
      'delete',
      '--type',
      'bulk.nobody',
      '--limit',
      '5000',
      ...at,
    ]);
    expect(deleted.stdout).toBe('delete: 1205 of 1205 jobs\n');
    expect((await client.list({ type: 'bulk.other' })).jobs).toHaveLength(1);
  });

  it('says what to do when the jobs are not named', async () => {
    const none = await gq(['jobs', 'bulk', 'retry', '--server', server.url]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('name the jobs: --state, --type, --queue or --tag');
    const odd = await gq(['jobs', 'bulk', 'retry', '--state', 'odd', '--server', server.url]);
    expect(odd.stderr).toContain('--state must be one of');
  });
});
