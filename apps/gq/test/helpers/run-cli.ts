import { Readable } from 'node:stream';
import { runCli } from '../../src/cli.js';

/** What one in-process `gq` run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `gq <args>` in this process with captured output (the yargs command tree, as `main.ts`
 * runs it). `onStdout` sees every write and may call `stop()` to end a long-running command.
 */
export async function gq(
  args: readonly string[],
  options: {
    env?: Record<string, string | undefined>;
    stdin?: string;
    cwd?: string;
    onStdout?: (text: string, stop: () => void) => void;
  } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const controller = new AbortController();
  const stop = (): void => controller.abort('SIGTERM');
  const code = await runCli(args, {
    stdout: (text) => {
      stdout += text;
      options.onStdout?.(stdout, stop);
    },
    stderr: (text) => {
      stderr += text;
    },
    env: options.env ?? {},
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    cwd: options.cwd ?? process.cwd(),
    stopSignal: controller.signal,
  });
  return { code, stdout, stderr };
}
