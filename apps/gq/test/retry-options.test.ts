import type { WireJob } from '@gopherqueue/api';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, spawnServer, tempDir } from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await killAll();
  for (const cleanup of cleanups) await cleanup();
});

describe('gq submit with retry options', () => {
  it('sends --retry-on and --dont-retry-on, and reports a bad one with the field it broke', async () => {
    const dir = await tempDir('gq-retry-options-');
    cleanups.push(() => dir.remove());
    const server = await spawnServer(dir.path);
    const submit = (...flags: string[]) =>
      gq(['submit', '--type', 'remote.t', '--server', server.url, '--json', ...flags]);
    const sent = await submit('--retry-on', 'HttpError,timeout', '--dont-retry-on', 'TypeError');
    expect(sent.code).toBe(0);
    const job = JSON.parse(sent.stdout) as WireJob;
    expect([job.retry_on, job.no_retry_on]).toEqual([['HttpError', 'timeout'], ['TypeError']]);

    const bad = await submit('--retry-on', 'x'.repeat(201));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/retry_on\.0/);
  }, 120_000);
});
