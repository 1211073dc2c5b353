import { GopherQueueClient } from '@gopherqueue/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  killAll,
  spawnServer,
  spawnWorker,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };
let client: GopherQueueClient;

beforeAll(async () => {
  dir = await tempDir('gq-job-logs-');
  server = await spawnServer(dir.path);
  client = new GopherQueueClient({ baseUrl: server.url });
  await spawnWorker(server.url, ['--types', 'remote.logging']);
});

afterAll(async () => {
  await killAll();
  await dir?.remove();
});

describe('job logs of a remote worker', () => {
  it('keeps the lines a gq work handler writes, served by gq logs', async () => {
    const job = await client.submit('remote.logging', { lines: 3 });
    expect((await client.wait(job.id, '20s')).state).toBe('completed');
    // The worker stored its lines before it completed the job.
    const page = (await client.logs(job.id)).lines;
    expect(page.map((l) => [l.attempt, l.seq, l.level, l.message, l.fields])).toEqual([
      [1, 1, 'info', 'line 1', { n: 1 }],
      [1, 2, 'info', 'line 2', { n: 2 }],
      [1, 3, 'info', 'line 3', { n: 3 }],
      [1, 4, 'warn', 'done', undefined],
    ]);
    const run = await gq(['logs', job.id, '--server', server.url]);
    expect(run.code).toBe(0);
    const printed = run.stdout.trim().split('\n');
    expect(printed).toHaveLength(4);
    expect(printed[0]).toMatch(/^\S+Z {2}#1 {2}INFO {3}line 1 {2}\{"n":1\}$/);
    expect(printed[3]).toMatch(/ {2}#1 {2}WARN {3}done$/);
    const json = await gq(['logs', job.id, '--server', server.url, '--json', '--limit', '2']);
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    ).toEqual([1, 2]);
  });

  it('follows a running job until it finishes', async () => {
    const job = await client.submit('remote.logging', { lines: 2, ms: 1500 });
    const run = await gq(['logs', job.id, '--server', server.url, '--follow', '--interval', '200']);
    expect(run.code).toBe(0);
    const messages = run.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('  ')[3]?.trim());
    // An attempt stores its lines before its end: the job finished, every line is there.
    expect(messages).toEqual(['line 1', 'line 2', 'done']);
  });

  it('says what to do for a bad flag', async () => {
    const run = await gq(['logs', '0190a0b0-0000-7000-8000-000000000000', '--limit', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--limit must be an integer from 1 to 100000; got 0');
  });
});
