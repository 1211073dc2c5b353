import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gq } from '../test/helpers/run-cli.js';
import { closedPort } from '../test/helpers/closed-port.js';

describe('gq command line', () => {
  it('lists its commands with --help', async () => {
    const run = await gq(['--help']);
    expect(run.code).toBe(0);
    for (const command of [
      'serve',
      'work',
      'submit',
      'status',
      'job',
      'cancel',
      'retry',
      'delete',
      'wait',
      'dlq',
      'queues',
      'keys',
      'events',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`gq ${command}\\b`));
    }
  });

  it('says in gq cancel --help that a running job is cancelled with or without --force', async () => {
    const run = await gq(['cancel', '--help']);
    expect(run.code).toBe(0);
    const text = run.stdout.replace(/\s+/g, ' ');
    expect(text).toContain(
      "Cancel a job that has not finished; a running job is cancelled too (its handler's signal fires)",
    );
    expect(text).toContain(
      "--force Changes nothing (kept for the original's scripts): every cancel stops a running job",
    );
    expect(text).not.toContain('even if running');
  });

  it('describes --log-level and --log-format in the help of gq serve and gq work', async () => {
    for (const command of ['serve', 'work']) {
      const text = (await gq([command, '--help'])).stdout.replace(/\s+/g, ' ');
      expect(text).toContain(
        '--log-level Least severe log lines written (to standard error); handlers log through ctx.logger [string] [choices: "debug", "info", "warn", "error"] [default: "info"]',
      );
      expect(text).toContain(
        '--log-format json: one object per line; pretty: readable lines; auto: pretty in a terminal [string] [choices: "json", "pretty", "auto"] [default: "auto"]',
      );
    }
  });

  it('prints the version of its package.json with --version', async () => {
    const own = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(own.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(await gq(['--version'])).toEqual({ code: 0, stdout: `${own.version}\n`, stderr: '' });
  });

  it('exits 2 with one line for usage errors', async () => {
    const cases: [string[], RegExp][] = [
      [[], /^gq: name a command \(see `gq --help`\)\n$/],
      [['frobnicate'], /^gq: Unknown argument: frobnicate \(see `gq --help`\)\n$/],
      [['submit'], /^gq: Missing required argument: type \(see `gq --help`\)\n$/],
      [
        ['submit', '--type', 'echo', '--priority', 'urgent'],
        /^gq: --priority: priority must be 0\.\.4/m,
      ],
      [['submit', '--type', 'echo', '--delay', 'soon'], /^gq: --delay: invalid duration "soon"/m],
      [['submit', '--type', 'echo', '--payload', 'not json'], /^gq: --payload is not JSON/m],
      [['submit', '--type', 'echo', '--tag', 'x'], /^gq: --tag must be key=value; got "x"$/m],
      [['status', '--state', 'sleeping'], /^gq: --state must be pending, delayed/m],
      [['serve', '--http', 'nowhere'], /^gq: --http must be like ":8080"/m],
      [['serve', '--store', 'redis'], /^gq: Invalid values:/m],
      [
        ['keys', 'create', '--role', 'root', '--data-dir', '/nonexistent'],
        /^gq: --role must be one of admin, operator, producer, worker, viewer; got "root"$/m,
      ],
      [
        ['status', '--server', 'ftp://x'],
        /^gq: --server must be an http\(s\) URL; got "ftp:\/\/x"$/m,
      ],
      [
        ['serve', '--data-dir', 'a', '--data-dir', 'b'],
        /^gq: --data-dir was given 2 times; give it once$/m,
      ],
    ];
    for (const [args, message] of cases) {
      const run = await gq(args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(message);
      expect(run.stderr.split('\n')).toHaveLength(2);
      expect(run.stdout).toBe('');
    }
  });

  it('says there is no server at the address, and how to start one, with exit 1', async () => {
    const server = `http://127.0.0.1:${await closedPort()}`;
    for (const args of [
      ['status'],
      ['submit', '--type', 'echo'],
      ['job', '01a22269-1b76-7000-b55a-abfbe45ff796'],
      ['dlq'],
      ['queues'],
      ['keys'],
    ]) {
      const run = await gq([...args, '--server', server]);
      expect(run).toEqual({
        code: 1,
        stdout: '',
        stderr: `gq: no GopherQueue server at ${server}: start one with \`gq serve\` or pass --server\n`,
      });
    }
  });

  it('takes the server from GQ_SERVER and the default address otherwise', async () => {
    const server = `http://127.0.0.1:${await closedPort()}`;
    const fromEnv = await gq(['status'], { env: { GQ_SERVER: server } });
    expect(fromEnv.stderr).toContain(`no GopherQueue server at ${server}:`);
    const help = await gq(['status', '--help']);
    expect(help.stdout).toContain('[default: "http://127.0.0.1:8080"]');
  });

  it('fails with one line when a --handlers module cannot be loaded', async () => {
    const run = await gq([
      'work',
      '--handlers',
      './nonexistent-handlers.js',
      '--server',
      'http://127.0.0.1:1',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^gq: cannot load --handlers \.\/nonexistent-handlers\.js: /);
  });

  it('refuses an --allowed-hosts entry that is not a host name, with a usage error', async () => {
    const run = await gq(['serve', '--bolt=false', '--allowed-hosts', 'gq.internal,gq.lan:8080']);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'gq: --allowed-hosts: an allowed host must be a host name or an IP address without a port; got "gq.lan:8080"\n',
    });
  });

  it('refuses a --claim-ahead out of bounds, with a usage error naming it', async () => {
    const run = await gq(['serve', '--bolt=false', '--claim-ahead', '20000']);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: 'gq: --claim-ahead must be an integer from 0 to 10000; got 20000\n',
    });
  });

  it('refuses a --max-job-waits, --max-claim-waits or --max-connections that is not a positive integer', async () => {
    for (const [flag, value] of [
      ['--max-job-waits', '0'],
      ['--max-claim-waits', '2.5'],
      ['--max-connections', '-1'],
    ] as const) {
      const run = await gq(['serve', '--bolt=false', flag, value]);
      expect(run).toEqual({
        code: 2,
        stdout: '',
        stderr: `gq: ${flag} must be an integer from 1 to 1000000; got ${value}\n`,
      });
    }
  });

  it('refuses counts past their bound, an empty --data-dir, and a switch given another value', async () => {
    const cases: [string[], string][] = [
      [
        ['serve', '--workers', '1e9'],
        '--workers must be an integer from 1 to 10000; got 1000000000',
      ],
      [
        ['serve', '--bolt=false', '--max-event-streams', '1e12'],
        '--max-event-streams must be an integer from 1 to 1000000; got 1000000000000',
      ],
      [['serve', '--data-dir', ''], '--data-dir must name a directory; got an empty value'],
      [['serve', '--auth=1'], '--auth is a switch: give it alone, or =true or =false; got "1"'],
      [['serve', '--auth=yes'], '--auth is a switch: give it alone, or =true or =false; got "yes"'],
      [
        ['serve', '--bolt=TRUE'],
        '--bolt is a switch: give it alone, or =true or =false; got "TRUE"',
      ],
      [['serve', '--workers', 'many'], '--workers must be a number; got "many"'],
      [['serve', '--workers=ten'], '--workers must be a number; got "ten"'],
      [['status', '--limit', 'abc'], '--limit must be a number; got "abc"'],
      [['schedules', 'list', '--limit', '0'], '--limit must be an integer from 1 to 1000; got 0'],
      [
        ['schedules', 'add', 'x', '--every', '1m', '--type', 't', '--catch-up-limit', '0'],
        '--catch-up-limit must be an integer from 1 to 1000; got 0',
      ],
      [['serve', '--lease', '-5s'], '--lease must be a positive duration, e.g. 30s; got "-5s"'],
    ];
    for (const [args, message] of cases) {
      expect(await gq(args), args.join(' ')).toEqual({
        code: 2,
        stdout: '',
        stderr: `gq: ${message}\n`,
      });
    }
  });

  it('serves until stopped: --bolt=false keeps jobs in memory, --auth=false trusts everyone', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--bolt=false', '--http', '127.0.0.1:0'],
        /^gq serve listening on http:\/\/127\.0\.0\.1:\d+ \(store memory, 10 workers, auth protected\)\n$/,
      ],
      [
        ['--store', 'memory', '--http', '0', '--auth=false', '--workers', '3'],
        /^gq serve listening on http:\/\/127\.0\.0\.1:(\d+) \(every interface, port \1; store memory, 3 workers, auth off\)\n$/,
      ],
      [
        ['--store', 'memory', '--http', '0.0.0.0:0'],
        /^gq serve listening on http:\/\/127\.0\.0\.1:(\d+) \(every interface, port \1; store memory, 10 workers, auth protected\)\n$/,
      ],
    ];
    for (const [flags, line] of cases) {
      const run = await gq(['serve', '--log-level', 'error', ...flags], {
        onStdout: (text, stop) => {
          if (text.includes('listening on')) stop();
        },
      });
      expect(run.code).toBe(0);
      const [handlers, listening] = run.stdout.split(/(?<=\n)/);
      expect(handlers).toBe('gq serve handlers: echo, error, sleep (built in)\n');
      expect(listening).toMatch(line);
    }
  });

  it('prints the job types it runs: those of --handlers, then the built-ins it keeps', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gq-cli-'));
    try {
      await writeFile(
        join(dir, 'handlers.mjs'),
        `export default { echo: (ctx) => ctx.payload, 'mail.send': () => 'sent', 'a.first': () => 1 };\n`,
      );
      const run = await gq(
        ['serve', '--bolt=false', '--http', '127.0.0.1:0', '--handlers', './handlers.mjs'],
        {
          cwd: dir,
          onStdout: (text, stop) => {
            if (text.includes('listening on')) stop();
          },
        },
      );
      expect(run.code).toBe(0);
      expect(run.stdout.split('\n')[0]).toBe(
        'gq serve handlers: a.first, echo, mail.send (./handlers.mjs); error, sleep (built in)',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
