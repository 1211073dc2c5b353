import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  killAll,
  spawnServer,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };
const cli = (...args: string[]) => gq([...args, '--server', server.url]);

beforeAll(async () => {
  dir = await tempDir();
  server = await spawnServer(dir.path, ['--workers', '4']);
});

afterAll(async () => {
  if (server !== undefined) await stopProcess(server, 'SIGTERM');
  await killAll();
  await dir?.remove();
});

describe('gq queues set and gq submit with group keys', () => {
  it('sets group_concurrency, ordered and aging, shows them, and refuses bad flags', async () => {
    const set = await cli(
      'queues',
      'set',
      'emails',
      '--group-concurrency',
      '2',
      '--ordered',
      '--aging',
      '5m',
    );
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^per group\s+1 \(ordered; 2 when not ordered\)$/m);
    expect(set.stdout).toMatch(/^ordered\s+yes \(FIFO per group\)$/m);
    expect(set.stdout).toMatch(/^aging\s+1 level per 5m$/m);
    const bad: [string[], RegExp][] = [
      [['--group-concurrency', '-1'], /^gq: --group-concurrency must be an integer from 1 to/],
      [['--group-concurrency', 'two'], /^gq: --group-concurrency must be an integer/],
      [['--aging', 'x'], /^gq: --aging must be a duration from 1s to 24h/],
      [['--aging', '10ms'], /^gq: --aging must be a duration from 1s to 24h/],
    ];
    for (const [flags, message] of bad) {
      const run = await cli('queues', 'set', 'emails', ...flags);
      expect({ flags, code: run.code }).toEqual({ flags, code: 2 });
      expect(run.stderr).toMatch(message);
    }
    const shown = JSON.parse((await cli('queues', 'show', 'emails', '--json')).stdout);
    expect(shown).toMatchObject({
      group_concurrency: 2,
      ordered: true,
      aging: '5m',
      groups_at_limit: [],
    });
    const off = await cli('queues', 'set', 'emails', '--no-ordered', '--aging', 'none');
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/^per group\s+2$/m);
    expect(off.stdout).toMatch(/^aging\s+none$/m);
  });

  it('submits with --group, runs the job, and refuses a bad key before sending', async () => {
    const submitted = await cli(
      'submit',
      '--type',
      'echo',
      '--queue',
      'emails',
      '--group',
      'acct-9',
      '--json',
    );
    expect(submitted.code).toBe(0);
    const job = JSON.parse(submitted.stdout) as { id: string; group: string };
    expect(job.group).toBe('acct-9');
    expect((await cli('wait', job.id)).code).toBe(0);
    const bad = await cli('submit', '--type', 'echo', '--group', 'not a key');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^gq: --group must be 1\.\.128 characters/);
  });
});
