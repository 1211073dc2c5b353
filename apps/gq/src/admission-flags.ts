import type { SubmitOptions } from '@gopherqueue/client';
import { MAX_ADMISSION_KEY_LENGTH, MAX_DELAY_MS } from '@gopherqueue/core';
import type { Argv } from 'yargs';
import { UsageError } from './cli-error.js';
import { durationFlag } from './parse-flags.js';

/** The `gq submit` flags of a job's life before it runs. */
export interface AdmissionArgs {
  uniqueKey: string | undefined;
  uniqueUntil: string | undefined;
  debounceKey: string | undefined;
  debounceWait: string | undefined;
  debounceMaxWait: string | undefined;
  ttl: string | undefined;
  expiresAt: string | undefined;
}

/** Adds `--unique-key`, `--unique-until`, `--debounce-*`, `--ttl` and `--expires-at`. */
export function withAdmissionFlags<T>(args: Argv<T>): Argv<T> {
  return args
    .option('unique-key', {
      type: 'string',
      describe: 'While its window holds, a submit with this key returns the existing job',
    })
    .option('unique-until', {
      type: 'string',
      describe: 'started, finished (default) or a duration after the first submit, e.g. 10m',
    })
    .option('debounce-key', {
      type: 'string',
      describe: 'Submits with this key while the job waits replace its payload and put it off',
    })
    .option('debounce-wait', { type: 'string', describe: 'Quiet time before it runs, e.g. 5s' })
    .option('debounce-max-wait', {
      type: 'string',
      describe: 'Longest put-off after the first submit, e.g. 1m (default 1h)',
    })
    .option('ttl', { type: 'string', describe: 'Cancel as expired if not started within, e.g. 1h' })
    .option('expires-at', {
      type: 'string',
      describe: 'Cancel as expired if not started by this time (RFC 3339)',
    });
}

function keyFlag(flag: string, value: string): string {
  if (value === '' || value.length > MAX_ADMISSION_KEY_LENGTH) {
    throw new UsageError(`--${flag} must be 1..${MAX_ADMISSION_KEY_LENGTH} characters`);
  }
  return value;
}

const bounds = { min: 1, max: MAX_DELAY_MS };

/**
 * Sets the options the flags give on `options`.
 * @throws UsageError naming the flag, and saying what to do, for a bad value or combination.
 */
export function applyAdmissionFlags(args: AdmissionArgs, options: SubmitOptions): void {
  if (args.uniqueUntil !== undefined && args.uniqueKey === undefined) {
    throw new UsageError('--unique-until needs --unique-key');
  }
  if (args.uniqueKey !== undefined) {
    const key = keyFlag('unique-key', String(args.uniqueKey));
    const until = args.uniqueUntil === undefined ? undefined : String(args.uniqueUntil);
    options.unique =
      until === undefined
        ? { key }
        : until === 'started' || until === 'finished'
          ? { key, until }
          : { key, until: durationFlag('unique-until', until, bounds) };
  }
  if (args.debounceKey === undefined) {
    if (args.debounceWait !== undefined || args.debounceMaxWait !== undefined) {
      throw new UsageError('--debounce-wait and --debounce-max-wait need --debounce-key');
    }
  } else {
    if (args.debounceWait === undefined) {
      throw new UsageError('--debounce-key needs --debounce-wait, e.g. --debounce-wait 5s');
    }
    const wait = durationFlag('debounce-wait', args.debounceWait, bounds);
    options.debounce = { key: keyFlag('debounce-key', String(args.debounceKey)), wait };
    if (args.debounceMaxWait !== undefined) {
      const maxWait = durationFlag('debounce-max-wait', args.debounceMaxWait, bounds);
      if (maxWait < wait) {
        throw new UsageError('--debounce-max-wait must be at least --debounce-wait');
      }
      options.debounce.maxWait = maxWait;
    }
  }
  if (args.ttl !== undefined) options.ttl = durationFlag('ttl', args.ttl, bounds);
  if (args.expiresAt !== undefined) {
    const at = Date.parse(String(args.expiresAt));
    if (!Number.isFinite(at)) {
      throw new UsageError(
        `--expires-at must be an RFC 3339 time like 2026-01-01T12:00:00Z; got ${JSON.stringify(args.expiresAt)}`,
      );
    }
    options.expiresAt = new Date(at).toISOString();
  }
}
