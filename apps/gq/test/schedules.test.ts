import { join } from 'node:path';
import type { WireJob, WireSchedule } from '@gopherqueue/client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  eventually,
  killAll,
  REPO_ROOT,
  spawnGq,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

const HANDLERS = join(REPO_ROOT, 'apps/gq/test/fixtures/schedule-handlers.mjs');
const dirs: { remove(): Promise<void> }[] = [];

afterEach(async () => {
  await killAll();
});
afterAll(async () => {
  for (const dir of dirs) await dir.remove();
});

/** `gq serve` on a data dir with the schedule fixture declaring `schedules`. */
function serve(dataDir: string, schedules: unknown[], logLevel = 'warn'): Promise<GqProcess> {
  return spawnGq(
    [
      'serve',
      '--http',
      '127.0.0.1:0',
      '--data-dir',
      dataDir,
      '--handlers',
      HANDLERS,
      '--log-format',
      'json',
      '--log-level',
      logLevel,
    ],
    {
      ready: /listening on (http:\/\/\S+)/,
      env: { GQ_TEST_SCHEDULES: JSON.stringify(schedules) },
    },
  );
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

const schedulesOf = async (server: GqProcess): Promise<WireSchedule[]> =>
  (await getJson<{ schedules: WireSchedule[] }>(`${server.url}/api/v1/schedules`)).schedules;

/** A schedule without what moves with the clock. */
const still = ({ next_runs: _next, ...rest }: WireSchedule): Omit<WireSchedule, 'next_runs'> =>
  rest;

const nightly = {
  name: 'nightly',
  cron: '30 2 * * *',
  timezone: 'Europe/Berlin',
  misfire: 'once',
  job: { type: 'sched.beat', payload: { report: 'daily' }, max_attempts: 5, timeout: '10m' },
};
const hourly = { name: 'hourly', every: '1h', job: { type: 'sched.beat' } };

describe('gq serve with declared schedules', () => {
  it('keeps declarations unchanged across restarts, removes a dropped one and keeps API ones', async () => {
    const dir = await tempDir('gq-sched-');
    dirs.push(dir);
    let server = await serve(dir.path, [nightly, hourly]);
    const first = await schedulesOf(server);
    expect(first.map((s) => [s.name, s.source, s.revision])).toEqual([
      ['hourly', 'code', 1],
      ['nightly', 'code', 1],
    ]);
    const added = await gq([
      'schedules',
      'add',
      'adhoc',
      '--every',
      '2h',
      '--type',
      'sched.beat',
      '--payload',
      '{"x":1}',
      '--server',
      server.url,
    ]);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('every 2h');
    const refused = await gq([
      'schedules',
      'add',
      'bad',
      '--every',
      '1h',
      '--type',
      'has space',
      '--server',
      server.url,
    ]);
    expect([refused.code, refused.stderr]).toEqual([
      2,
      expect.stringMatching(/^gq: --type: the server refused it: job\.type: type must be/),
    ]);
    expect((await gq(['schedules', 'pause', 'hourly', '--server', server.url])).code).toBe(0);
    const missing = await gq(['schedules', 'show', 'ghost', '--server', server.url]);
    expect([missing.code, missing.stderr]).toEqual([
      1,
      expect.stringContaining('schedule "ghost" not found (not_found, HTTP 404)'),
    ]);
    const before = (await schedulesOf(server)).map(still);
    await stopProcess(server);

    server = await serve(dir.path, [hourly, nightly]);
    expect((await schedulesOf(server)).map(still)).toEqual(before);
    await stopProcess(server);

    server = await serve(dir.path, [nightly]);
    const after = await schedulesOf(server);
    expect(after.map(still)).toEqual(before.filter((s) => s.name !== 'hourly'));
    const listed = await gq(['schedules', '--server', server.url]);
    expect(listed.stdout).toMatch(/adhoc\s+every 2h0m\s+sched\.beat\s+default\s+active\s+api/);
    expect(listed.stdout).toMatch(
      /nightly\s+30 2 \* \* \* \(Europe\/Berlin\)\s+sched\.beat\s+default\s+active\s+code/,
    );
    const one = await gq(['schedules', 'list', '--limit', '1', '--server', server.url]);
    expect(one.stdout).toMatch(/^adhoc\s/m);
    expect(one.stdout).not.toMatch(/nightly/);
    expect(one.stdout).toContain('more: gq schedules list --cursor adhoc\n');
    const rest = await gq(['schedules', 'list', '--cursor', 'adhoc', '--server', server.url]);
    expect(rest.stdout).toMatch(/^nightly\s/m);
    expect(rest.stdout).not.toMatch(/adhoc|more:/);
    const tooMany = await gq(['schedules', 'list', '--limit', '1001', '--server', server.url]);
    expect(tooMany.code).not.toBe(0);
    expect(tooMany.stderr).toContain('--limit must be at most 1000; got 1001');
    await stopProcess(server);
  }, 120_000);

  it('refuses a bad declaration at start, naming the schedule and the field', async () => {
    const dir = await tempDir('gq-sched-');
    dirs.push(dir);
    const run = spawnGq(
      ['serve', '--http', '127.0.0.1:0', '--data-dir', dir.path, '--handlers', HANDLERS],
      {
        ready: /listening on (http:\/\/\S+)/,
        env: { GQ_TEST_SCHEDULES: JSON.stringify([{ ...nightly, timezone: 'Europe/Atlantis' }]) },
      },
    );
    await expect(run).rejects.toThrow(/schedules\.0\.timezone: must be an IANA time zone/);
  }, 120_000);

  it('catches up the latest 3 of the ticks missed while stopped, each with its tick', async () => {
    const dir = await tempDir('gq-sched-');
    dirs.push(dir);
    const tick = {
      name: 'tick',
      every: '1s',
      misfire: 'catch_up',
      catch_up_limit: 3,
      job: { type: 'sched.beat' },
    };
    const ticksOf = async (server: GqProcess): Promise<number[]> =>
      (
        await getJson<{ jobs: WireJob[] }>(`${server.url}/api/v1/jobs?tag=schedule:tick&limit=1000`)
      ).jobs
        .map((j) => Date.parse(j.tags['scheduled_for'] ?? ''))
        .sort((a, b) => a - b);
    let server = await serve(dir.path, [tick]);
    await eventually(
      async () => ((await ticksOf(server)).length >= 2 ? true : undefined),
      'two ticks',
    );
    await stopProcess(server);
    const stoppedAt = Date.now();
    // Down across at least five ticks.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    server = await serve(dir.path, [tick], 'info');
    const line = await eventually(
      () =>
        Promise.resolve(
          (server.stdout() + server.stderr())
            .split('\n')
            .find((l) => l.includes('ticks missed while stopped')),
        ),
      'the misfire log line',
    );
    const logged = JSON.parse(line) as { since: string; firing: string[] };
    const firing = logged.firing.map((t) => Date.parse(t));
    expect(firing).toHaveLength(3);
    expect(firing).toEqual([firing[0], (firing[0] as number) + 1000, (firing[0] as number) + 2000]);
    expect(firing[0]).toBeGreaterThan(stoppedAt + 2000);
    const ticks = await eventually(async () => {
      const found = await ticksOf(server);
      return found.some((t) => t > (firing[2] as number)) ? found : undefined;
    }, 'a tick after the catch-up');
    // Before the stop: contiguous; then the skipped ticks; then the 3 caught up and the live ones.
    const last = Date.parse(logged.since);
    const before = ticks.filter((t) => t <= last);
    const rest = ticks.filter((t) => t > last);
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(before.at(-1)).toBe(last);
    expect(rest.slice(0, 3)).toEqual(firing);
    expect(rest.filter((t) => t < (firing[0] as number))).toEqual([]);
    await stopProcess(server);
  }, 120_000);
});

describe('gq schedules', () => {
  it('says which flag to fix for a bad cron, zone or duration, before sending anything', async () => {
    const cases: [string[], RegExp][] = [
      [['--cron', '* * *'], /--cron: CronPattern: .*give 5 fields/],
      [['--cron', '* * * * *', '--timezone', 'Mars/Base'], /--timezone must be an IANA time zone/],
      [['--every', '15 minutes'], /--every: invalid duration "15 minutes"/],
      [['--every', '10ms'], /--every must be at least 1s/],
      [['--every', '1m', '--jitter', '3h'], /--jitter must be at most 1h/],
      [[], /give exactly one of --cron "EXPR" and --every DURATION/],
    ];
    for (const [flags, message] of cases) {
      const run = await gq([
        'schedules',
        'add',
        'x',
        '--type',
        't',
        ...flags,
        '--server',
        'http://127.0.0.1:9',
      ]);
      expect(run.code, flags.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });
});
