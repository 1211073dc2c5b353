import yargs, { type Argv } from 'yargs';
import { CliError } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import { cancelCommand } from './commands/cancel.js';
import { deleteCommand } from './commands/delete.js';
import { dlqCommand } from './commands/dlq.js';
import { eventsCommand } from './commands/events.js';
import { exportCommand } from './commands/export.js';
import { importCommand } from './commands/import.js';
import { jobCommand } from './commands/job.js';
import { jobsCommand } from './commands/bulk.js';
import { keysCommand } from './commands/keys.js';
import { logsCommand } from './commands/logs.js';
import { migrateCommand } from './commands/migrate.js';
import { queuesCommand } from './commands/queues.js';
import { retryCommand } from './commands/retry.js';
import { schedulesCommand } from './commands/schedules.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { submitCommand } from './commands/submit.js';
import { waitCommand } from './commands/wait.js';
import { workCommand } from './commands/work.js';
import { workersCommand } from './commands/workers.js';
import { GQ_VERSION } from './version.js';
import { UsageError } from './cli-error.js';

/** Builds the `gq` command line: every command, writing through `io`. */
export function buildCli(io: CliIo, raw: readonly string[] = []): Argv {
  return yargs()
    .scriptName('gq')
    .usage('$0 <command> [options]\n\nGopherQueue: a local-first background job engine.')
    .command(serveCommand(io))
    .command(workCommand(io))
    .command(submitCommand(io))
    .command(statusCommand(io))
    .command(jobCommand(io))
    .command(logsCommand(io))
    .command(jobsCommand(io))
    .command(cancelCommand(io))
    .command(retryCommand(io))
    .command(deleteCommand(io))
    .command(waitCommand(io))
    .command(dlqCommand(io))
    .command(queuesCommand(io))
    .command(schedulesCommand(io))
    .command(workersCommand(io))
    .command(keysCommand(io))
    .command(eventsCommand(io))
    .command(exportCommand(io))
    .command(importCommand(io))
    .command(migrateCommand(io))
    .middleware(refuseRepeatedFlags, true)
    .middleware(refuseOddBooleans(raw), true)
    .middleware(refuseNonNumbers(raw), true)
    .demandCommand(1, 'name a command')
    .strict()
    .recommendCommands()
    .exitProcess(false)
    .fail(false)
    .help()
    .alias('help', 'h')
    .version('version', 'Show the version of gq', GQ_VERSION)
    .wrap(Math.min(100, process.stdout.columns || 100));
}

/**
 * A usage error for a flag given twice that takes one value (yargs would make it a list, which
 * every command would then misread); flags meant to repeat (`--tag`, `--depends-on`) are lists.
 */
function refuseRepeatedFlags(argv: Record<string, unknown>, parser?: unknown): void {
  // yargs passes its parser as a second argument; its typings omit it and `getOptions`.
  const lists = new Set((parser as { getOptions(): { array: string[] } }).getOptions().array);
  for (const [name, value] of Object.entries(argv)) {
    if (name === '_' || !Array.isArray(value) || lists.has(name) || /[A-Z]/.test(name)) continue;
    throw new UsageError(`--${name} was given ${value.length} times; give it once`);
  }
}

/**
 * A usage error for a switch given a value other than `true` or `false` (`--auth=1`,
 * `--bolt=yes`): yargs reads any such value as false, which would turn `--auth=yes` into no auth
 * at all and `--bolt=TRUE` into a store that keeps nothing.
 */
function refuseOddBooleans(
  raw: readonly string[],
): (argv: Record<string, unknown>, parser?: unknown) => void {
  return (_argv, parser) => {
    const booleans = new Set(
      (parser as { getOptions(): { boolean: string[] } }).getOptions().boolean,
    );
    for (const token of raw) {
      if (token === '--') break;
      const match = /^--(?:no-)?([^=]+)=([\s\S]*)$/.exec(token);
      if (match === null) continue;
      const [, name = '', value = ''] = match;
      const camel = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      if (!booleans.has(name) && !booleans.has(camel)) continue;
      if (value !== 'true' && value !== 'false') {
        throw new UsageError(
          `--${name} is a switch: give it alone, or =true or =false; got ${JSON.stringify(value.slice(0, 50))}`,
        );
      }
    }
  };
}

/**
 * Runs `gq` with `argv` (without the node and script paths) and resolves with the exit code:
 * 0 on success, 1 when the command failed, 2 for a usage error. Errors are printed as one line.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let output = '';
  try {
    const args = joinStdinValues(argv);
    await buildCli(io, args).parseAsync(args, {}, (_err, _args, text) => {
      output = text;
    });
    if (output !== '') io.stdout(output.endsWith('\n') ? output : `${output}\n`);
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`gq: ${err.message}\n`);
      return err.exitCode;
    }
    // Anything else came from yargs' own validation: a usage error.
    const message = (err as Error).message.trim().replace(/\s*\n\s*/g, ' ');
    io.stderr(`gq: ${message} (see \`gq --help\`)\n`);
    return 2;
  }
}

/**
 * Joins a long flag and a value yargs would not take as its value: a lone `-` after `--payload`
 * (standard input), and a negative number or duration (`--timeout -5s`, `--priority -1`), which
 * yargs would read as short flags `-5`, `-s` and refuse as unknown arguments, so the flag's own
 * check names the value instead.
 */
function joinStdinValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    const flag = out.at(-1);
    const takes = flag !== undefined && /^--[a-z][\w-]*$/.test(flag);
    if (arg === '-' && flag === '--payload') out[out.length - 1] = '--payload=-';
    else if (takes && /^-\d/.test(arg)) out[out.length - 1] = `${flag}=${arg}`;
    else out.push(arg);
  }
  return out;
}

/**
 * A usage error for a number flag given something that is not a number (`--limit abc`): yargs
 * reads it as NaN, which a command's check would show as `NaN`; this names the text as typed.
 */
function refuseNonNumbers(
  raw: readonly string[],
): (argv: Record<string, unknown>, parser?: unknown) => void {
  return (argv, parser) => {
    const numbers = (parser as { getOptions(): { number: string[] } }).getOptions().number;
    for (const name of numbers) {
      const value = argv[name];
      const values = Array.isArray(value) ? (value as unknown[]) : [value];
      if (!values.some((v) => typeof v === 'number' && Number.isNaN(v))) continue;
      if (/[A-Z]/.test(name)) continue; // the camel-case alias of a dashed flag, named below
      const at = raw.findIndex((t) => t === `--${name}` || t.startsWith(`--${name}=`));
      const token = raw[at] ?? '';
      const typed = token.includes('=') ? token.slice(token.indexOf('=') + 1) : (raw[at + 1] ?? '');
      throw new UsageError(`--${name} must be a number; got ${JSON.stringify(typed.slice(0, 50))}`);
    }
  };
}
