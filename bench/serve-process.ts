import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GQ = join(ROOT, 'apps/gq/bin/gq.js');

/** A `gq serve` child of a bench. */
export interface Served {
  child: ChildProcess;
  url: string;
  /** From spawning the process to `/ready` answering 200. */
  readyMs: number;
}

/**
 * Starts `gq serve` (from the sources) on the embedded store in `dir`, on a free loopback port,
 * with `extra` flags, and waits until `/ready` answers.
 */
export async function serve(dir: string, extra: readonly string[] = []): Promise<Served> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [GQ, 'serve', '--http', '127.0.0.1:0', '--data-dir', dir, '--log-level', 'error', ...extra],
    {
      cwd: ROOT,
      env: { ...process.env, GQ_FROM_SOURCE: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const url = await new Promise<string>((done, fail) => {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1] !== undefined) done(match[1]);
    });
    child.once('exit', (code) => fail(new Error(`gq serve exited (${String(code)}): ${out}`)));
  });
  for (;;) {
    const res = await fetch(`${url}/ready`).catch(() => undefined);
    if (res?.status === 200) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  return { child, url, readyMs: performance.now() - t0 };
}

/** Stops a `gq serve` child with SIGTERM and waits for its exit. */
export async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}
