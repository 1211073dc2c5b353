import { spawn } from 'node:child_process';
import {
  dropSchemas,
  runSql,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from '../../../../packages/persistence/src/postgres/test-database.js';
import { GQ_BIN, REPO_ROOT } from './gq-process.js';

export { describeWithPostgres } from '../../../../packages/persistence/src/postgres/describe-with-postgres.js';
export { dropSchemas, runSql, TEST_POSTGRES_URL, uniqueSchema };

/** What a one-shot `gq` process printed and how it ended. */
export interface GqRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `gq <args>` to its end in a child process, feeding `stdin`. */
export function runGqProcess(
  args: readonly string[],
  options: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<GqRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (process.env.GQ_TEST_BUILT !== '1') env.GQ_FROM_SOURCE = '1';
  const child = spawn(process.execPath, [GQ_BIN, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gq ${args.join(' ')} did not finish in time\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
