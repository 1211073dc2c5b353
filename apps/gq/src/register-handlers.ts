import type { Isolation, WorkerPool } from '@gopherqueue/worker';
import { CliError } from './cli-error.js';
import type { HandlerEntry, HandlerModule } from './load-handlers.js';

/**
 * The loader each sandbox imports before the handlers module (`bin/sandbox-loader.js`): it loads
 * the module as the `gq` launcher does, TypeScript included, from the sources or a build. `src`
 * and `dist` both sit beside `bin`, so the same relative URL finds it from either.
 */
export const SANDBOX_LOADER = new URL('../bin/sandbox-loader.js', import.meta.url);

/** The fields of an entry that size its sandboxes. */
const SANDBOX_FIELDS = ['memoryMb', 'sandboxes', 'jobsPerSandbox'] as const;

/**
 * Registers the entries of a handlers module on `pool`: an entry that runs `inline` as its
 * function; one isolated in a `thread` or a `process` by its module and job type, which each
 * sandbox imports itself through {@link SANDBOX_LOADER}. An entry without `isolation` takes
 * `isolation`, the `--isolation` flag. With `only`, just the entries of those types.
 * @throws CliError naming the module and the job type when an entry cannot be registered (a size
 * out of range, or sandbox sizes on an inline entry).
 */
export function registerHandlers(
  pool: WorkerPool,
  module: HandlerModule,
  isolation: Isolation = 'inline',
  only?: readonly string[],
): void {
  for (const [type, entry] of Object.entries(module.entries)) {
    if (only !== undefined && !only.includes(type)) continue;
    const where = entry.isolation ?? isolation;
    try {
      if (where === 'inline') {
        const sized = SANDBOX_FIELDS.find((field) => entry[field] !== undefined);
        if (sized !== undefined) {
          throw new Error(
            `handler "${type}" sets ${sized} but runs inline; give it isolation 'thread' or 'process' (or pass --isolation)`,
          );
        }
        pool.register(type, entry.handler);
      } else {
        pool.register(type, {
          module: module.specifier,
          export: 'default',
          key: type,
          isolation: where,
          loader: SANDBOX_LOADER,
          ...sizes(entry),
        });
      }
    } catch (err) {
      throw new CliError(`--handlers ${module.name}: ${(err as Error).message}`, 1, { cause: err });
    }
  }
}

function sizes(entry: HandlerEntry): Pick<HandlerEntry, (typeof SANDBOX_FIELDS)[number]> {
  return {
    ...(entry.memoryMb === undefined ? {} : { memoryMb: entry.memoryMb }),
    ...(entry.sandboxes === undefined ? {} : { sandboxes: entry.sandboxes }),
    ...(entry.jobsPerSandbox === undefined ? {} : { jobsPerSandbox: entry.jobsPerSandbox }),
  };
}
