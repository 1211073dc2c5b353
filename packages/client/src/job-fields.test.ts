import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { SubmitOptions } from './client-types.js';
import {
  BACKOFF_FIELDS,
  JOB_ERROR_FIELDS,
  JOB_FIELDS,
  SUBMIT_FIELDS,
  type SubmitField,
  type WireField,
} from './job-fields.js';
import type { WireJob, WireLeasedJob } from './wire-types.js';

type Table = typeof JOB_FIELDS;
/** The wire names of the fields sent to `audience`. */
type WireNames<A> = {
  [K in keyof Table]: Table[K]['sent'] extends A ? Table[K]['wire'] : never;
}[keyof Table];

describe('JOB_FIELDS', () => {
  it('names every field of WireJob but the derived ones, and the lease of WireLeasedJob', () => {
    expectTypeOf<WireNames<'always'>>().toEqualTypeOf<
      Exclude<keyof WireJob, 'last_error' | 'waiting_reason' | 'deduplicated' | 'deduplicated_by'>
    >();
    expectTypeOf<WireNames<'leased'>>().toEqualTypeOf<
      Exclude<keyof WireLeasedJob, keyof WireJob>
    >();
  });

  it('gives each field one snake_case wire name of its own', () => {
    const tables: Readonly<Record<string, WireField>>[] = [
      JOB_FIELDS,
      BACKOFF_FIELDS,
      JOB_ERROR_FIELDS,
    ];
    for (const table of tables) {
      const names = Object.values(table).map((spec) => spec.wire);
      expect(new Set(names).size).toBe(names.length);
      for (const name of names) expect(name).toMatch(/^[a-z]+(_[a-z]+)*$/);
    }
    const submit = Object.values(SUBMIT_FIELDS);
    expect(new Set(submit).size).toBe(submit.length);
  });
});

describe('SUBMIT_FIELDS', () => {
  it("covers the client's submit options, with scheduledAt for the runAt option", () => {
    expectTypeOf<keyof SubmitOptions>().toEqualTypeOf<
      Exclude<SubmitField, 'runAt'> | 'scheduledAt'
    >();
    expect(SUBMIT_FIELDS.runAt).toBe('scheduled_at');
    expect(SUBMIT_FIELDS.maxAttempts).toBe(JOB_FIELDS.maxAttempts.wire);
  });
});

describe('@gopherqueue/client', () => {
  it('imports nothing but its own files and @gopherqueue/core (no server, no node: modules)', async () => {
    const dir = new URL('.', import.meta.url);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    const imported = new Set<string>();
    for (const file of files) {
      const text = await readFile(new URL(file, dir), 'utf8');
      for (const match of text.matchAll(/^(?:import|export)[^;]*?from '([^']+)'/gms)) {
        const specifier = match[1] as string;
        if (!specifier.startsWith('./')) imported.add(specifier);
      }
    }
    expect([...imported]).toEqual(['@gopherqueue/core']);
    const manifest = JSON.parse(
      await readFile(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toEqual(['@gopherqueue/core']);
  });
});
