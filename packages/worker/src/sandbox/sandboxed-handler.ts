import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JobContext } from '../job-context.js';

/**
 * Where a handler runs: `inline` on the pool's own thread (fastest; for trusted code), `thread` in
 * a worker thread (stoppable even when CPU-bound, with a heap limit, sharing the process),
 * `process` in a child process (a crash, native code or `process.exit` stays in it).
 */
export type Isolation = 'inline' | 'thread' | 'process';

/** The isolation modes that run a handler in a sandbox. */
export type SandboxIsolation = Exclude<Isolation, 'inline'>;

/**
 * A handler for {@link WorkerPool.register} that runs in a pool of sandboxes (worker threads or
 * child processes) kept warm for its job type. Functions do not cross threads, so the handler is
 * named by its module, which each sandbox imports itself:
 *
 * ```ts
 * pool.register('resize', {
 *   module: new URL('./resize.js', import.meta.url),
 *   isolation: 'process',
 *   memoryMb: 256,
 * });
 * ```
 *
 * The handler gets the same context as an inline one (`payload`, `signal`, `checkpoint`,
 * `progress`, `logger`, `lastCheckpoint`, `dependencies`), its calls relayed to the pool;
 * `ctx.job` lacks the lease token. Values cross by structured clone and are stored as JSON.
 */
export interface SandboxedHandler {
  /**
   * The module: a `file:` URL (a `URL` or its text) or an absolute path. Any other text is
   * passed as it is to the loader's `importModule` (a package name it can resolve).
   */
  module: string | URL;
  /**
   * The module's export that is the handler: a function, an object with a `handler` function,
   * or (with `key`) an object mapping job types to either. @defaultValue 'default'
   */
  export?: string;
  /** The entry of that export to use, when it maps job types to handlers. @defaultValue none */
  key?: string;
  /** `thread` or `process`. */
  isolation: SandboxIsolation;
  /**
   * Heap limit of each sandbox in MB (V8's old generation, where a handler's data lives):
   * `resourceLimits.maxOldGenerationSizeMb` of a thread, `--max-old-space-size` of a process.
   * A sandbox that passes it ends, and its attempt fails as `sandbox_crashed`. Between 8 and
   * 1,048,576. @defaultValue Node's default
   */
  memoryMb?: number;
  /**
   * Sandboxes kept for this job type, started on demand and reused; at most 1,024.
   * @defaultValue the smaller of the pool's concurrency and the machine's cores
   */
  sandboxes?: number;
  /**
   * Jobs one sandbox runs at once; at most 10,000. More than one suits handlers that wait on I/O,
   * but a job that crashes its sandbox, or outlives its grace period (the sandbox is then
   * terminated), takes the others in it down too. @defaultValue 1
   */
  jobsPerSandbox?: number;
  /**
   * A module each sandbox imports first, whose `importModule(specifier)` then imports `module`
   * (to compile TypeScript or register module hooks, as `gq` does). A `file:` URL or an absolute
   * path. @defaultValue none: `import(module)`
   */
  loader?: string | URL;
  /**
   * Node options of each sandbox (`['--enable-source-maps']`); at most 64. A process gets
   * `--max-old-space-size` from `memoryMb` besides. @defaultValue this process's `execArgv`
   */
  execArgv?: readonly string[];
}

/** A {@link SandboxedHandler} with its defaults applied. */
export interface ResolvedSandboxedHandler {
  module: string;
  export: string;
  key: string | undefined;
  isolation: SandboxIsolation;
  memoryMb: number | undefined;
  sandboxes: number;
  jobsPerSandbox: number;
  loader: string | undefined;
  /** Undefined: this process's. */
  execArgv: readonly string[] | undefined;
}

/** One attempt started in a sandbox. */
export interface IsolatedRun {
  /** Settles with the handler's result or error. */
  readonly result: Promise<unknown>;
  /**
   * Stops the handler by force: called when it did not stop within the grace period after its
   * signal fired. Its sandbox is terminated and replaced.
   */
  readonly terminate: () => void;
}

/** A handler that runs outside the pool's thread and can be stopped by force. */
export interface IsolatedHandler {
  readonly isolation: SandboxIsolation;
  /** Starts the handler on `ctx`; `ctx.signal` is forwarded into the sandbox. */
  start(ctx: JobContext): IsolatedRun;
  /** Ends every sandbox (their runs fail); the next `start` opens new ones. */
  close(): Promise<void>;
}

const MAX_MEMORY_MB = 1_048_576;
const MAX_SANDBOXES = 1_024;
const MAX_JOBS_PER_SANDBOX = 10_000;
const MAX_EXEC_ARGS = 64;
const NAME = /^.{1,200}$/s;

/** True when `value` is meant as a {@link SandboxedHandler} (an object, not a function). */
export function isSandboxedHandler(value: unknown): value is SandboxedHandler {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Applies defaults and validates the registration of `type`.
 * @throws TypeError or RangeError naming the offending field.
 */
export function resolveSandboxedHandler(
  type: string,
  spec: SandboxedHandler,
  defaultSandboxes: number,
): ResolvedSandboxedHandler {
  const where = `the handler of "${type}"`;
  if (spec.isolation !== 'thread' && spec.isolation !== 'process') {
    throw new RangeError(
      `${where}: isolation must be 'thread' or 'process' (register a function to run it inline); got ${JSON.stringify(spec.isolation)}`,
    );
  }
  const exportName = spec.export ?? 'default';
  if (typeof exportName !== 'string' || !NAME.test(exportName)) {
    throw new TypeError(`${where}: export must be an export name; got ${String(exportName)}`);
  }
  if (spec.key !== undefined && (typeof spec.key !== 'string' || !NAME.test(spec.key))) {
    throw new TypeError(`${where}: key must be a non-empty string; got ${String(spec.key)}`);
  }
  const memoryMb = spec.memoryMb;
  if (memoryMb !== undefined) integerIn(where, 'memoryMb', memoryMb, 8, MAX_MEMORY_MB);
  const sandboxes = spec.sandboxes ?? Math.min(defaultSandboxes, MAX_SANDBOXES);
  integerIn(where, 'sandboxes', sandboxes, 1, MAX_SANDBOXES);
  const jobsPerSandbox = spec.jobsPerSandbox ?? 1;
  integerIn(where, 'jobsPerSandbox', jobsPerSandbox, 1, MAX_JOBS_PER_SANDBOX);
  const execArgv: unknown = spec.execArgv;
  if (
    execArgv !== undefined &&
    (!Array.isArray(execArgv) ||
      execArgv.length > MAX_EXEC_ARGS ||
      !execArgv.every((arg) => typeof arg === 'string' && arg.length <= 4_096))
  ) {
    throw new TypeError(`${where}: execArgv must be an array of at most ${MAX_EXEC_ARGS} strings`);
  }
  return {
    module: moduleSpecifier(where, 'module', spec.module, true),
    export: exportName,
    key: spec.key,
    isolation: spec.isolation,
    memoryMb,
    sandboxes,
    jobsPerSandbox,
    loader:
      spec.loader === undefined ? undefined : moduleSpecifier(where, 'loader', spec.loader, false),
    execArgv: execArgv === undefined ? undefined : [...(execArgv as string[])],
  };
}

/**
 * A module as a sandbox imports it: a `file:` URL for a path; a package name as it is.
 * @throws TypeError for a relative path (relative to what, in a sandbox?) or a non-string.
 */
function moduleSpecifier(where: string, field: string, value: unknown, allowBare: boolean): string {
  if (value instanceof URL) return value.href;
  if (typeof value !== 'string' || value === '' || value.length > 4_096) {
    throw new TypeError(`${where}: ${field} must be a file URL or an absolute path`);
  }
  if (isAbsolute(value)) return pathToFileURL(value).href;
  if (/^(file|data|node):/.test(value)) return value;
  if (value.startsWith('.') || !allowBare) {
    throw new TypeError(
      `${where}: ${field} must be a file URL or an absolute path (new URL('./x.js', import.meta.url)); got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function integerIn(where: string, name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `${where}: ${name} must be an integer from ${min} to ${max}; got ${String(value)}`,
    );
  }
}
