import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from './helpers/gq-process.js';

// Builds, packs and installs the packages as a user outside the monorepo would get them. All of it
// happens in a copy of the repository under the system temp directory, so the working tree never
// gets a `dist` (with one, `npx gq` would run stale compiled code instead of the sources).

/** The published libraries, by directory under packages/. */
const LIBRARIES = [
  'core',
  'persistence',
  'scheduler',
  'worker',
  'recovery',
  'security',
  'observability',
  'api',
  'client',
];
/** Every package with a tarball: the libraries and the `gq` CLI. */
const PACKED = [...LIBRARIES.map((name) => `packages/${name}`), 'apps/gq'];

let work: { path: string; remove(): Promise<void> };
/** The packed tarballs, by package directory, with the files each holds. */
const tarballs = new Map<string, { filename: string; files: string[] }>();
let app: string;

/** This environment without what a pnpm running this test passes to its children. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm|pnpm)_/i.test(key) && key !== 'PNPM_PACKAGE_NAME') env[key] = value;
  }
  return { ...env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', FORCE_COLOR: '0' };
}

/** Runs a command to its end; rejects with its output when it fails. */
function run(
  command: string,
  args: readonly string[],
  cwd: string,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env: childEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            new Error(
              `${command} ${args.join(' ')} failed in ${cwd}: ${err.message}\n${stdout}\n${stderr}`,
            ),
          );
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/** Copies the files git would commit (tracked, or new and not ignored) into `target`. */
async function copyRepository(target: string): Promise<void> {
  const { stdout } = await run(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    REPO_ROOT,
  );
  for (const file of stdout.split('\0').filter(Boolean)) {
    const from = join(REPO_ROOT, file);
    const exists = await stat(from).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!exists) continue; // deleted in the working tree
    await mkdir(dirname(join(target, file)), { recursive: true });
    await copyFile(from, join(target, file));
  }
}

/** The dependency versions of the root package.json, so the app needs nothing new. */
async function rootDevDependency(name: string): Promise<string> {
  const root = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const version = root.devDependencies[name];
  if (version === undefined) throw new Error(`the root package.json has no ${name}`);
  return version;
}

beforeAll(async () => {
  work = await tempDir('gq-packaging-');
  const repo = join(work.path, 'repo');
  await copyRepository(repo);
  await run('pnpm', ['install', '--frozen-lockfile', '--prefer-offline'], repo);
  // `pnpm build` is `turbo run build`; one task at a time leaves a core to the other tests.
  await run('pnpm', ['exec', 'turbo', 'run', 'build', '--concurrency=1'], repo);

  const packs = join(work.path, 'tarballs');
  for (const dir of PACKED) {
    const { stdout } = await run(
      'pnpm',
      ['pack', '--pack-destination', packs, '--json'],
      join(repo, dir),
    );
    // Lifecycle scripts print around the JSON.
    const packed = JSON.parse(stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('}') + 1)) as {
      filename: string;
      files: { path: string }[];
    };
    tarballs.set(dir, { filename: packed.filename, files: packed.files.map((f) => f.path) });
  }

  // A fresh application outside any workspace, depending on the tarballs only. pnpm resolves the
  // packages' dependencies on one another (`@gopherqueue/core@0.1.0`) through the overrides, not
  // through a registry; classic-level's install script is not needed (prebuilt binaries), nor
  // esbuild's (tsx, which `gq` uses to load TypeScript handlers, gets its binary through an
  // optional dependency).
  app = join(work.path, 'app');
  await mkdir(app);
  const tarball = (name: string): string =>
    `file:${tarballs.get(`packages/${name}`)?.filename ?? ''}`;
  const dependencies: Record<string, string> = {
    ...Object.fromEntries(LIBRARIES.map((name) => [`@gopherqueue/${name}`, tarball(name)])),
    gq: `file:${tarballs.get('apps/gq')?.filename ?? ''}`,
  };
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'consumer-app',
      private: true,
      type: 'module',
      dependencies,
      devDependencies: {
        typescript: await rootDevDependency('typescript'),
        '@types/node': await rootDevDependency('@types/node'),
      },
    }),
  );
  await writeFile(
    join(app, 'pnpm-workspace.yaml'),
    [
      'allowBuilds:',
      '  classic-level: false',
      '  esbuild: false',
      'overrides:',
      ...Object.entries(dependencies).map(([name, spec]) => `  "${name}": "${spec}"`),
      '',
    ].join('\n'),
  );
  await writeFile(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        lib: ['es2023'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        skipLibCheck: false,
        types: ['node'],
        outDir: 'dist',
      },
      include: ['app.ts'],
    }),
  );
  await copyFile(join(REPO_ROOT, 'apps/gq/test/fixtures/consumer-app.ts'), join(app, 'app.ts'));
  await run('pnpm', ['install', '--prefer-offline'], app);
}, 900_000);

afterAll(async () => {
  await work?.remove();
});

describe('the packed packages', () => {
  it('carry dist with types, a README and the LICENSE, and no sources or tests', () => {
    for (const dir of PACKED) {
      const files = tarballs.get(dir)?.files ?? [];
      const entry =
        dir === 'apps/gq'
          ? ['bin/gq.js', 'bin/sandbox-loader.js', 'dist/main.js']
          : ['dist/index.js', 'dist/index.d.ts'];
      // The entry of a sandbox is JavaScript the build copies beside the code that starts it.
      if (dir === 'packages/worker') entry.push('dist/sandbox/sandbox-main.js');
      expect({
        dir,
        has: [...entry, 'README.md', 'LICENSE', 'package.json'].filter((f) => files.includes(f)),
      }).toEqual({
        dir,
        has: [...entry, 'README.md', 'LICENSE', 'package.json'],
      });
      expect({
        dir,
        extra: files.filter((f) => f.startsWith('src/') || f.includes('.test.')),
      }).toEqual({
        dir,
        extra: [],
      });
    }
  });

  it('carry the files of every ./testing entry they export, and no helpers of their own tests', async () => {
    for (const name of LIBRARIES) {
      const manifest = JSON.parse(
        await readFile(join(REPO_ROOT, 'packages', name, 'package.json'), 'utf8'),
      ) as { exports: Record<string, { types: string; default: string }> };
      const testing = manifest.exports['./testing'];
      const files = tarballs.get(`packages/${name}`)?.files ?? [];
      const wanted =
        testing === undefined ? [] : [testing.types, testing.default].map((f) => f.slice(2));
      expect({ name, missing: wanted.filter((f) => !files.includes(f)) }).toEqual({
        name,
        missing: [],
      });
    }
    const persistence = tarballs.get('packages/persistence')?.files ?? [];
    expect(persistence.filter((f) => /test-database|crash-child/.test(f))).toEqual([]);
    expect(persistence).toContain('dist/testing/index.js');
    expect(tarballs.get('packages/core')?.files).toContain('dist/testing/manual-clock.js');
  });

  it('install outside the workspace with the root LICENSE and real versions for workspace:*', async () => {
    const license = await readFile(join(REPO_ROOT, 'LICENSE'), 'utf8');
    for (const name of LIBRARIES) {
      const installed = join(app, 'node_modules/@gopherqueue', name);
      expect(await readFile(join(installed, 'LICENSE'), 'utf8')).toBe(license);
      const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
        scripts?: Record<string, string>;
      };
      const workspaceRanges = Object.entries(manifest.dependencies ?? {}).filter(([, range]) =>
        range.startsWith('workspace:'),
      );
      expect({ name, workspaceRanges }).toEqual({ name, workspaceRanges: [] });
    }
  });

  it('type-check with skipLibCheck false, compile, and run a job on a LevelStore on disk', async () => {
    await run('pnpm', ['exec', 'tsc', '-p', 'tsconfig.json'], app);
    const { stdout } = await run(process.execPath, ['dist/app.js', join(work.path, 'data')], app);
    expect(JSON.parse(stdout)).toEqual({
      refused: 401,
      submitted: [201, 'add', 10_000],
      deduplicated: [false, true, true],
      health: ['healthy', 5_000],
      stored: [
        ['completed', { sum: 2 }],
        ['completed', { sum: 5 }],
        ['completed', 21],
      ],
    });
  }, 120_000);
});

describe('the packed gq CLI', () => {
  it('runs gq serve from its compiled code, ready on /ready, and stops on SIGTERM', async () => {
    const env = childEnv();
    delete env.GQ_FROM_SOURCE;
    const child = spawn(
      process.execPath,
      [
        join(app, 'node_modules/gq/bin/gq.js'),
        'serve',
        '--http',
        '127.0.0.1:0',
        '--data-dir',
        join(work.path, 'serve-data'),
        '--log-level',
        'warn',
      ],
      { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let out = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      void exited.then((code) =>
        reject(new Error(`gq serve exited (${code}) before listening\n${out}`)),
      );
    });
    try {
      const ready = await fetch(`${url}/ready`);
      expect([ready.status, await ready.json()]).toEqual([200, { ready: true }]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
