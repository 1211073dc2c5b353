import type { Readable } from 'node:stream';

/** Imports a module by URL and resolves with its namespace object. */
export type ModuleImporter = (url: string) => Promise<unknown>;

/** `import()` from this module: Node's loader, or whatever loader runs the CLI itself. */
const importHere: ModuleImporter = (url) => import(url);

/** Where a command reads and writes; tests pass captured streams, `main.ts` the process's. */
export interface CliIo {
  /** Writes to standard output; the text carries its own newlines. */
  stdout(text: string): void;
  /** Writes to standard error; the text carries its own newlines. */
  stderr(text: string): void;
  /** Environment variables (`GQ_SERVER`, `GQ_API_KEY`). */
  env: Readonly<Record<string, string | undefined>>;
  /** Standard input, read by `--payload -`. */
  stdin: Readable;
  /** Directory relative paths are resolved against. */
  cwd: string;
  /**
   * Resolves when the user asks the process to stop (SIGINT or SIGTERM); long-running commands
   * (`serve`, `work`, `events`, `wait`) shut down then.
   */
  stopSignal: AbortSignal;
  /**
   * Imports a user's JavaScript module (`--handlers`); TypeScript ones go through tsx instead.
   * @defaultValue `import()`
   */
  importModule?: ModuleImporter;
}

/**
 * The process's own streams, environment and signals; `importModule` imports a user's modules.
 */
export function processIo(importModule: ModuleImporter = importHere): CliIo {
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      // A second signal while shutting down: give up at once, saying what that leaves.
      process.stderr.write(
        'gq: stopping at once (a second signal): jobs still running are left running, and run ' +
          'again when the store is next opened or their lease lapses, their attempt spent\n',
      );
      process.exit(130);
    }
    controller.abort(signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // A reader that stopped early (`gq export | head`) ends the output, not with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    stdin: process.stdin,
    cwd: process.cwd(),
    stopSignal: controller.signal,
    importModule,
  };
}
