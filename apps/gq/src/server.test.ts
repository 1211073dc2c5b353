import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GopherQueueClient } from '@gopherqueue/api';
import type { LogFields, Logger } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { AuditLog } from '@gopherqueue/security';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gq } from '../test/helpers/run-cli.js';
import { CliError } from './cli-error.js';
import { loadHandlers } from './load-handlers.js';
import { startServer, type GqServer } from './server.js';
import { GQ_VERSION } from './version.js';

const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function start(options: Parameters<typeof startServer>[0]): Promise<GqServer> {
  const server = await startServer(options);
  cleanup.push(() => server.stop());
  return server;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gq-server-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function nonLoopbackAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? [])
      if (!info.internal && info.family === 'IPv4') return info.address;
  }
  return undefined;
}

/** A logger that keeps every line, `[message, fields]`, in `lines`. */
function recordingLogger(lines: [string, LogFields | undefined][]): Logger {
  const record = (message: string, fields?: LogFields): void => {
    lines.push([message, fields]);
  };
  const logger: Logger = {
    debug: record,
    info: record,
    warn: record,
    error: record,
    child: () => logger,
  };
  return logger;
}

describe('startServer', () => {
  it('is ready once started, runs the built-in handlers, and stops once however often asked', async () => {
    const server = await start({ http: '127.0.0.1:0', store: 'memory', workers: 2 });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.authMode).toBe('protected');
    expect(server.recovered).toBe(0);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    const info = (await (await fetch(`${server.url}/api/v1`)).json()) as { version: string };
    expect(info.version).toBe(GQ_VERSION);
    expect(GQ_VERSION).toBe(
      (
        JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
          version: string;
        }
      ).version,
    );
    const client = new GopherQueueClient({ baseUrl: server.url });
    const job = await client.submit('echo', { hello: 'world' });
    expect((await client.wait(job.id, '10s')).result?.output).toEqual({ hello: 'world' });
    const stopping = server.stop();
    expect(server.stop()).toBe(stopping);
    await stopping;
    await expect(fetch(`${server.url}/live`)).rejects.toThrow();
  });

  it('starts its parts in dependency order, stops them in reverse, and is not ready once stopping', async () => {
    const lines: [string, LogFields | undefined][] = [];
    const server = await start({
      http: '127.0.0.1:0',
      store: 'memory',
      workers: 1,
      shutdownTimeoutMs: 4_000,
      logger: recordingLogger(lines),
    });
    const parts = (message: string): unknown[] =>
      lines
        .filter(([m, f]) => m === message && f?.component !== undefined)
        .map(([, f]) => f?.component);
    const order = [
      'store',
      'events',
      'metrics',
      'history',
      'http',
      'scheduler',
      'pool',
      'recoverer',
      'janitor',
      'expiry',
      'schedules',
    ];
    expect(parts('started')).toEqual([...order, 'readiness']);
    expect(server.status).toBe('running');

    // A job that outlives the drain keeps the HTTP server up while the pool drains.
    const client = new GopherQueueClient({ baseUrl: server.url });
    const job = await client.submit('sleep', '60s');
    await vi.waitFor(async () => expect((await client.get(job.id)).state).toBe('running'), {
      timeout: 10_000,
    });
    const stopping = server.stop();
    expect(server.status).toBe('stopping');
    expect((await fetch(`${server.url}/ready`)).status).toBe(503);
    await stopping;
    expect(server.status).toBe('stopped');
    expect(parts('stopped')).toEqual(['readiness', ...order.reverse()]);
  });

  it('runs in protected mode on every interface: loopback is trusted, other addresses need a key', async () => {
    const server = await start({ http: '0', store: 'memory' });
    expect(server.authMode).toBe('protected');
    expect((await fetch(`http://127.0.0.1:${server.port}/api/v1/stats`)).status).toBe(200);
    const address = nonLoopbackAddress();
    expect(address, 'this machine needs a non-loopback IPv4 address').toBeDefined();
    const remote = await fetch(`http://${address}:${server.port}/api/v1/stats`);
    expect(remote.status).toBe(401);
    expect((await fetch(`http://${address}:${server.port}/live`)).status).toBe(200);
  });

  it('purges audit entries older than auditTtlMs with the janitor', async () => {
    const server = await start({
      http: '127.0.0.1:0',
      store: 'memory',
      auditTtlMs: 3_600_000,
      janitorIntervalMs: 20,
    });
    // An entry recorded two hours ago, then a fresh one through the API.
    const past = new AuditLog({
      meta: server.store.meta,
      clock: new ManualClock(Date.now() - 7_200_000),
    });
    await past.record({ actor: 'cli', action: 'key.create' });
    const client = new GopherQueueClient({ baseUrl: server.url });
    await client.pauseQueue('reports');
    await vi.waitFor(
      async () => {
        expect((await client.audit()).entries.map((e) => e.action)).toEqual(['queue.pause']);
      },
      { timeout: 10_000 },
    );
  });

  it('merges --handlers over the built-ins', async () => {
    const dir = await tempDir();
    const file = join(dir, 'handlers.mjs');
    await writeFile(
      file,
      `export default { echo: (ctx) => ({ wrapped: ctx.payload }), 'custom.add': (ctx) => ctx.payload.a + ctx.payload.b };\n`,
    );
    const handlers = await loadHandlers('./handlers.mjs', dir);
    expect(Object.keys(handlers).sort()).toEqual(['custom.add', 'echo']);
    const server = await start({ http: '127.0.0.1:0', store: 'memory', handlers });
    const client = new GopherQueueClient({ baseUrl: server.url });
    const echo = await client.submit('echo', 5);
    const add = await client.submit('custom.add', { a: 2, b: 3 });
    const sleep = await client.submit('sleep', '1ms');
    expect((await client.wait(echo.id, '10s')).result?.output).toEqual({ wrapped: 5 });
    expect((await client.wait(add.id, '10s')).result?.output).toBe(5);
    expect((await client.wait(sleep.id, '10s')).state).toBe('completed');
  });

  it('rejects a handlers module that does not map types to functions', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'bad.mjs'), `export default { echo: 42 };\n`);
    await expect(loadHandlers('./bad.mjs', dir)).rejects.toThrow(
      '--handlers ./bad.mjs: handler "echo" is not a function',
    );
    await writeFile(join(dir, 'none.mjs'), `export const x = 1;\n`);
    await expect(loadHandlers('./none.mjs', dir)).rejects.toThrow(
      '--handlers ./none.mjs must default-export an object mapping job types to functions',
    );
  });

  it('says the port is in use, and frees the store it opened', async () => {
    const dir = await tempDir();
    const first = await start({ http: '127.0.0.1:0', store: 'memory' });
    const failed = startServer({ http: `127.0.0.1:${first.port}`, dataDir: dir });
    await expect(failed).rejects.toThrow(CliError);
    await expect(failed).rejects.toThrow(
      `cannot listen on 127.0.0.1:${first.port}: the port is in use (pass --http with another port)`,
    );
    // The level store it opened was closed: the directory can be opened again.
    const again = await start({ http: '127.0.0.1:0', dataDir: dir });
    expect(again.authMode).toBe('protected');
  });

  it('keeps gq keys --data-dir off the data directory of a running server', async () => {
    const dir = await tempDir();
    await start({ http: '127.0.0.1:0', dataDir: dir });
    const run = await gq(['keys', 'create', '--role', 'admin', '--data-dir', dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `gq: the data directory ${dir} is in use by another process (a running \`gq serve\`?)\n`,
    );
  });
});
