import { createLogger, type LogFormat, type LogLevel } from '@gopherqueue/observability';
import type { Logger } from '@gopherqueue/core';

/** The logging flags of the long-running commands (`gq serve`, `gq work`). */
export interface LogArgs {
  logLevel: LogLevel;
  logFormat: LogFormat;
}

/** `--log-level` and `--log-format`, for yargs' `.options()`. */
export const LOG_OPTIONS = {
  'log-level': {
    type: 'string',
    choices: ['debug', 'info', 'warn', 'error'],
    default: 'info',
    describe: 'Least severe log lines written (to standard error); handlers log through ctx.logger',
  },
  'log-format': {
    type: 'string',
    choices: ['json', 'pretty', 'auto'],
    default: 'auto',
    describe: 'json: one object per line; pretty: readable lines; auto: pretty in a terminal',
  },
} as const;

/** The logger the flags ask for, each line tagged with `service`. */
export function loggerFor(args: LogArgs, service: string): Logger {
  return createLogger({ level: args.logLevel, format: args.logFormat }).child({ service });
}
