import { fork } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  SANDBOX_MAIN,
  type ChannelOptions,
  type SandboxChannel,
  type SandboxEvents,
} from './sandbox-channel.js';

/** What V8 prints when a heap passes its limit (`--max-old-space-size`). */
const OUT_OF_MEMORY = /JavaScript heap out of memory|Reached heap limit/;
/** Standard error kept to tell an out-of-memory abort from another fatal error. */
const STDERR_TAIL = 4_096;
/** How long after the exit the rest of standard error is awaited. */
const STDERR_WAIT_MS = 2_000;

/**
 * A sandbox in a child process (`fork`, structured-clone IPC), its heap bounded by
 * `--max-old-space-size`. It shares nothing with this process: a crash, an abort of native code or
 * `process.exit` ends only the child, and `kill` is SIGKILL. Its standard output is this
 * process's; its standard error is passed through and its tail kept to recognise running out of
 * memory. The child does not keep this process alive on its own, and exits when this process dies
 * (its IPC channel closes).
 */
export function openProcessChannel(options: ChannelOptions, events: SandboxEvents): SandboxChannel {
  const execArgv = (options.execArgv ?? process.execArgv).filter(
    (arg) => !arg.startsWith('--max-old-space-size'),
  );
  if (options.memoryMb !== undefined) execArgv.push(`--max-old-space-size=${options.memoryMb}`);
  const child = fork(fileURLToPath(SANDBOX_MAIN), [], {
    execArgv,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderrTail = '';
  const stderr = child.stderr;
  stderr?.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
  });
  (stderr as Socket | null)?.unref();
  child.unref();
  child.channel?.unref();
  let reported = false;
  const report = (code: number | null, signal: NodeJS.Signals | null, error?: unknown): void => {
    if (reported) return;
    reported = true;
    events.exit({
      code,
      signal,
      ...(error === undefined ? {} : { error }),
      outOfMemory: OUT_OF_MEMORY.test(stderrTail),
    });
  };
  child.on('message', (batch: unknown) => {
    events.message(batch);
  });
  child.on('error', (err) => {
    // A child that could not be spawned never exits; a failed send is followed by the exit.
    if (child.pid === undefined) report(null, null, err);
  });
  child.on('exit', (code, signal) => {
    // V8's out-of-memory report may still be in the pipe: wait for standard error to close.
    if (stderr === null || stderr.readableEnded || stderr.destroyed) {
      report(code, signal);
      return;
    }
    const cancel = options.clock.setTimer(() => {
      report(code, signal);
    }, STDERR_WAIT_MS);
    stderr.once('close', () => {
      cancel();
      report(code, signal);
    });
  });
  return {
    name: `process ${child.pid ?? '(not started)'}`,
    send(batch) {
      if (child.connected) child.send(batch);
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}
