import { describe, expect, it } from 'vitest';
import { UsageError } from './cli-error.js';
import {
  claimAheadFlag,
  durationFlag,
  LEASE_BOUNDS,
  listFlag,
  positiveIntFlag,
  postgresSchemaFlag,
  priorityFlag,
} from './parse-flags.js';
import { postgresSchemaOption } from './open-store.js';
import { parseTags, readPayload } from './read-payload.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

describe('flag parsing', () => {
  it('reads durations, priorities, lists and counts', () => {
    expect(durationFlag('delay', '1m30s')).toBe(90_000);
    expect(durationFlag('delay', '250')).toBe(250);
    expect(priorityFlag('high')).toBe(1);
    expect(priorityFlag('4')).toBe(4);
    expect(listFlag(['a,b', 'c', ' '])).toEqual(['a', 'b', 'c']);
    expect(positiveIntFlag('workers', 3)).toBe(3);
  });

  it('turns bad values into usage errors naming the flag', () => {
    expect(() => durationFlag('timeout', 'soon')).toThrow(UsageError);
    expect(() => durationFlag('timeout', 'soon')).toThrow(/^--timeout: invalid duration "soon"/);
    expect(() => priorityFlag('urgent')).toThrow(/^--priority: priority must be 0..4/);
    expect(() => positiveIntFlag('limit', 0)).toThrow(
      '--limit must be an integer from 1 to 1000000; got 0',
    );
    expect(() => positiveIntFlag('workers', 1e9, 10_000)).toThrow(
      '--workers must be an integer from 1 to 10000; got 1000000000',
    );
    expect(positiveIntFlag('workers', 10_000, 10_000)).toBe(10_000);
    expect(() => positiveIntFlag('limit', 1.5)).toThrow(UsageError);
  });

  it('reads --claim-ahead from 0 to 10,000, absent as the store default', () => {
    expect([claimAheadFlag(undefined), claimAheadFlag(0), claimAheadFlag(10_000)]).toEqual([
      undefined,
      0,
      10_000,
    ]);
    for (const bad of [-1, 1.5, 10_001]) {
      expect(() => claimAheadFlag(bad)).toThrow(
        `--claim-ahead must be an integer from 0 to 10000; got ${String(bad)}`,
      );
    }
  });

  it('reads counts from the text yargs leaves of an option without a number type', () => {
    expect([positiveIntFlag('concurrency', '12'), claimAheadFlag(' 0 ')]).toEqual([12, 0]);
    expect(positiveIntFlag('limit', '1e3')).toBe(1000);
  });

  it('shows a count that is not a number as typed, never as NaN', () => {
    for (const typed of ['abc', '10x', '', '0x', 'Infinity']) {
      expect(() => positiveIntFlag('concurrency', typed, 10_000)).toThrow(
        `--concurrency must be an integer from 1 to 10000; got ${JSON.stringify(typed)}`,
      );
      expect(() => claimAheadFlag(typed)).toThrow(
        `--claim-ahead must be an integer from 0 to 10000; got ${JSON.stringify(typed)}`,
      );
    }
    // A number the text reads as is shown as typed.
    expect(() => positiveIntFlag('limit', ' 2.5')).toThrow(
      '--limit must be an integer from 1 to 1000000; got 2.5',
    );
    // yargs' NaN (an option declared `type: 'number'`) has lost the text: said in words.
    expect(() => positiveIntFlag('limit', Number.NaN)).toThrow(
      '--limit must be an integer from 1 to 1000000; got a value that is not a number',
    );
    expect(() => claimAheadFlag(Number.NaN)).toThrow(
      '--claim-ahead must be an integer from 0 to 10000; got a value that is not a number',
    );
  });

  it('says a negative duration must be positive, and an empty one that it needs a value', () => {
    for (const typed of ['-5s', ' -1h30m', '-0']) {
      expect(() => durationFlag('timeout', typed)).toThrow(UsageError);
      expect(() => durationFlag('timeout', typed)).toThrow(
        `--timeout must be a positive duration, e.g. 30s; got ${JSON.stringify(typed)}`,
      );
    }
    expect(() => durationFlag('lease', -1000, LEASE_BOUNDS)).toThrow(
      '--lease must be a positive duration, e.g. 30s; got -1000',
    );
    expect(() => durationFlag('delay', ' ')).toThrow(
      '--delay needs a value: a positive duration, e.g. 30s',
    );
    expect(durationFlag('timeout', '0')).toBe(0);
  });

  it('bounds durations: 10 years unless the flag says otherwise, leases 1s..1h', () => {
    expect(durationFlag('delay', '87600h')).toBe(315_360_000_000);
    expect(() => durationFlag('delay', '87601h')).toThrow(
      '--delay must be at most 87600h (10 years); got 315363600000ms',
    );
    expect(() => durationFlag('timeout', 1e308)).toThrow(UsageError);
    expect(durationFlag('lease', '1h', LEASE_BOUNDS)).toBe(3_600_000);
    expect(() => durationFlag('lease', '2h', LEASE_BOUNDS)).toThrow(
      '--lease must be at most 1h; got 7200000ms',
    );
    expect(() => durationFlag('lease', '500ms', LEASE_BOUNDS)).toThrow(
      '--lease must be at least 1s; got 500ms',
    );
  });
});

describe('--postgres-schema', () => {
  it('accepts a lower-case SQL identifier of at most 63 characters', () => {
    for (const name of ['gopherqueue', 'team_a', '_jobs2', 'a'.repeat(63)]) {
      expect(postgresSchemaFlag(name)).toBe(name);
    }
  });

  it('rejects anything else with a usage error naming the flag', () => {
    for (const name of ['', 'Jobs', '2jobs', 'a-b', 'a.b', 'x"; DROP', 'a'.repeat(64)]) {
      expect(() => postgresSchemaFlag(name)).toThrow(UsageError);
      expect(() => postgresSchemaFlag(name)).toThrow(
        `--postgres-schema must be a lower-case SQL identifier (a-z, 0-9, _; at most 63); got ${JSON.stringify(name)}`,
      );
    }
  });

  it('defaults to GQ_POSTGRES_SCHEMA of the environment, else gopherqueue', () => {
    expect(postgresSchemaOption({ GQ_POSTGRES_SCHEMA: 'team_a' }).default).toBe('team_a');
    expect(postgresSchemaOption({}).default).toBe('gopherqueue');
  });
});

describe('parseTags', () => {
  it('reads repeated key=value flags, keeping = in values', () => {
    expect(parseTags(['env=prod', 'q=a=b'])).toEqual({ env: 'prod', q: 'a=b' });
    expect(parseTags(undefined)).toEqual({});
  });

  it('rejects a tag without a key', () => {
    expect(() => parseTags(['=x'])).toThrow('--tag must be key=value; got "=x"');
    expect(() => parseTags(['novalue'])).toThrow(UsageError);
  });
});

describe('readPayload', () => {
  const noStdin = Readable.from([]);

  it('reads inline JSON, a file and standard input', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gq-payload-'));
    try {
      await writeFile(join(dir, 'p.json'), '{"to":"a@b.c"}');
      expect(await readPayload('{"n":1}', { cwd: dir, stdin: noStdin })).toEqual({ n: 1 });
      expect(await readPayload('"2s"', { cwd: dir, stdin: noStdin })).toBe('2s');
      expect(await readPayload('@p.json', { cwd: dir, stdin: noStdin })).toEqual({ to: 'a@b.c' });
      const stdin = Readable.from([Buffer.from('[1,'), Buffer.from('2]')]);
      expect(await readPayload('-', { cwd: dir, stdin })).toEqual([1, 2]);
      expect(await readPayload(undefined, { cwd: dir, stdin: noStdin })).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says what is wrong with text that is not JSON or a file that is missing', async () => {
    await expect(readPayload('2s', { cwd: '/', stdin: noStdin })).rejects.toThrow(
      `--payload is not JSON (strings need quotes: --payload '"2s"'); got "2s"`,
    );
    await expect(
      readPayload('@/nonexistent/gq.json', { cwd: '/', stdin: noStdin }),
    ).rejects.toThrow(/^cannot read --payload file \/nonexistent\/gq.json/);
  });
});
