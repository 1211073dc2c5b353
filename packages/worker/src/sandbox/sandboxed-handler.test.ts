import { describe, expect, it } from 'vitest';
import { resolveSandboxedHandler } from './sandboxed-handler.js';

const MODULE = new URL('../testing/sandbox-handlers.mjs', import.meta.url);

describe('resolveSandboxedHandler', () => {
  it('fills the defaults: the default export, one job per sandbox, as many sandboxes as given', () => {
    expect(resolveSandboxedHandler('t', { module: MODULE, isolation: 'thread' }, 3)).toEqual({
      module: MODULE.href,
      export: 'default',
      key: undefined,
      isolation: 'thread',
      memoryMb: undefined,
      sandboxes: 3,
      jobsPerSandbox: 1,
      loader: undefined,
      execArgv: undefined,
    });
  });

  it('takes an absolute path as a file URL and a package name as it is', () => {
    const path = resolveSandboxedHandler('t', { module: '/srv/h.js', isolation: 'process' }, 1);
    expect(path.module).toBe('file:///srv/h.js');
    const bare = resolveSandboxedHandler('t', { module: 'my-handlers', isolation: 'process' }, 1);
    expect(bare.module).toBe('my-handlers');
  });

  it.each([
    [
      { isolation: 'inline' },
      `the handler of "t": isolation must be 'thread' or 'process' (register a function to run it inline); got "inline"`,
    ],
    [
      { module: './h.js' },
      `the handler of "t": module must be a file URL or an absolute path (new URL('./x.js', import.meta.url)); got "./h.js"`,
    ],
    [{ module: 42 }, 'the handler of "t": module must be a file URL or an absolute path'],
    [
      { loader: 'tsx' },
      `the handler of "t": loader must be a file URL or an absolute path (new URL('./x.js', import.meta.url)); got "tsx"`,
    ],
    [{ memoryMb: 4 }, 'the handler of "t": memoryMb must be an integer from 8 to 1048576; got 4'],
    [
      { memoryMb: 1.5 },
      'the handler of "t": memoryMb must be an integer from 8 to 1048576; got 1.5',
    ],
    [{ sandboxes: 0 }, 'the handler of "t": sandboxes must be an integer from 1 to 1024; got 0'],
    [
      { jobsPerSandbox: 10_001 },
      'the handler of "t": jobsPerSandbox must be an integer from 1 to 10000; got 10001',
    ],
    [{ export: '' }, 'the handler of "t": export must be an export name; got '],
    [{ key: 7 }, 'the handler of "t": key must be a non-empty string; got 7'],
    [
      { execArgv: '--inspect' },
      'the handler of "t": execArgv must be an array of at most 64 strings',
    ],
  ])('rejects %j', (change, message) => {
    const spec = { module: MODULE, isolation: 'thread', ...change } as never;
    expect(() => resolveSandboxedHandler('t', spec, 1)).toThrow(message);
  });
});
