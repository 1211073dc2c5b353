import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tsx and the workspace packages resolve from here). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
/** The `gq` launcher, as `npx gq` runs it. */
export const GQ_BIN = join(REPO_ROOT, 'apps/gq/bin/gq.js');
/** The handlers module the remote worker tests load. */
export const FIXTURE_HANDLERS = join(REPO_ROOT, 'apps/gq/test/fixtures/handlers.mjs');

/** A `gq` child process. */
export interface GqProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The first match of the ready pattern's first group (the server URL). */
  readonly url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();

/**
 * Spawns `gq <args>` and resolves once its standard output matches `ready`. The launcher runs the
 * TypeScript sources (GQ_FROM_SOURCE=1) unless GQ_TEST_BUILT=1 asks for the built `dist`; `bin`
 * names another launcher (a built copy's), run as it is.
 */
export async function spawnGq(
  args: readonly string[],
  options: { ready: RegExp; env?: Record<string, string>; timeoutMs?: number; bin?: string },
): Promise<GqProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (options.bin !== undefined) delete env.GQ_FROM_SOURCE;
  else if (process.env.GQ_TEST_BUILT !== '1') env.GQ_FROM_SOURCE = '1';
  delete env.GQ_SERVER;
  delete env.GQ_API_KEY;
  const child = spawn(process.execPath, [options.bin ?? GQ_BIN, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      done({ code, signal });
    });
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`gq ${args.join(' ')} not ready in time\nstdout: ${out}\nstderr: ${err}`));
    }, options.timeoutMs ?? 60_000);
    const check = (): void => {
      const match = options.ready.exec(out);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1] ?? match[0]);
      }
    };
    child.stdout.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(`gq ${args.join(' ')} exited (${code ?? signal}) before ready\n${out}\n${err}`),
      );
    });
  });
  return { child, pid: child.pid as number, url, stdout: () => out, stderr: () => err, exited };
}

/** Starts `gq serve` on a free loopback port; extra flags follow the defaults. */
export function spawnServer(
  dataDir: string,
  flags: readonly string[] = [],
  env?: Record<string, string>,
): Promise<GqProcess> {
  return spawnGq(
    [
      'serve',
      '--http',
      '127.0.0.1:0',
      '--data-dir',
      dataDir,
      '--log-format',
      'json',
      '--log-level',
      'warn',
      ...flags,
    ],
    { ready: /listening on (http:\/\/\S+)/, ...(env === undefined ? {} : { env }) },
  );
}

/** Starts `gq work` against `server` with the fixture handlers. */
export function spawnWorker(
  server: string,
  flags: readonly string[] = [],
  env?: Record<string, string>,
): Promise<GqProcess> {
  return spawnGq(
    [
      'work',
      '--server',
      server,
      '--handlers',
      FIXTURE_HANDLERS,
      '--log-format',
      'json',
      '--log-level',
      'warn',
      ...flags,
    ],
    { ready: /gq work pulling/, ...(env === undefined ? {} : { env }) },
  );
}

/** Sends `signal` and resolves with how the process ended. */
export async function stopProcess(
  proc: GqProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal);
  return proc.exited;
}

/** SIGKILLs every child still running (for afterAll). */
export async function killAll(): Promise<void> {
  const waits = [...live].map(
    (child) =>
      new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
}

/** A fresh directory under the system temp dir, and its removal. */
export async function tempDir(
  prefix = 'gq-e2e-',
): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Polls `probe` every `intervalMs` until it returns a value other than undefined. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
