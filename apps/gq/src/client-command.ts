import { GopherQueueClient, type ClientOptions } from '@gopherqueue/client';
import type { Argv } from 'yargs';
import { CliError, toCliError } from './cli-error.js';
import type { CliIo } from './cli-io.js';

/** The address the CLI talks to when neither `--server` nor `GQ_SERVER` says otherwise. */
export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/** The `<id>` positional of the commands that act on one job, for yargs' `.positional()`. */
export const JOB_ID_POSITIONAL = {
  type: 'string',
  demandOption: true,
  describe: 'Job id',
} as const;

/** Flags every client command takes. */
export interface ClientArgs {
  server: string;
  apiKey: string | undefined;
  json: boolean;
}

/** Adds `--server`, `--api-key` and `--json`, with defaults from `GQ_SERVER` and `GQ_API_KEY`. */
export function withClientOptions<T>(args: Argv<T>, io: CliIo): Argv<T & ClientArgs> {
  return args
    .option('server', {
      type: 'string',
      describe: 'Server URL (env GQ_SERVER)',
      default: io.env.GQ_SERVER ?? DEFAULT_SERVER,
    })
    .option('api-key', {
      type: 'string',
      describe: 'API key (env GQ_API_KEY)',
      default: io.env.GQ_API_KEY,
      defaultDescription: '$GQ_API_KEY',
    })
    .option('json', {
      type: 'boolean',
      describe: 'Print JSON for scripts',
      default: false,
    }) as unknown as Argv<T & ClientArgs>;
}

/**
 * The client options the flags name, checked before any request: `--server` must be an http(s)
 * URL that names a host (one fetch cannot parse, `http://[::1`, would fail every request).
 * @throws CliError (exit 2) for any other `--server`.
 */
export function clientOptions(args: ClientArgs): ClientOptions {
  const baseUrl = args.server.replace(/\/+$/, '');
  if (!/^https?:\/\/[^/?#]/i.test(baseUrl) || !URL.canParse(baseUrl)) {
    throw new CliError(`--server must be an http(s) URL; got ${JSON.stringify(args.server)}`, 2);
  }
  return args.apiKey === undefined || args.apiKey === ''
    ? { baseUrl }
    : { baseUrl, apiKey: args.apiKey };
}

/** A client for the server the flags name. @throws CliError as {@link clientOptions} does. */
export function connect(args: ClientArgs): GopherQueueClient {
  return new GopherQueueClient(clientOptions(args));
}

/**
 * Runs a client command: connects, runs `fn`, and turns any failure into a one-line
 * {@link CliError} (a refused connection says how to start a server).
 */
export async function withClient(
  args: ClientArgs,
  fn: (client: GopherQueueClient) => Promise<void>,
): Promise<void> {
  const client = connect(args);
  try {
    await fn(client);
  } catch (err) {
    throw toCliError(err, args.server);
  }
}

/** Prints `value` as JSON with `--json`, or the human text otherwise. */
export function output(io: CliIo, args: ClientArgs, value: unknown, human: () => string): void {
  io.stdout(args.json ? `${JSON.stringify(value, null, 2)}\n` : human());
}
