import type { CommandModule } from 'yargs';
import type { CliIo } from '../cli-io.js';
import {
  JOB_ID_POSITIONAL,
  output,
  withClient,
  withClientOptions,
  type ClientArgs,
} from '../client-command.js';

interface RetryArgs extends ClientArgs {
  id: string;
  resetAttempts: boolean;
}

/** `gq retry ID`: runs a failed, dead-lettered or cancelled job again. */
export function retryCommand(io: CliIo): CommandModule<object, RetryArgs> {
  return {
    command: 'retry <id>',
    describe: 'Retry a failed, dead-lettered or cancelled job',
    builder: (args) =>
      withClientOptions(args, io).positional('id', JOB_ID_POSITIONAL).option('reset-attempts', {
        type: 'boolean',
        default: false,
        describe: 'Give the job its full max attempts again',
      }) as never,
    handler: (args) =>
      withClient(args, async (client) => {
        const job = await client.retry(args.id, { resetAttempts: args.resetAttempts });
        output(io, args, job, () => `${job.id} ${job.state}\n`);
      }),
  };
}
