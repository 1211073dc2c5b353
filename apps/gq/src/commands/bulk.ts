import type { BulkAction, BulkInput, WireBulkResult } from '@gopherqueue/client';
import { JOB_STATES, type JobState } from '@gopherqueue/core';
import type { CommandModule } from 'yargs';
import { CliError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { output, withClient, withClientOptions, type ClientArgs } from '../client-command.js';

interface BulkArgs extends ClientArgs {
  action: BulkAction;
  state: string | undefined;
  type: string | undefined;
  queue: string | undefined;
  tag: string | undefined;
  ids: string[] | undefined;
  limit: number;
  reason: string | undefined;
  resetAttempts: boolean;
}

/** Jobs one `gq jobs bulk` run acts on at most. */
const MAX_RUN = 1_000_000;

/**
 * `gq jobs bulk <retry|cancel|delete>`: the action on every job a filter matches (`--state`,
 * `--type`, `--queue`, `--tag`), up to `--limit`, in requests of at most 1000 jobs, or on the
 * jobs of `--ids`.
 */
export function jobsCommand(io: CliIo): CommandModule<object, BulkArgs> {
  return {
    command: 'jobs bulk <action>',
    describe: 'Retry, cancel or delete many jobs: those a filter matches, or --ids',
    builder: (args) =>
      withClientOptions(args, io)
        .positional('action', {
          type: 'string',
          choices: ['retry', 'cancel', 'delete'],
          demandOption: true,
        })
        .option('state', {
          type: 'string',
          describe: `Only jobs in this state (${JOB_STATES.join(', ')})`,
        })
        .option('type', { type: 'string', describe: 'Only jobs of this type' })
        .option('queue', { type: 'string', describe: 'Only jobs of this queue' })
        .option('tag', { type: 'string', describe: 'Only jobs with this tag (key:value)' })
        .option('ids', { type: 'string', array: true, describe: 'These jobs instead of a filter' })
        .option('limit', {
          type: 'number',
          default: 1000,
          describe: `At most this many jobs (1..${MAX_RUN})`,
        })
        .option('reason', { type: 'string', describe: "A cancel's reason" })
        .option('reset-attempts', {
          type: 'boolean',
          default: false,
          describe: 'A retry gives each job its full max attempts again',
        }) as never,
    handler: (args) => {
      const filtered = [args.state, args.type, args.queue, args.tag].some((v) => v !== undefined);
      if (args.ids !== undefined && filtered) {
        throw new CliError(
          'give either --ids or filters (--state, --type, --queue, --tag), not both',
          2,
        );
      }
      if (args.ids === undefined && !filtered) {
        throw new CliError(
          'name the jobs: --state, --type, --queue or --tag (e.g. --state dead_letter), or --ids',
          2,
        );
      }
      if (args.state !== undefined && !(JOB_STATES as readonly string[]).includes(args.state)) {
        throw new CliError(`--state must be one of ${JOB_STATES.join(', ')}; got ${args.state}`, 2);
      }
      if (!Number.isInteger(args.limit) || args.limit < 1 || args.limit > MAX_RUN) {
        throw new CliError(`--limit must be an integer from 1 to ${MAX_RUN}; got ${args.limit}`, 2);
      }
      const common = {
        action: args.action,
        ...(args.reason === undefined ? {} : { reason: args.reason }),
        ...(args.resetAttempts ? { resetAttempts: true } : {}),
      };
      return withClient(args, async (client) => {
        const total: WireBulkResult = {
          action: args.action,
          matched: 0,
          succeeded: 0,
          skipped: { invalid_state: 0, not_found: 0 },
        };
        const add = (r: WireBulkResult): void => {
          total.matched += r.matched;
          total.succeeded += r.succeeded;
          total.skipped.invalid_state += r.skipped.invalid_state;
          total.skipped.not_found += r.skipped.not_found;
        };
        if (args.ids !== undefined) {
          const ids = args.ids.flatMap((v) => v.split(',')).filter((v) => v !== '');
          for (let i = 0; i < ids.length; i += 1000) {
            add(await client.bulk({ ...common, ids: ids.slice(i, i + 1000) }));
          }
        } else {
          const filter: Extract<BulkInput, { filter: unknown }>['filter'] = {
            ...(args.state === undefined ? {} : { state: args.state as JobState }),
            ...(args.type === undefined ? {} : { type: args.type }),
            ...(args.queue === undefined ? {} : { queue: args.queue }),
            ...(args.tag === undefined ? {} : { tag: args.tag }),
          };
          let cursor: string | undefined;
          do {
            const limit = Math.min(1000, args.limit - total.matched);
            const answer = await client.bulk({
              ...common,
              filter,
              limit,
              ...(cursor === undefined ? {} : { cursor }),
            });
            add(answer);
            cursor = answer.next_cursor;
            if (io.stopSignal.aborted) break;
          } while (cursor !== undefined && total.matched < args.limit);
        }
        output(io, args, total, () => {
          const { invalid_state, not_found } = total.skipped;
          return (
            `${args.action}: ${total.succeeded} of ${total.matched} jobs` +
            (invalid_state + not_found === 0
              ? ''
              : ` (skipped: ${invalid_state} in another state, ${not_found} not found)`) +
            '\n'
          );
        });
      });
    },
  };
}
