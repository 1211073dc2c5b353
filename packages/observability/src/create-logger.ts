import type { LogFields, Logger } from '@gopherqueue/core';
import winston from 'winston';
import { prettyLine, toPlain } from './log-format.js';

/** Levels a {@link Logger} writes, from most to least verbose. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** How lines are written: one JSON object per line, or readable text. */
export type LogFormat = 'json' | 'pretty' | 'auto';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const FORMATS: readonly LogFormat[] = ['json', 'pretty', 'auto'];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lines below this level are dropped. @defaultValue `'info'` */
  level?: LogLevel;
  /**
   * `json` writes one JSON object per line (`level`, `message`, `timestamp` and the fields);
   * `pretty` writes `timestamp level message key=value ...`; `auto` picks `pretty` when `stream`
   * is a terminal and `json` otherwise.
   * @defaultValue `'auto'`
   */
  format?: LogFormat;
  /**
   * Where lines go. Logs go to stderr by default so that stdout stays clean for a command's
   * `--json` output.
   * @defaultValue `process.stderr`
   */
  stream?: NodeJS.WritableStream;
  /** Fields added to every line (`{ service: 'gq' }`). @defaultValue `{}` */
  defaultFields?: LogFields;
  /** ANSI colours in `pretty` lines. @defaultValue true when `stream` is a terminal */
  colors?: boolean;
}

/**
 * A {@link Logger} backed by winston; `child()` adds fields without copying the transport. A child
 * keeps its parent's fields and its own apart and merges them only when it writes a line: the
 * worker makes a child per job attempt, and most of them never write one at the level set.
 */
export class WinstonLogger implements Logger {
  readonly #winston: winston.Logger;
  readonly #fields: LogFields;
  readonly #own: LogFields | undefined;

  /** Wraps a winston logger; `fields`, then `own`, go on every line. */
  constructor(logger: winston.Logger, fields: LogFields = {}, own?: LogFields) {
    this.#winston = logger;
    this.#fields = fields;
    this.#own = own;
  }

  debug(message: string, fields?: LogFields): void {
    this.#log('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.#log('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.#log('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.#log('error', message, fields);
  }

  child(fields: LogFields): Logger {
    const inherited = this.#own === undefined ? this.#fields : { ...this.#fields, ...this.#own };
    return new WinstonLogger(this.#winston, inherited, fields);
  }

  #log(level: LogLevel, message: string, fields: LogFields | undefined): void {
    if (!this.#winston.isLevelEnabled(level)) return;
    // One object built here (not winston's splat handling) so a `%` in a message never drops
    // fields and call fields override context fields.
    const info = { level, message, ...this.#fields, ...this.#own, ...fields };
    // Fields never replace the level or the message; these lead every JSON line.
    info.level = level;
    info.message = message;
    this.#winston.log(info);
  }
}

/**
 * Creates the engine's {@link Logger}: winston writing JSON lines, or readable lines in a
 * terminal, to `stream` (stderr by default).
 * @throws RangeError for an unknown level or format; TypeError for a stream that cannot be written.
 */
export function createLogger(options: LoggerOptions = {}): WinstonLogger {
  const level = options.level ?? 'info';
  if (!LEVELS.includes(level)) {
    throw new RangeError(`level must be one of ${LEVELS.join(', ')}; got ${JSON.stringify(level)}`);
  }
  const requested = options.format ?? 'auto';
  if (!FORMATS.includes(requested)) {
    throw new RangeError(
      `format must be one of ${FORMATS.join(', ')}; got ${JSON.stringify(requested)}`,
    );
  }
  const stream = options.stream ?? process.stderr;
  if (typeof (stream as Partial<NodeJS.WritableStream>).write !== 'function') {
    throw new TypeError('stream must be a writable stream');
  }
  const defaultFields = options.defaultFields ?? {};
  if (typeof defaultFields !== 'object' || Array.isArray(defaultFields)) {
    throw new TypeError('defaultFields must be an object');
  }
  const isTty = (stream as { isTTY?: boolean }).isTTY === true;
  const format = requested === 'auto' ? (isTty ? 'pretty' : 'json') : requested;
  const colors = options.colors ?? isTty;

  const plain = winston.format((info) => toPlain(info));
  const lineFormat =
    format === 'json'
      ? winston.format.json({ deterministic: false })
      : winston.format.printf((info) => prettyLine(info, colors));
  const logger = winston.createLogger({
    level,
    levels: { error: 0, warn: 1, info: 2, debug: 3 },
    format: winston.format.combine(winston.format.timestamp(), plain(), lineFormat),
    // winston's Stream transport is a TransportStream; its typings lose that through the export.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    transports: [new winston.transports.Stream({ stream })],
  });
  return new WinstonLogger(logger, { ...defaultFields });
}
