import { spawn } from 'node:child_process';
import { REPO_ROOT } from './gq-process.js';

/** What one run of an example printed and how it ended. */
export interface ExampleRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node --conditions=@gopherqueue/source --import tsx examples/<file> <args>` from the
 * repository root, as examples/README.md tells a user to, with `env` added to this environment.
 */
export function runExample(
  file: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ExampleRun> {
  const child = spawn(
    process.execPath,
    ['--conditions=@gopherqueue/source', '--import', 'tsx', `examples/${file}`, ...args],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`examples/${file} did not finish in time\n${stdout}\n${stderr}`));
    }, 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
