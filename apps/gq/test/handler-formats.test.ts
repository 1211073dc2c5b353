import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GopherQueueClient } from '@gopherqueue/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCopy, type BuiltCopy } from './helpers/built-copy.js';
import { killAll, REPO_ROOT, spawnGq, stopProcess, tempDir } from './helpers/gq-process.js';

/** One handlers module: where it lives under the temp dir, and its source. */
interface Format {
  label: string;
  file: string;
  source: string;
}

// `plain/` has no package.json above it; `module/` has one with "type": "module".
const FORMATS: Format[] = [
  {
    label: 'ESM .js without a package.json',
    file: 'plain/esm.js',
    source: `export default { 'format.run': async (ctx) => ({ format: 'esm-plain', doubled: ctx.payload.n * 2, esm: typeof import.meta.url }) };\n`,
  },
  {
    label: 'ESM .js under "type": "module"',
    file: 'module/esm.js',
    source: `export default { 'format.run': async (ctx) => ({ format: 'esm-module', doubled: ctx.payload.n * 2, esm: typeof import.meta.url }) };\n`,
  },
  {
    label: 'CommonJS .js without a package.json',
    file: 'plain/cjs.js',
    source: `const os = require('node:os');\nmodule.exports = { 'format.run': async (ctx) => ({ format: 'cjs-plain', doubled: ctx.payload.n * 2, cjs: typeof os.EOL + typeof module }) };\n`,
  },
  {
    label: '.mjs',
    file: 'plain/handlers.mjs',
    source: `export default { 'format.run': async (ctx) => ({ format: 'mjs', doubled: ctx.payload.n * 2 }) };\n`,
  },
  {
    label: '.cjs under "type": "module"',
    file: 'module/handlers.cjs',
    source: `module.exports = { 'format.run': async (ctx) => ({ format: 'cjs', doubled: ctx.payload.n * 2, cjs: typeof module }) };\n`,
  },
  {
    label: '.ts without a package.json, importing another .ts',
    file: 'plain/handlers.ts',
    source: `import { double } from './double.js';\ninterface Ctx { payload: { n: number } }\nexport default { 'format.run': async (ctx: Ctx): Promise<object> => ({ format: 'ts', doubled: double(ctx.payload.n) }) };\n`,
  },
  {
    label: '.mts',
    file: 'plain/handlers.mts',
    source: `const factor: number = await Promise.resolve(2);\nexport default { 'format.run': async (ctx: { payload: { n: number } }) => ({ format: 'mts', doubled: ctx.payload.n * factor }) };\n`,
  },
  {
    label: '.cts under "type": "module"',
    file: 'module/handlers.cts',
    source: `const factor: number = 2;\nmodule.exports = { 'format.run': async (ctx: { payload: { n: number } }) => ({ format: 'cts', doubled: ctx.payload.n * factor }) };\n`,
  },
];

/** Where a handler of {@link PERMANENT} says it ran. */
const WHERE = `import process from 'node:process';\nimport { threadId } from 'node:worker_threads';\nconst where = (): string => (threadId > 0 ? 'a worker thread' : process.send !== undefined ? 'a child process' : 'the server');\n`;

/**
 * Modules that import `@gopherqueue/core` and throw its PermanentError, in a folder whose
 * `node_modules` links the package (under "type": "module", as everything in this repository is:
 * before a build, the package's sources are reachable through `import`, not `require`). The
 * isolated ones are imported again by each sandbox, through the same loader.
 */
const PERMANENT: (Format & { message?: string })[] = [
  {
    label: 'ESM .js',
    file: 'with-core/permanent.js',
    source: `import { PermanentError } from '@gopherqueue/core';\nexport default { 'format.permanent': async () => { throw new PermanentError('not worth retrying'); } };\n`,
  },
  {
    label: '.ts',
    file: 'with-core/permanent.ts',
    source: `import { PermanentError } from '@gopherqueue/core';\nexport default { 'format.permanent': async (): Promise<never> => { throw new PermanentError('not worth retrying'); } };\n`,
  },
  {
    label: '.ts isolated in a thread',
    file: 'with-core/thread.ts',
    source: `import { PermanentError } from '@gopherqueue/core';\n${WHERE}export default { 'format.permanent': { handler: async (): Promise<never> => { throw new PermanentError(\`not worth retrying in \${where()}\`); }, isolation: 'thread', memoryMb: 64 } };\n`,
    message: 'not worth retrying in a worker thread',
  },
  {
    label: '.ts isolated in a process',
    file: 'with-core/process.ts',
    source: `import { PermanentError } from '@gopherqueue/core';\n${WHERE}export default { 'format.permanent': { handler: async (): Promise<never> => { throw new PermanentError(\`not worth retrying in \${where()}\`); }, isolation: 'process' } };\n`,
    message: 'not worth retrying in a child process',
  },
];

/** Modules that cannot be loaded, and what `gq` says about each (`%s` is the module's path). */
const BROKEN: (Format & { error: string })[] = [
  {
    label: 'an ES module with a syntax error',
    file: 'plain/broken-esm.js',
    source: `export default {\n  a: async () => 1\n  b: 2,\n};\n`,
    error: `syntax error at %s:3:3: Unexpected identifier 'b'`,
  },
  {
    label: 'a CommonJS module with a syntax error',
    file: 'plain/broken.cjs',
    source: `module.exports = {\n  a: async () => 1\n  b: 2,\n};\n`,
    error: `syntax error at %s:3:3: Unexpected identifier 'b'`,
  },
  {
    label: 'a TypeScript module with a syntax error',
    file: 'plain/broken.ts',
    source: `const x: number = 1;\nexport default {\n  a: async () => x\n  b: 2,\n};\n`,
    error: `syntax error at %s:4:3: Expected "}" but found "b"`,
  },
  {
    label: 'a module that throws a SyntaxError of its own while it loads',
    file: 'plain/throws.mjs',
    source: `throw new SyntaxError('bad config in settings.json');\nexport default {};\n`,
    error: 'bad config in settings.json',
  },
  { label: 'a missing file', file: 'plain/missing.js', source: '', error: 'no such file %s' },
];

let dir: { path: string; remove(): Promise<void> };
let copy: BuiltCopy;
/** The repository's own `dist` directories, which the launcher prefers to the sources. */
const REPO_DISTS = ['apps/gq/dist', 'packages/core/dist'].map((path) => join(REPO_ROOT, path));
const distsBefore = REPO_DISTS.map((path) => existsSync(path));

beforeAll(async () => {
  dir = await tempDir('gq-formats-');
  for (let at = dir.path; dirname(at) !== at; at = dirname(at)) {
    expect(existsSync(join(at, 'package.json')), `${at} must have no package.json`).toBe(false);
  }
  await mkdir(join(dir.path, 'plain'));
  await mkdir(join(dir.path, 'module'));
  await mkdir(join(dir.path, 'with-core/node_modules/@gopherqueue'), { recursive: true });
  for (const folder of ['module', 'with-core']) {
    await writeFile(join(dir.path, folder, 'package.json'), '{ "type": "module" }\n');
  }
  await writeFile(
    join(dir.path, 'plain/double.ts'),
    'export function double(n: number): number {\n  return n * 2;\n}\n',
  );
  for (const format of [...FORMATS, ...PERMANENT, ...BROKEN.slice(0, -1)]) {
    await mkdir(dirname(join(dir.path, format.file)), { recursive: true });
    await writeFile(join(dir.path, format.file), format.source);
  }
  copy = await builtCopy();
}, 120_000);

afterAll(async () => {
  await killAll();
  await copy?.remove();
  await dir?.remove();
  // The build stayed in the copy.
  expect(REPO_DISTS.map((path) => existsSync(path))).toEqual(distsBefore);
});

/** Starts `gq serve --handlers <file>` from `bin` (undefined: the repository's, from source). */
async function serve(file: string, bin: string | undefined) {
  const server = await spawnGq(
    [
      'serve',
      '--http',
      '127.0.0.1:0',
      '--bolt=false',
      '--log-level',
      'warn',
      '--handlers',
      join(dir.path, file),
    ],
    {
      ready: /listening on (http:\/\/\S+)/,
      ...(bin === undefined ? { env: { GQ_FROM_SOURCE: '1' } } : { bin }),
    },
  );
  return { server, client: new GopherQueueClient({ baseUrl: server.url }) };
}

/** Runs `gq serve --handlers <file>` that is expected to exit at once. */
function serveOnce(
  file: string,
  bin: string | undefined,
): Promise<{ code: number; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (bin === undefined) env.GQ_FROM_SOURCE = '1';
  else delete env.GQ_FROM_SOURCE;
  const args = [bin ?? join(REPO_ROOT, 'apps/gq/bin/gq.js'), 'serve', '--bolt=false'];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...args, '--http', '127.0.0.1:0', '--handlers', join(dir.path, file)],
      { env, timeout: 60_000 },
      (err, _stdout, stderr) => {
        resolve({ code: err === null ? 0 : Number(err.code), stderr });
      },
    );
  });
}

const MODES = [
  { mode: 'from source, before a build', bin: (): string | undefined => undefined },
  { mode: 'built', bin: (): string | undefined => copy.bin },
];

describe.each(MODES)('gq serve --handlers, $mode', ({ bin }) => {
  it.each(FORMATS)('loads $label and runs its handler', async ({ file, source }) => {
    const { server, client } = await serve(file, bin());
    const job = await client.submit('format.run', { n: 21 });
    const done = await client.wait(job.id, '20s');
    expect(done.state).toBe('completed');
    const label = /format: '([\w-]+)'/.exec(source)?.[1];
    const output = done.result?.output as Record<string, unknown>;
    expect(output.format).toBe(label);
    expect(output.doubled).toBe(42);
    if ('esm' in output) expect(output.esm).toBe('string');
    if ('cjs' in output) expect(output.cjs).toMatch(/object$/);
    expect(server.stderr()).toBe('');
    expect((await stopProcess(server)).code).toBe(0);
  });

  it.each(BROKEN)('reports $label in one line', async ({ file, error }) => {
    const path = join(dir.path, file);
    expect(await serveOnce(file, bin())).toEqual({
      code: 1,
      stderr: `gq: cannot load --handlers ${path}: ${error.replace('%s', path)}\n`,
    });
  });

  it.each(PERMANENT)(
    'loads a $label module importing @gopherqueue/core, whose PermanentError fails a job at once',
    async ({ file, message }) => {
      // The module's folder resolves @gopherqueue/core to the package the CLI runs.
      const packages = bin() === undefined ? REPO_ROOT : copy.root;
      const link = join(dir.path, 'with-core/node_modules/@gopherqueue/core');
      await rm(link, { force: true });
      await symlink(join(packages, 'packages/core'), link, 'dir');
      const { server, client } = await serve(file, bin());
      const job = await client.submit('format.permanent', null, { maxAttempts: 5 });
      const done = await client.wait(job.id, '20s');
      expect(done.state).toBe('failed');
      const stored = await client.get(job.id);
      expect(stored.attempt).toBe(1);
      expect(stored.errors?.[0]).toMatchObject({
        message: message ?? 'not worth retrying',
        class: 'permanent',
        name: 'PermanentError',
      });
      expect((await stopProcess(server)).code).toBe(0);
    },
  );
});
