import { GopherQueueClient } from '@gopherqueue/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from './helpers/closed-port.js';
import {
  eventually,
  FIXTURE_HANDLERS,
  killAll,
  spawnGq,
  spawnServer,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };

beforeAll(async () => {
  dir = await tempDir('gq-remote-logs-');
  server = await spawnServer(dir.path, ['--unknown-types', 'leave']);
});

afterAll(async () => {
  await killAll();
  await dir?.remove();
});

describe('gq work logs', () => {
  it('logs a failure the server will retry as job retrying, and job failed only when final', async () => {
    const worker = await spawnGq(
      [
        'work',
        '--server',
        server.url,
        '--handlers',
        FIXTURE_HANDLERS,
        '--types',
        'remote.flaky',
        '--log-format',
        'json',
        '--log-level',
        'info',
      ],
      { ready: /gq work pulling/ },
    );
    const client = new GopherQueueClient({ baseUrl: server.url });
    const backoff = { strategy: 'constant', initial: '1ms', jitter: false } as const;
    const recovers = await client.submit(
      'remote.flaky',
      { failures: 1 },
      { maxAttempts: 3, backoff },
    );
    const gives = await client.submit('remote.flaky', { failures: 5 }, { maxAttempts: 2, backoff });
    expect((await client.wait(recovers.id, '20s')).state).toBe('completed');
    expect((await client.wait(gives.id, '20s')).state).toBe('dead_letter');
    const ends = (id: string): [string, string, number, unknown][] =>
      worker
        .stderr()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.jobId === id)
        .map((line) => [
          line.level as string,
          line.message as string,
          line.attempt as number,
          line.state ?? line.error,
        ]);
    await eventually(
      () => Promise.resolve(ends(gives.id).length === 2 ? true : undefined),
      'the worker to log the last failure',
    );
    expect(ends(recovers.id)).toEqual([
      ['warn', 'job retrying', 1, 'attempt 1 fails'],
      ['info', 'job completed', 2, undefined],
    ]);
    expect(ends(gives.id)).toEqual([
      ['warn', 'job retrying', 1, 'attempt 1 fails'],
      ['warn', 'job failed', 2, 'dead_letter'],
    ]);
    expect((await stopProcess(worker)).code).toBe(0);
  });

  it('logs why it cannot reach the server, not only fetch failed', async () => {
    const port = await closedPort();
    const worker = await spawnGq(
      [
        'work',
        '--server',
        `http://127.0.0.1:${port}`,
        '--handlers',
        FIXTURE_HANDLERS,
        '--log-format',
        'json',
        '--log-level',
        'warn',
      ],
      { ready: /gq work pulling/ },
    );
    const failure = await eventually(
      () =>
        Promise.resolve(
          worker
            .stderr()
            .split('\n')
            .filter((line) => line.startsWith('{'))
            .map((line) => JSON.parse(line) as Record<string, unknown>)
            .find((line) => line.message === 'claim failed; retrying'),
        ),
      'a failed claim',
    );
    expect(failure).toMatchObject({
      level: 'warn',
      error: `fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`,
      failures: 1,
    });
    expect((await stopProcess(worker)).code).toBe(0);
  });
});
