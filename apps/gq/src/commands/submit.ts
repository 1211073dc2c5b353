import type { SubmitOptions } from '@gopherqueue/client';
import { groupProblem, MAX_DELAY_MS, MAX_TIMEOUT_MS } from '@gopherqueue/core';
import type { CommandModule } from 'yargs';
import { applyAdmissionFlags, withAdmissionFlags, type AdmissionArgs } from '../admission-flags.js';
import { CliError, UsageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { output, withClient, withClientOptions, type ClientArgs } from '../client-command.js';
import { durationFlag, listFlag, positiveIntFlag, priorityFlag } from '../parse-flags.js';
import { parseTags, readPayload } from '../read-payload.js';
import { formatWait, waitForJob } from '../wait-for-job.js';

interface SubmitArgs extends ClientArgs, AdmissionArgs {
  type: string;
  payload: string | undefined;
  priority: string | undefined;
  delay: string | undefined;
  queue: string | undefined;
  maxAttempts: number | undefined;
  timeout: string | undefined;
  idempotencyKey: string | undefined;
  group: string | undefined;
  tag: string[] | undefined;
  dependsOn: string[] | undefined;
  retryOn: string[] | undefined;
  dontRetryOn: string[] | undefined;
  wait: boolean;
}

/** `gq submit`: submits one job, optionally waiting for it to finish. */
export function submitCommand(io: CliIo): CommandModule<object, SubmitArgs> {
  return {
    command: 'submit',
    describe: 'Submit a job',
    builder: (args) =>
      withAdmissionFlags(withClientOptions(args, io))
        .option('type', { type: 'string', demandOption: true, describe: 'Job type (handler)' })
        .option('payload', { type: 'string', describe: 'JSON, @file or - for stdin' })
        .option('priority', { type: 'string', describe: '0..4 or critical|high|normal|low|bulk' })
        .option('delay', { type: 'string', describe: 'Run no sooner than this, e.g. 5m' })
        .option('queue', { type: 'string', describe: 'Named queue (default "default")' })
        .option('max-attempts', { type: 'number', describe: 'Runs allowed (default 3)' })
        .option('timeout', { type: 'string', describe: 'Per-attempt timeout, e.g. 30s' })
        .option('idempotency-key', { type: 'string', describe: 'Deduplicates submissions' })
        .option('group', {
          type: 'string',
          describe: 'Group key for per-key limits, e.g. a customer id (see gq queues set)',
        })
        .option('tag', { type: 'string', array: true, describe: 'key=value, repeatable' })
        .option('depends-on', { type: 'string', array: true, describe: 'Job ids to wait for' })
        .option('retry-on', {
          type: 'string',
          array: true,
          describe: 'Retry only failures of these error names or classes (comma-separated)',
        })
        .option('dont-retry-on', {
          type: 'string',
          array: true,
          describe: 'Never retry failures of these error names or classes (comma-separated)',
        })
        .option('wait', {
          type: 'boolean',
          default: false,
          describe: 'Wait for the job to finish',
        }) as never,
    handler: (args) =>
      withClient(args, async (client) => {
        const payload = await readPayload(args.payload, io);
        const options: SubmitOptions = {};
        if (args.priority !== undefined) options.priority = priorityFlag(args.priority);
        if (args.delay !== undefined)
          options.delay = durationFlag('delay', args.delay, { max: MAX_DELAY_MS });
        if (args.queue !== undefined) options.queue = args.queue;
        if (args.maxAttempts !== undefined) {
          options.maxAttempts = positiveIntFlag('max-attempts', args.maxAttempts);
        }
        if (args.timeout !== undefined)
          options.timeout = durationFlag('timeout', args.timeout, { max: MAX_TIMEOUT_MS });
        if (args.idempotencyKey !== undefined) options.idempotencyKey = args.idempotencyKey;
        if (args.group !== undefined) {
          const problem = groupProblem(args.group);
          if (problem !== undefined) throw new UsageError(`--${problem}`);
          options.group = args.group;
        }
        if (args.tag !== undefined) options.tags = parseTags(args.tag);
        const dependsOn = listFlag(args.dependsOn);
        if (dependsOn.length > 0) options.dependsOn = dependsOn;
        if (args.retryOn !== undefined) options.retryOn = listFlag(args.retryOn);
        if (args.dontRetryOn !== undefined) options.noRetryOn = listFlag(args.dontRetryOn);
        applyAdmissionFlags(args, options);
        const job = await client.submit(args.type, payload, options);
        if (!args.wait) {
          output(io, args, job, () =>
            job.deduplicated === true
              ? `${job.id} (deduplicated${job.deduplicated_by === undefined ? '' : ` by its ${job.deduplicated_by} key`}: existing job, ${job.state})\n`
              : `${job.id}\n`,
          );
          return;
        }
        let answer;
        let final;
        try {
          answer = await waitForJob(client, job.id, undefined, io.stopSignal);
          final = await client.get(job.id);
        } catch (err) {
          // The job is stored: say which one, so that trying again does not submit a second.
          throw new CliError(
            `submitted job ${job.id}, then lost it while waiting: ${(err as Error).message}`,
            err instanceof CliError ? err.exitCode : 1,
          );
        }
        output(io, args, final, () => formatWait(answer));
        if (final.state !== 'completed') {
          throw new CliError(`job ${job.id} ended ${final.state}`);
        }
      }),
  };
}
