import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GopherQueueClient } from '@gopherqueue/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  killAll,
  spawnGq,
  spawnServer,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';

// A handlers module with entries in every form: plain functions (isolated by --isolation),
// entries that say where they run, and ones that crash their sandbox.
const HANDLERS = `import process from 'node:process';
import { threadId } from 'node:worker_threads';

const where = (ctx) => ({ pid: process.pid, thread: threadId, payload: ctx.payload });

export default {
  'iso.default': where,
  'iso.inline': { handler: where, isolation: 'inline' },
  'iso.process': { handler: where, isolation: 'process' },
  'iso.exit': {
    handler: (ctx) => (ctx.attempt === 1 ? process.exit(3) : 'second attempt'),
    isolation: 'process',
  },
  'iso.hog': {
    handler: () => {
      const kept = [];
      for (;;) kept.push(new Array(100_000).fill(kept.length));
    },
    isolation: 'thread',
    memoryMb: 16,
  },
  'iso.wait': {
    handler: async (ctx) => {
      await ctx.progress(50, \`pid \${process.pid}\`);
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      throw ctx.signal.reason;
    },
    isolation: 'process',
    sandboxes: 1,
  },
};
`;

let dir: { path: string; remove(): Promise<void> };
let server: GqProcess;
let client: GopherQueueClient;

beforeAll(async () => {
  dir = await tempDir('gq-isolation-');
  await writeFile(join(dir.path, 'handlers.mjs'), HANDLERS);
  server = await spawnServer(join(dir.path, 'data'), [
    '--bolt=false',
    '--handlers',
    join(dir.path, 'handlers.mjs'),
    '--isolation',
    'thread',
  ]);
  client = new GopherQueueClient({ baseUrl: server.url });
}, 120_000);

afterAll(async () => {
  if (server !== undefined) await stopProcess(server);
  await killAll();
  await dir?.remove();
});

describe('gq serve --handlers with isolation entries', () => {
  it('lists each isolated type with where it runs', () => {
    expect(server.stdout().split('\n')[0]).toBe(
      `gq serve handlers: iso.default [thread], iso.exit [process], iso.hog [thread], iso.inline, iso.process [process], iso.wait [process] (${join(dir.path, 'handlers.mjs')}); echo, error, sleep (built in)`,
    );
  });

  it('runs a plain function in a worker thread of the server (--isolation thread), an inline entry in the server, a process entry in a child', async () => {
    const results: { pid: number; thread: number; payload: unknown }[] = [];
    for (const type of ['iso.default', 'iso.inline', 'iso.process']) {
      const job = await client.submit(type, { n: 1 });
      const done = await client.wait(job.id, '20s');
      expect(done.state).toBe('completed');
      results.push(done.result?.output as { pid: number; thread: number; payload: unknown });
    }
    const [threaded, inline, child] = results;
    expect(threaded).toMatchObject({ pid: server.pid, payload: { n: 1 } });
    expect(threaded!.thread).toBeGreaterThan(0);
    expect(inline).toEqual({ pid: server.pid, thread: 0, payload: { n: 1 } });
    expect(child!.pid).not.toBe(server.pid);
    expect(child).toMatchObject({ thread: 0, payload: { n: 1 } });
  });

  it('fails only the attempt of a handler that calls process.exit, retries it, and keeps serving', async () => {
    const job = await client.submit('iso.exit', null, {
      maxAttempts: 2,
      backoff: { strategy: 'constant', initial: '1ms', jitter: false },
    });
    const done = await client.wait(job.id, '20s');
    expect(done).toMatchObject({ state: 'completed', result: { output: 'second attempt' } });
    const seen = await client.get(job.id);
    expect(seen.errors?.map((e) => [e.attempt, e.class])).toEqual([[1, 'sandbox_crashed']]);
    expect(seen.errors?.[0]?.message).toMatch(/^sandbox process \d+ exited with code 3 /);
    expect(await client.ready()).toBe(true);
  });

  it('fails a thread that runs out of its memoryMb as sandbox_crashed', async () => {
    const job = await client.submit('iso.hog', null, { maxAttempts: 1 });
    expect((await client.wait(job.id, '20s')).state).toBe('dead_letter');
    const seen = await client.get(job.id);
    expect(seen.errors?.[0]).toMatchObject({ class: 'sandbox_crashed' });
    expect(seen.errors?.[0]?.message).toMatch(
      /^sandbox thread \d+ ran out of memory \(memoryMb 16\)$/,
    );
  });

  it('fires the signal inside a child process when the job is cancelled through the API', async () => {
    const running = async (id: string): Promise<string> =>
      eventually(async () => {
        const seen = await client.get(id);
        return seen.progress === 50 ? seen.progress_message : undefined;
      }, 'progress 50');
    const first = await client.submit('iso.wait');
    const firstPid = await running(first.id);
    await client.cancel(first.id);
    // Its handler returned when the signal fired, so its one sandbox takes the next job (a
    // handler that ignored it would be terminated, and the next job run in a new process).
    const second = await client.submit('iso.wait');
    expect(await running(second.id)).toBe(firstPid);
    expect((await client.get(first.id)).state).toBe('cancelled');
    await client.cancel(second.id);
  });

  it('runs isolated entries under gq work too, in its own sandboxes (--isolation thread)', async () => {
    // A type only the worker has a handler for, so the server leaves it to the worker.
    await writeFile(
      join(dir.path, 'worker-handlers.mjs'),
      `import process from 'node:process';\nimport { threadId } from 'node:worker_threads';\n` +
        `export default { 'iso.remote': (ctx) => ({ pid: process.pid, thread: threadId, payload: ctx.payload }) };\n`,
    );
    const worker = await spawnGq(
      [
        'work',
        '--server',
        server.url,
        '--handlers',
        join(dir.path, 'worker-handlers.mjs'),
        '--isolation',
        'thread',
        '--log-format',
        'json',
        '--log-level',
        'warn',
      ],
      { ready: /gq work pulling/ },
    );
    try {
      const job = await client.submit('iso.remote', { n: 2 });
      const done = await client.wait(job.id, '20s');
      expect(done.state).toBe('completed');
      const ran = done.result?.output as { pid: number; thread: number; payload: unknown };
      expect(ran).toMatchObject({ pid: worker.pid, payload: { n: 2 } });
      expect(ran.thread).toBeGreaterThan(0);
    } finally {
      expect(await stopProcess(worker)).toEqual({ code: 0, signal: null });
    }
  });
});
