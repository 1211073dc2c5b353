import { spawn } from 'node:child_process';

/** What `promtool check metrics` said of a text. */
export interface PromtoolResult {
  /** Exit code: 0 when the text passed. */
  code: number;
  /** Its standard output and error: one line per problem. */
  output: string;
}

/**
 * Runs Prometheus' linter, `promtool check metrics`, on `text` (the Prometheus text format).
 * Resolves with undefined when `promtool` is not on the PATH (Debian's `prometheus` package
 * installs it).
 */
export function runPromtool(text: string): Promise<PromtoolResult | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') resolve(undefined);
      else reject(err);
    });
    child.once('close', (code) => resolve({ code: code ?? 1, output }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(text);
  });
}

/**
 * What a test does without `promtool`: under `CI=true` it throws (CI installs it); elsewhere it
 * prints a notice saying how to install it and answers true, so the caller skips.
 * @throws Error under `CI=true`
 */
export function promtoolMissing(what: string): true {
  const install = 'Install it with `apt-get install prometheus` (Debian)';
  if (process.env.CI === 'true') {
    throw new Error(`promtool is not installed, and ${what} needs it when CI=true. ${install}.`);
  }
  console.warn(`promtool is not installed: skipping ${what}. ${install} to run it.`);
  return true;
}
