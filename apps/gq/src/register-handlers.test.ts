import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadHandlerModule } from './load-handlers.js';
import { startServer } from './server.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Writes `source` as `h.mjs` in a fresh directory; returns the directory. */
async function module(source: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gq-entries-'));
  dirs.push(dir);
  await writeFile(join(dir, 'h.mjs'), source);
  return dir;
}

describe('handler modules with isolation entries', () => {
  it('reads functions and { handler, isolation, ... } entries, and the URL a sandbox imports', async () => {
    const dir = await module(
      `const f = () => 1;\nexport default { a: f, b: { handler: f, isolation: 'process', memoryMb: 64, sandboxes: 2, jobsPerSandbox: 3 } };\n`,
    );
    const loaded = await loadHandlerModule('./h.mjs', dir);
    expect(loaded.name).toBe('./h.mjs');
    expect(loaded.specifier).toBe(pathToFileURL(join(dir, 'h.mjs')).href);
    expect(Object.keys(loaded.entries)).toEqual(['a', 'b']);
    expect(loaded.entries.a).toEqual({ handler: expect.any(Function) });
    expect(loaded.entries.b).toEqual({
      handler: loaded.entries.a?.handler,
      isolation: 'process',
      memoryMb: 64,
      sandboxes: 2,
      jobsPerSandbox: 3,
    });
  });

  it.each([
    [
      `{ a: { handler: () => 1, memoryMB: 64 } }`,
      `handler "a" has an unknown field "memoryMB" (known: handler, isolation, memoryMb, sandboxes, jobsPerSandbox)`,
    ],
    [
      `{ a: { handler: () => 1, isolation: 'vm' } }`,
      `handler "a" has isolation "vm"; use inline, thread or process`,
    ],
    [
      `{ a: { isolation: 'thread' } }`,
      `handler "a" must be a function or { handler, isolation, memoryMb }: its handler is not a function`,
    ],
  ])('rejects the entry %s', async (entries, message) => {
    const dir = await module(`export default ${entries};\n`);
    await expect(loadHandlerModule('./h.mjs', dir)).rejects.toThrow(
      `--handlers ./h.mjs: ${message}`,
    );
  });

  it.each([
    [
      `{ a: { handler: () => 1, memoryMb: 64 } }`,
      'inline',
      `handler "a" sets memoryMb but runs inline; give it isolation 'thread' or 'process' (or pass --isolation)`,
    ],
    [
      `{ a: { handler: () => 1, memoryMb: 4 } }`,
      'thread',
      `the handler of "a": memoryMb must be an integer from 8 to 1048576; got 4`,
    ],
    [
      `{ a: { handler: () => 1, isolation: 'process', sandboxes: 0 } }`,
      'inline',
      `the handler of "a": sandboxes must be an integer from 1 to 1024; got 0`,
    ],
  ])('gq serve refuses %s with --isolation %s in one line', async (entries, isolation, message) => {
    const dir = await module(`export default ${entries};\n`);
    const handlerModule = await loadHandlerModule('./h.mjs', dir);
    await expect(
      startServer({
        http: '127.0.0.1:0',
        store: 'memory',
        handlerModule,
        isolation: isolation as 'inline' | 'thread',
      }),
    ).rejects.toThrow(`--handlers ./h.mjs: ${message}`);
  });
});
