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

/**
 * `gq cancel ID`: cancels a job that has not finished, running or not; a running handler's signal
 * fires. `--force` is sent as the original's API takes it, and changes nothing: in the original
 * a cancel without it left a running job running, here every cancel stops it.
 */
export function cancelCommand(io: CliIo): CommandModule<object, CancelArgs> {
  return {
    command: 'cancel <id>',
    describe:
      "Cancel a job that has not finished; a running job is cancelled too (its handler's signal fires)",
    builder: (args) =>
      withClientOptions(args, io)
        .positional('id', JOB_ID_POSITIONAL)
        .option('reason', { type: 'string', describe: 'Recorded as the cancel reason' })
        .option('force', {
          type: 'boolean',
          default: false,
          describe:
            "Changes nothing (kept for the original's scripts): every cancel stops a running job",
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
