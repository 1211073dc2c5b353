import type { GopherQueueClient, WireJobLogLine, WireJobLogPage } from '@gopherqueue/client';
import { isTerminal } from '@gopherqueue/core';
import type { CommandModule } from 'yargs';
import { CliError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import {
  JOB_ID_POSITIONAL,
  withClient,
  withClientOptions,
  type ClientArgs,
} from '../client-command.js';

interface LogsArgs extends ClientArgs {
  id: string;
  attempt: number | undefined;
  limit: number;
  follow: boolean;
  interval: number;
}

/** One line for people: `time  #attempt  LEVEL  message  {fields}`. */
export function formatLogLine(line: WireJobLogLine): string {
  const fields = line.fields === undefined ? '' : `  ${JSON.stringify(line.fields)}`;
  return `${line.at}  #${line.attempt}  ${line.level.toUpperCase().padEnd(5)}  ${line.message}${fields}\n`;
}

/** Waits `ms`, or less when `signal` fires. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * `gq logs ID`: the lines the job's handlers wrote through `ctx.logger` (the last lines of each
 * attempt, as the server keeps them). With `--follow`, reads new lines every `--interval` ms
 * until the job finished and every line is printed, or until interrupted.
 */
export function logsCommand(io: CliIo): CommandModule<object, LogsArgs> {
  return {
    command: 'logs <id>',
    describe: "Print a job's log lines (--follow: until it finishes)",
    builder: (args) =>
      withClientOptions(args, io)
        .positional('id', JOB_ID_POSITIONAL)
        .option('attempt', { type: 'number', describe: 'Only this attempt' })
        .option('limit', {
          type: 'number',
          default: 1000,
          describe: 'At most this many lines (without --follow), 1..100000',
        })
        .option('follow', {
          alias: 'f',
          type: 'boolean',
          default: false,
          describe: 'Keep printing new lines until the job finishes',
        })
        .option('interval', {
          type: 'number',
          default: 1000,
          describe: 'With --follow, ms between reads (100..60000)',
        }),
    handler: (args) => {
      if (args.attempt !== undefined && (!Number.isInteger(args.attempt) || args.attempt < 1)) {
        throw new CliError(`--attempt must be a positive integer; got ${args.attempt}`, 2);
      }
      if (!Number.isInteger(args.limit) || args.limit < 1 || args.limit > 100_000) {
        throw new CliError(`--limit must be an integer from 1 to 100000; got ${args.limit}`, 2);
      }
      if (!Number.isInteger(args.interval) || args.interval < 100 || args.interval > 60_000) {
        throw new CliError(`--interval must be from 100 to 60000 (ms); got ${args.interval}`, 2);
      }
      return withClient(args, async (client) => {
        const print = (line: WireJobLogLine): void => {
          io.stdout(args.json ? `${JSON.stringify(line)}\n` : formatLogLine(line));
        };
        if (!args.follow) {
          await readAll(client, args, args.limit, print);
          return;
        }
        await follow(client, args, io, print);
      });
    },
  };
}

/** Reads pages after `after` until none is left or `max` lines were printed; the last line read. */
async function readAll(
  client: GopherQueueClient,
  args: LogsArgs,
  max: number,
  print: (line: WireJobLogLine) => void,
  after?: string,
): Promise<string | undefined> {
  let last = after;
  let printed = 0;
  for (;;) {
    const page: WireJobLogPage = await client.logs(args.id, {
      limit: Math.min(1000, max - printed),
      ...(args.attempt === undefined ? {} : { attempt: args.attempt }),
      ...(last === undefined ? {} : { after: last }),
    });
    for (const line of page.lines) print(line);
    printed += page.lines.length;
    if (page.last !== undefined) last = page.last;
    if (!page.more || printed >= max) return last;
  }
}

async function follow(
  client: GopherQueueClient,
  args: LogsArgs,
  io: CliIo,
  print: (line: WireJobLogLine) => void,
): Promise<void> {
  let last: string | undefined;
  while (!io.stopSignal.aborted) {
    // The state first: lines written before the job finished are all in the read after it.
    const { state } = await client.get(args.id);
    last = await readAll(client, args, Number.MAX_SAFE_INTEGER, print, last);
    if (isTerminal(state)) return;
    await pause(args.interval, io.stopSignal);
  }
}
