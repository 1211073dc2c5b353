import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root, where `tsx` and the workspace resolve. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** How a child process ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A TypeScript child process whose stdout is collected line by line. */
export interface TsChild {
  readonly process: ChildProcess;
  /** Every complete stdout line so far. */
  readonly lines: string[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the first line (now or later) that matches; rejects if the child exits first. */
  waitForLine(match: (line: string) => boolean): Promise<string>;
  /** Resolves once the process exited and its stdout was read to the end. */
  readonly exited: Promise<ChildExit>;
}

/**
 * Runs `script` (a path relative to this directory) as
 * `node --conditions=@gopherqueue/source --import tsx` from the repository root.
 */
export function spawnTsChild(script: string, args: readonly string[]): TsChild {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(
    process.execPath,
    ['--conditions=@gopherqueue/source', '--import', 'tsx', path, ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const watchers = new Set<() => void>();
  let partial = '';
  let errText = '';
  let ended = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const watcher of watchers) watcher();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    errText += chunk;
  });
  const exited = new Promise<ChildExit>((resolve) => {
    child.on('close', (code, signal) => {
      ended = true;
      for (const watcher of watchers) watcher();
      resolve({ code, signal });
    });
  });
  return {
    process: child,
    lines,
    stderr: () => errText,
    exited,
    waitForLine(match) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines.find(match);
          if (found !== undefined) {
            watchers.delete(check);
            resolve(found);
          } else if (ended) {
            watchers.delete(check);
            reject(new Error(`child exited before the expected line; stderr:\n${errText}`));
          }
        };
        watchers.add(check);
        check();
      });
    },
  };
}
