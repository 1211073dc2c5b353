import type { CommandModule } from 'yargs';
import type { CliIo } from '../cli-io.js';
import { withClient, withClientOptions, type ClientArgs } from '../client-command.js';

interface EventsArgs extends ClientArgs {
  jobId: string | undefined;
}

/** One event for people: `event id type state`. */
export function formatEvent(event: string, data: unknown): string {
  const job = (data ?? {}) as { id?: unknown; type?: unknown; state?: unknown; progress?: unknown };
  const parts = [new Date().toISOString(), event];
  if (typeof job.id === 'string') parts.push(job.id);
  if (typeof job.type === 'string') parts.push(job.type);
  if (typeof job.state === 'string') parts.push(job.state);
  if (event === 'job.progress' && job.progress !== undefined)
    parts.push(JSON.stringify(job.progress));
  return `${parts.join('  ')}\n`;
}

/**
 * `gq events`: prints the server's job events as they happen (with `--json`, one JSON object
 * per line) until interrupted or the server goes away.
 */
export function eventsCommand(io: CliIo): CommandModule<object, EventsArgs> {
  return {
    command: 'events',
    describe: 'Print job events as they happen',
    builder: (args) =>
      withClientOptions(args, io).option('job-id', {
        type: 'string',
        describe: 'Only events of this job',
      }) as never,
    handler: (args) =>
      withClient(args, async (client) => {
        const options: { jobId?: string; signal: AbortSignal } = { signal: io.stopSignal };
        if (args.jobId !== undefined) options.jobId = args.jobId;
        try {
          for await (const message of client.events(options)) {
            io.stdout(
              args.json
                ? `${JSON.stringify({ event: message.event, id: message.id, data: message.data })}\n`
                : formatEvent(message.event, message.data),
            );
          }
        } catch (err) {
          if (io.stopSignal.aborted) return;
          throw err;
        }
      }),
  };
}
