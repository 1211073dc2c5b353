import type { LogFields, Logger } from '@gopherqueue/core';

/** One line a {@link recordingLogger} kept. */
export interface RecordedLine {
  level: string;
  message: string;
  fields: LogFields;
}

/** A logger that keeps every line in `lines`, with its child fields merged in. */
export function recordingLogger(lines: RecordedLine[], context: LogFields = {}): Logger {
  const log =
    (level: string) =>
    (message: string, fields: LogFields = {}): void => {
      lines.push({ level, message, fields: { ...context, ...fields } });
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (fields) => recordingLogger(lines, { ...context, ...fields }),
  };
}
