import type { CommandModule } from 'yargs';
import type { CliIo } from '../cli-io.js';
import {
  JOB_ID_POSITIONAL,
  output,
  withClient,
  withClientOptions,
  type ClientArgs,
} from '../client-command.js';

interface CancelArgs extends ClientArgs {
  id: string;
  reason: string | undefined;
  force: boolean;
}

/** `gq cancel ID`: cancels a job that has not finished; a running handler is aborted. */
export function cancelCommand(io: CliIo): CommandModule<object, CancelArgs> {
  return {
    command: 'cancel <id>',
    describe: 'Cancel a job (a running handler is aborted)',
    builder: (args) =>
      withClientOptions(args, io)
        .positional('id', JOB_ID_POSITIONAL)
        .option('reason', { type: 'string', describe: 'Recorded as the cancel reason' })
        .option('force', {
          type: 'boolean',
          default: false,
          describe: 'Cancel even if running',
        }),
    handler: (args) =>
      withClient(args, async (client) => {
        const body: { reason?: string; force?: boolean } = { force: args.force };
        if (args.reason !== undefined) body.reason = args.reason;
        const job = await client.cancel(args.id, body);
        output(io, args, job, () => `${job.id} ${job.state}\n`);
      }),
  };
}
