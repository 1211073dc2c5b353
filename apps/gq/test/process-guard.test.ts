import { join } from 'node:path';
import { GopherQueueClient, type WireJob } from '@gopherqueue/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  killAll,
  REPO_ROOT,
  spawnGq,
  spawnServer,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';

const HANDLERS = join(REPO_ROOT, 'apps/gq/test/fixtures/careless-handlers.mjs');

let dir: { path: string; remove(): Promise<void> };

beforeAll(async () => {
  dir = await tempDir('gq-guard-');
});

afterAll(async () => {
  await killAll();
  await dir?.remove();
});

/** The JSON log lines a process wrote to stderr. */
function logLines(proc: GqProcess): Record<string, unknown>[] {
  return proc
    .stderr()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Submits one job and resolves with it once it is in a final state. */
async function run(client: GopherQueueClient, type: string, payload?: unknown): Promise<WireJob> {
  const job = await client.submit(type, payload, { maxAttempts: 1, timeout: '20s' });
  const done = await client.wait(job.id, '25s');
  expect(done.completed).toBe(true);
  return client.get(job.id);
}

/**
 * Runs the careless handlers through `client` and checks what became of each job and of the
 * process that ran them.
 */
async function checkGuarded(client: GopherQueueClient, runner: GqProcess): Promise<void> {
  const timer = await run(client, 'careless.timer');
  expect([timer.state, timer.errors.map((e) => [e.class, e.name, e.message])]).toEqual([
    'dead_letter',
    [['panic', 'Error', 'thrown from a timer']],
  ]);
  expect(timer.errors[0]?.stack).toContain('careless-handlers.mjs');
  const unawaited = await run(client, 'careless.unawaited');
  expect([unawaited.state, unawaited.errors.map((e) => [e.class, e.name, e.message])]).toEqual([
    'dead_letter',
    [['panic', 'TypeError', 'nobody awaited me']],
  ]);
  const untraced = await run(client, 'careless.untraced');
  expect([untraced.state, untraced.result]).toEqual(['completed', 'returned']);
  const echo = await run(client, 'careless.echo', { still: 'alive' });
  expect([echo.state, echo.result]).toEqual(['completed', { still: 'alive' }]);

  expect(runner.child.exitCode).toBeNull();
  const lines = await eventually(async () => {
    const found = logLines(runner).filter((line) => line.level === 'error');
    return Promise.resolve(found.length >= 3 ? found : undefined);
  }, 'three error lines');
  expect(lines.map((line) => [line.message, line.kind, line.error, line.jobId ?? null])).toEqual([
    [
      'a handler raised an uncaught error; its attempt fails',
      'uncaughtException',
      'thrown from a timer',
      timer.id,
    ],
    [
      'a handler raised an uncaught error; its attempt fails',
      'unhandledRejection',
      'nobody awaited me',
      unawaited.id,
    ],
    [
      'uncaught error not raised by a running job; the process goes on',
      'uncaughtException',
      'thrown from a microtask',
      null,
    ],
  ]);
}

describe('the process guard', () => {
  it('keeps gq serve running through errors its inline handlers raise outside their promises', async () => {
    const server = await spawnServer(join(dir.path, 'serve'), ['--handlers', HANDLERS]);
    await checkGuarded(new GopherQueueClient({ baseUrl: server.url }), server);
    expect(await stopProcess(server)).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('keeps gq work running through them too', async () => {
    const server = await spawnServer(join(dir.path, 'work'));
    const worker = await spawnGq(
      [
        'work',
        '--server',
        server.url,
        '--handlers',
        HANDLERS,
        '--log-format',
        'json',
        '--log-level',
        'warn',
      ],
      { ready: /gq work pulling/ },
    );
    await checkGuarded(new GopherQueueClient({ baseUrl: server.url }), worker);
    expect(await stopProcess(worker)).toEqual({ code: 0, signal: null });
    expect(await stopProcess(server)).toEqual({ code: 0, signal: null });
  }, 120_000);
});
