import { ApiError, type ScheduleInput, type WireSchedule } from '@gopherqueue/client';
import { formatDuration, MAX_DURATION_MS, MAX_TIMEOUT_MS } from '@gopherqueue/core';
import {
  checkTimezone,
  cronPlan,
  MAX_CATCH_UP,
  MAX_JITTER_MS,
  MIN_EVERY_MS,
} from '@gopherqueue/scheduler';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { output, withClient, withClientOptions, type ClientArgs } from '../client-command.js';
import { durationFlag, positiveIntFlag, priorityFlag } from '../parse-flags.js';
import { parseTags, readPayload } from '../read-payload.js';
import { formatTable } from '../table.js';

/** The most schedules one `gq schedules list` asks for. */
const MAX_LIST_PAGE = 1000;

interface ListArgs extends ClientArgs {
  limit: number;
  cursor?: string;
}

interface NameArgs extends ClientArgs {
  name: string;
}

interface AddArgs extends NameArgs {
  cron: string | undefined;
  timezone: string | undefined;
  every: string | undefined;
  type: string;
  payload: string | undefined;
  queue: string | undefined;
  priority: string | undefined;
  maxAttempts: number | undefined;
  timeout: string | undefined;
  tag: string[] | undefined;
  misfire: 'skip' | 'once' | 'catch_up' | undefined;
  catchUpLimit: number | undefined;
  jitter: string | undefined;
  paused: boolean;
}

/** The flag of each field a server may refuse, so its answer names what to change. */
const FLAG_OF: Readonly<Record<string, string>> = {
  name: 'name',
  cron: '--cron',
  timezone: '--timezone',
  every: '--every',
  misfire: '--misfire',
  catch_up_limit: '--catch-up-limit',
  jitter: '--jitter',
  'job.type': '--type',
  'job.queue': '--queue',
  'job.priority': '--priority',
  'job.max_attempts': '--max-attempts',
  'job.timeout': '--timeout',
  'job.tags': '--tag',
};

/**
 * Reads a count flag of 1..`max`: an integer past `max` is told so ("must be at most"), anything
 * else refused names the whole range.
 * @throws UsageError naming the flag and showing what it was given.
 */
function countFlag(flag: string, value: number, max: number): number {
  if (Number.isInteger(value) && value > max) {
    throw new UsageError(`--${flag} must be at most ${max}; got ${value}`);
  }
  return positiveIntFlag(flag, value, max);
}

/**
 * The body `gq schedules add` sends, checked here first: exactly one of `--cron` and `--every`,
 * a cron croner reads, a known time zone, durations within their bounds.
 * @throws UsageError naming the flag, before anything is sent.
 */
export function scheduleFlags(
  args: Omit<AddArgs, keyof ClientArgs | 'payload'>,
  payload: unknown,
): ScheduleInput {
  if ((args.cron === undefined) === (args.every === undefined)) {
    throw new UsageError('give exactly one of --cron "EXPR" and --every DURATION');
  }
  const input: ScheduleInput = { name: args.name, job: { type: args.type } };
  if (args.cron !== undefined) {
    if (args.timezone !== undefined) {
      try {
        checkTimezone(args.timezone);
      } catch (err) {
        throw new UsageError(`--${(err as Error).message}`);
      }
      input.timezone = args.timezone;
    }
    try {
      cronPlan(args.cron, args.timezone);
    } catch (err) {
      throw new UsageError(
        `--${(err as Error).message}; give 5 fields (minute hour day month weekday) or 6 with seconds first, e.g. "30 2 * * *"`,
      );
    }
    input.cron = args.cron;
  } else {
    if (args.timezone !== undefined) throw new UsageError('--timezone applies to --cron only');
    input.every = durationFlag('every', args.every as string, {
      max: MAX_DURATION_MS,
      min: MIN_EVERY_MS,
    });
  }
  if (args.misfire !== undefined) input.misfire = args.misfire;
  if (args.catchUpLimit !== undefined) {
    input.catch_up_limit = countFlag('catch-up-limit', args.catchUpLimit, MAX_CATCH_UP);
  }
  if (args.jitter !== undefined) {
    input.jitter = durationFlag('jitter', args.jitter, { max: MAX_JITTER_MS });
  }
  if (args.paused) input.paused = true;
  if (payload !== null) input.job.payload = payload;
  if (args.queue !== undefined) input.job.queue = args.queue;
  if (args.priority !== undefined) input.job.priority = priorityFlag(args.priority);
  if (args.maxAttempts !== undefined) {
    input.job.max_attempts = positiveIntFlag('max-attempts', args.maxAttempts);
  }
  if (args.timeout !== undefined) {
    input.job.timeout = durationFlag('timeout', args.timeout, { max: MAX_TIMEOUT_MS });
  }
  if (args.tag !== undefined) input.job.tags = parseTags(args.tag);
  return input;
}

/** When a schedule ticks, in a few words. */
function whenOf(s: WireSchedule): string {
  if (s.cron !== undefined) return `${s.cron} (${s.timezone ?? 'UTC'})`;
  return s.every_ms === undefined ? '?' : `every ${formatDuration(s.every_ms)}`;
}

/** A table of schedules, as `gq schedules list` prints it. */
export function formatSchedules(schedules: readonly WireSchedule[]): string {
  if (schedules.length === 0) return 'no schedules\n';
  return formatTable(schedules, [
    { header: 'NAME', value: (s) => s.name },
    { header: 'WHEN', value: whenOf },
    { header: 'JOB', value: (s) => s.job.type },
    { header: 'QUEUE', value: (s) => s.job.queue ?? 'default' },
    {
      header: 'STATUS',
      value: (s) => (s.error !== undefined ? 'invalid' : s.paused ? 'paused' : 'active'),
    },
    { header: 'SOURCE', value: (s) => s.source },
    { header: 'NEXT RUN', value: (s) => s.next_runs[0] ?? '-' },
  ]);
}

/** One schedule, as `gq schedules show` prints it. */
export function formatSchedule(s: WireSchedule): string {
  const rows: [string, string][] = [
    ['schedule', s.name],
    ['when', whenOf(s)],
    ['misfire', s.misfire + (s.catch_up_limit === undefined ? '' : ` (limit ${s.catch_up_limit})`)],
    ['jitter', formatDuration(s.jitter_ms)],
    ['job', `${s.job.type} on queue ${s.job.queue ?? 'default'}`],
    ['payload', JSON.stringify(s.job.payload)],
    ['status', s.paused ? 'paused' : 'active'],
    ['source', s.source],
    ['last tick', s.last_tick_at],
  ];
  if (s.error !== undefined) rows.push(['error', s.error]);
  s.next_runs.forEach((run, i) => rows.push([i === 0 ? 'next runs' : '', run]));
  return rows.map(([key, value]) => `${key.padEnd(10)} ${value}`.trimEnd() + '\n').join('');
}

/** A server's refusal of a field, said as the flag to change. */
function flagError(err: unknown): unknown {
  if (!(err instanceof ApiError) || err.code !== 'validation_error') return err;
  const field = typeof err.details.field === 'string' ? err.details.field : undefined;
  const flag = field === undefined ? undefined : FLAG_OF[field];
  if (flag === undefined) return err;
  return new UsageError(`${flag}: the server refused it: ${err.message}`);
}

/** `gq schedules`: list, add, show, pause, resume, trigger, rm. */
export function schedulesCommand(io: CliIo): CommandModule {
  const named = <A extends object>(args: Argv<A>) =>
    withClientOptions(args, io).positional('name', {
      type: 'string',
      demandOption: true,
      describe: 'Schedule name',
    });
  const list: CommandModule<object, ListArgs> = {
    command: ['list', '$0'],
    describe: 'List schedules with their next run, a page at a time',
    builder: (args) =>
      withClientOptions(args, io)
        .option('limit', {
          type: 'number',
          default: 100,
          describe: `At most this many (1..${MAX_LIST_PAGE})`,
        })
        .option('cursor', {
          type: 'string',
          describe: 'Start after this schedule name (the next cursor a page printed)',
        }),
    handler: (args) =>
      withClient(args, async (client) => {
        const limit = countFlag('limit', args.limit, MAX_LIST_PAGE);
        const page = await client.schedules.page({
          limit,
          ...(args.cursor === undefined ? {} : { cursor: args.cursor }),
        });
        output(io, args, page, () => {
          const more = page.next_cursor;
          return (
            formatSchedules(page.schedules) +
            (more === undefined ? '' : `more: gq schedules list --cursor ${more}\n`)
          );
        });
      }),
  };
  const add: CommandModule<object, AddArgs> = {
    command: 'add <name>',
    describe: 'Create a schedule: a job at each tick of --cron or --every',
    builder: (args) =>
      named(args)
        .option('cron', {
          type: 'string',
          describe: '5 fields (minute hour day month weekday), or 6 with seconds first',
        })
        .option('timezone', { type: 'string', describe: 'IANA time zone of --cron (default UTC)' })
        .option('every', { type: 'string', describe: 'An interval instead of --cron, e.g. 15m' })
        .option('type', { type: 'string', demandOption: true, describe: 'Job type (handler)' })
        .option('payload', { type: 'string', describe: 'JSON, @file or - for stdin' })
        .option('queue', { type: 'string', describe: 'Named queue (default "default")' })
        .option('priority', { type: 'string', describe: '0..4 or critical|high|normal|low|bulk' })
        .option('max-attempts', { type: 'number', describe: 'Runs allowed per job (default 3)' })
        .option('timeout', { type: 'string', describe: 'Per-attempt timeout, e.g. 30s' })
        .option('tag', { type: 'string', array: true, describe: 'key=value, repeatable' })
        .option('misfire', {
          type: 'string',
          choices: ['skip', 'once', 'catch_up'] as const,
          describe: 'Ticks missed while no server ran: skip (default), once, catch_up',
        })
        .option('catch-up-limit', {
          type: 'number',
          describe: `With catch_up: at most this many missed ticks (1..${MAX_CATCH_UP}, default 100)`,
        })
        .option('jitter', { type: 'string', describe: 'Random delay below this per job (<= 1h)' })
        .option('paused', {
          type: 'boolean',
          default: false,
          describe: 'Create it paused',
        }) as never,
    handler: async (args) => {
      const payload = await readPayload(args.payload, io);
      const input = scheduleFlags(args, payload);
      await withClient(args, async (client) => {
        let schedule: WireSchedule;
        try {
          schedule = await client.schedules.create(input);
        } catch (err) {
          throw flagError(err);
        }
        output(io, args, schedule, () => formatSchedule(schedule));
      });
    },
  };
  const show: CommandModule<object, NameArgs> = {
    command: 'show <name>',
    describe: 'Show a schedule and its next five runs',
    builder: (args) => named(args),
    handler: (args) =>
      withClient(args, async (client) => {
        const schedule = await client.schedules.get(args.name);
        output(io, args, schedule, () => formatSchedule(schedule));
      }),
  };
  const toggle = (action: 'pause' | 'resume'): CommandModule<object, NameArgs> => ({
    command: `${action} <name>`,
    describe:
      action === 'pause'
        ? 'Pause a schedule: no job at its ticks'
        : 'Resume a schedule (the ticks that passed while paused do not run)',
    builder: (args) => named(args),
    handler: (args) =>
      withClient(args, async (client) => {
        const schedule = await client.schedules[action](args.name);
        output(
          io,
          args,
          schedule,
          () => `${args.name} ${action === 'pause' ? 'paused' : 'resumed'}\n`,
        );
      }),
  });
  const trigger: CommandModule<object, NameArgs> = {
    command: 'trigger <name>',
    describe: 'Create a job from a schedule now, outside its ticks',
    builder: (args) => named(args),
    handler: (args) =>
      withClient(args, async (client) => {
        const job = await client.schedules.trigger(args.name);
        output(io, args, job, () => `${job.id}\n`);
      }),
  };
  const rm: CommandModule<object, NameArgs> = {
    command: 'rm <name>',
    describe: 'Delete a schedule (its jobs stay)',
    builder: (args) => named(args),
    handler: (args) =>
      withClient(args, async (client) => {
        await client.schedules.delete(args.name);
        output(io, args, { name: args.name, deleted: true }, () => `${args.name} deleted\n`);
      }),
  };
  return {
    command: 'schedules',
    describe: 'Recurring schedules: list, add, show, pause, resume, trigger, rm',
    builder: (args) =>
      args
        .command(list)
        .command(add)
        .command(show)
        .command(toggle('pause'))
        .command(toggle('resume'))
        .command(trigger)
        .command(rm),
    handler: () => undefined,
  };
}
